//! Fuzz target `decode`: [`baton_conformance::fuzzing::check_decode`] on every input. The same check
//! replays the corpus and the artifacts in `conformance/tests/fuzz_replay.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = baton_conformance::fuzzing::check_decode(data) {
        panic!("decode: {e}");
    }
});
