//! Replays every committed fuzz input through its target's check (`fuzz/README.md`): the minimised
//! corpus (`fuzz/corpus/<target>/`) and every past crash kept as a regression
//! (`fuzz/artifacts/<target>/`), on the stable toolchain, without cargo-fuzz.
//!
//! `BATON_FUZZ_SEEDS=1 cargo test -p baton-conformance --test fuzz_replay -- --ignored`
//! writes the seed inputs (the conformance vectors, framed and not) into `fuzz/corpus/`.

use baton_codec::{Encoding, FrameCodec, Interface};
use baton_conformance::fuzzing::{check_target, TARGETS};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Every file under `fuzz/<kind>/<target>/`, with its target.
fn inputs(kind: &str) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(fuzz_dir().join(kind)) else {
        return out;
    };
    for dir in dirs.flatten() {
        let target = dir.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for f in files.flatten() {
            if f.path().is_file() {
                out.push((target.clone(), f.path()));
            }
        }
    }
    out.sort();
    out
}

fn replay(kind: &str) -> usize {
    let mut failures = Vec::new();
    let all = inputs(kind);
    for (target, path) in &all {
        let data = std::fs::read(path).expect("readable input");
        let name = path.display();
        match catch_unwind(AssertUnwindSafe(|| check_target(target, &data))) {
            Ok(None) => failures.push(format!(
                "{name}: unknown target {target:?} (one of {TARGETS:?})"
            )),
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(e))) => failures.push(format!("{name}: {e}")),
            Err(_) => failures.push(format!("{name}: panicked (see above)")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    all.len()
}

#[test]
fn corpus_replays() {
    let n = replay("corpus");
    eprintln!("{n} corpus inputs replayed");
}

#[test]
fn past_crashes_stay_fixed() {
    let n = replay("artifacts");
    eprintln!("{n} past crashes replayed");
}

/// Writes seed inputs: every valid and malformed conformance vector for `decode` (selector
/// byte first) and as a stream of frames for `frames`.
#[test]
#[ignore = "writes fuzz/corpus; run with BATON_FUZZ_SEEDS=1"]
fn seed_corpus() {
    if std::env::var_os("BATON_FUZZ_SEEDS").is_none() {
        return;
    }
    let selector = |e: Encoding, i: Interface| {
        let r = Encoding::ALL.iter().position(|x| *x == e).unwrap() as u8;
        let k = Interface::ALL.iter().position(|x| *x == i).unwrap() as u8;
        r | (k << 3)
    };
    let write = |target: &str, name: &str, data: &[u8]| {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
    };
    // Replication vectors seed their own target (`seed_replication_corpus`): `decode`'s
    // selector has two bits for the four interfaces of PROTOCOL 2.1.
    let seed_four = |i: Interface| i != Interface::Replication;
    for v in baton_conformance::vectors::valid().unwrap() {
        if !seed_four(v.interface) {
            continue;
        }
        for (e, bytes) in &v.encodings {
            let mut d = vec![selector(*e, v.interface)];
            d.extend_from_slice(bytes);
            write("decode", &format!("{}-{e}", v.name), &d);
            let m = baton_codec::AnyMessage::decode(v.interface, *e, bytes).unwrap();
            let mut codec = FrameCodec::new(*e);
            let mut buf = bytes::BytesMut::new();
            tokio_util::codec::Encoder::encode(&mut codec, &m, &mut buf).unwrap();
            tokio_util::codec::Encoder::encode(&mut codec, &m, &mut buf).unwrap();
            let r = selector(*e, v.interface) & 7;
            let mut f = vec![r, 0, 2, 3, 200];
            f.extend_from_slice(&buf);
            write("frames", &format!("{}-{e}", v.name), &f);
        }
    }
    for v in baton_conformance::vectors::malformed().unwrap() {
        if !seed_four(v.interface) {
            continue;
        }
        let mut d = vec![selector(v.encoding, v.interface)];
        d.extend_from_slice(&v.bytes);
        write("decode", &format!("bad-{}", v.name), &d);
    }
}

/// Writes the `replication` target's seeds: the replication vectors of at most 600 octets,
/// valid and malformed, rule byte first (a small corpus: the large values add nothing the
/// fuzzer cannot grow).
#[test]
#[ignore = "writes fuzz/corpus/replication; run with BATON_FUZZ_SEEDS=1"]
fn seed_replication_corpus() {
    if std::env::var_os("BATON_FUZZ_SEEDS").is_none() {
        return;
    }
    let dir = fuzz_dir().join("corpus").join("replication");
    std::fs::create_dir_all(&dir).unwrap();
    let rule = |e: Encoding| Encoding::ALL.iter().position(|x| *x == e).unwrap() as u8;
    let write = |name: String, e: Encoding, bytes: &[u8]| {
        if bytes.len() <= 600 {
            let mut d = vec![rule(e)];
            d.extend_from_slice(bytes);
            std::fs::write(dir.join(format!("seed-{name}")), d).unwrap();
        }
    };
    for v in baton_conformance::vectors::valid().unwrap() {
        if v.interface == Interface::Replication {
            for (e, bytes) in &v.encodings {
                write(format!("{}-{e}", v.name), *e, bytes);
            }
        }
    }
    for v in baton_conformance::vectors::malformed().unwrap() {
        if v.interface == Interface::Replication {
            write(format!("bad-{}", v.name), v.encoding, &v.bytes);
        }
    }
}

/// Regression (found by `node_ops`): an Active node whose peer link was just closed for
/// misbehaviour still had that link up in its Election (until the dead interval) and
/// accepted a switchover, standing by with its handover request sent on the closed link.
#[test]
fn switchover_refused_while_the_peer_link_is_closed_for_misbehaviour() {
    use baton_conformance::fuzzing::{
        check_node_ops_input, IdSel, KindSel, MsgSpec, NameSel, NodeOps, Op, WhoSel,
    };
    let ops = vec![
        Op::Open {
            slot: 0,
            kind: KindSel::PeerDialled,
        },
        Op::Send {
            slot: 0,
            msg: MsgSpec::HeartBeat {
                id: IdSel::Number(1),
                who: WhoSel::Peer,
                ok: true,
            },
        },
        // The peer accepts the node's self-nomination: Active (no component registered).
        Op::Send {
            slot: 0,
            msg: MsgSpec::Assignment {
                id: IdSel::Echo,
                active: NameSel::Me,
                standby: NameSel::Peer,
            },
        },
        Op::Misbehave { slot: 0 },
        Op::Switchover,
        Op::Advance { ms: 150 },
    ];
    let input = NodeOps {
        second: false,
        preempt: false,
        wait_alone: true,
        severities: 0,
        first_id: 0,
        rule: 1,
        ops,
    };
    check_node_ops_input(&input).unwrap();
}
