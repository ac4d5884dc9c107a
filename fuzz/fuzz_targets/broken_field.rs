//! Fuzz target `broken_field`: [`baton_conformance::fuzzing::check_broken_field`] on every input. The same check
//! replays the corpus and the artifacts in `conformance/tests/fuzz_replay.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = baton_conformance::fuzzing::check_broken_field(data) {
        panic!("broken_field: {e}");
    }
});
