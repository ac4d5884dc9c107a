//! Fuzz target `node_ops`: [`baton_conformance::fuzzing::check_node_ops`] on every input. The same check
//! replays the corpus and the artifacts in `conformance/tests/fuzz_replay.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = baton_conformance::fuzzing::check_node_ops(data) {
        panic!("node_ops: {e}");
    }
});
