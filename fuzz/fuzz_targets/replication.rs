//! Fuzz target `replication`: [`baton_conformance::fuzzing::check_replication`] on every input
//! (any bytes as a `ReplicationMessage` in any rule, PROTOCOL 2.8). The same check replays the
//! corpus and the artifacts in `conformance/tests/fuzz_replay.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = baton_conformance::fuzzing::check_replication(data) {
        panic!("replication: {e}");
    }
});
