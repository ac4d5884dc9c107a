//! baton's conformance suite.
//!
//! - [`vectors`]: test vectors made by an independent implementation (asn1tools, pycrate;
//!   `conformance/peer/regen.sh` regenerates them), valid and malformed, with a loader.
//! - [`strategies`]: proptest strategies of valid messages and of out-of-constraint values.
//! - [`sim`]: a deterministic simulation of N nodes and their components on a virtual clock.
//! - [`fuzzing`]: the checks of the fuzz targets in `fuzz/`, replayed by `tests/fuzz_replay.rs`.
//! - [`model`]: a stateright model of the two-member election, running the real Election.
//! - [`model_quorum`]: a stateright model of the quorum election (3 voters, 2 + a witness),
//!   running the real Election under drifting clocks, and seeded random walks through it.
//!
//! The tests in `conformance/tests/` check baton's codec against both.
#![forbid(unsafe_code)]

pub mod fuzzing;
pub mod model;
pub mod model_quorum;
pub mod sim;
pub mod strategies;
pub mod vectors;
