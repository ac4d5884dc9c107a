//! The checks of the fuzz targets in `fuzz/` (`fuzz/README.md`), as library functions.
//!
//! Each check takes the raw bytes of one fuzz input, builds what it needs from them (a rule
//! and a message, a chunked stream, an [`arbitrary`] structure) and returns `Err` with a
//! readable reason when a property fails; code under test that panics makes the input a
//! crash as well. The fuzz targets call them, and so does `conformance/tests/fuzz_replay.rs`,
//! which replays every committed corpus input and every past crash (`fuzz/corpus/<target>/`,
//! `fuzz/artifacts/<target>/`) on the stable toolchain in milliseconds.
//!
//! | target | check | what it feeds |
//! |---|---|---|
//! | `decode` | [`check_decode`] | any bytes as any top-level message in any rule |
//! | `frames` | [`check_frames`] | a byte stream in arbitrary chunks through [`baton_codec::FrameCodec`] |
//! | `broken_field` | [`check_broken_field`] | a valid message, then one field broken |
//! | `node_ops` | [`check_node_ops`] | operations on a pure [`baton_engine::Node`] facing adversaries |
//! | `replication` | [`check_replication`] | any bytes as a `ReplicationMessage` (PROTOCOL 2.8) in any rule |

mod broken;
mod decode;
mod frames;
mod node_ops;
mod replication;

pub use broken::{
    check_broken_field, check_broken_field_input, Breakage, BrokenInput, Digits, Name, ValidMessage,
};
pub use decode::{check_decode, check_decode_in};
pub use frames::{check_frames, check_frames_decoded};
pub use node_ops::{
    check_node_ops, check_node_ops_input, IdSel, KindSel, MsgSpec, NameSel, NodeOps, Op, WhoSel,
};
pub use replication::check_replication;

/// The fuzz targets, by the name of their directory under `fuzz/corpus/` and `fuzz/artifacts/`.
pub const TARGETS: [&str; 5] = [
    "decode",
    "frames",
    "broken_field",
    "node_ops",
    "replication",
];

/// Runs the check of fuzz target `target` on one input; `None` for an unknown target.
pub fn check_target(target: &str, data: &[u8]) -> Option<Result<(), String>> {
    Some(match target {
        "decode" => check_decode(data),
        "frames" => check_frames(data),
        "broken_field" => check_broken_field(data),
        "node_ops" => check_node_ops(data),
        "replication" => check_replication(data),
        _ => return None,
    })
}
