//! Times baton's encode and decode of the named vectors in every rule, the way
//! `bench/asn1c/harness.c` times asn1c: batches calibrated to about 10 ms, one warm-up batch,
//! 31 timed batches, the median of (batch time / N) in ns per operation.
//!
//! Prints `name<TAB>rule<TAB>op<TAB>ns_median` lines on stdout (progress on stderr), for
//! `bench/codec-ratios.sh` to join with asn1c's. Run alone:
//! `cargo bench -p baton-codec --bench table -- election-nomination monitor-heartbeat`.
//!
//! Decode = `baton_codec::decode` (rasn decode, trailing-byte check, constraint validation)
//! and dropping the value. Encode = `baton_codec::encode_into` a reused buffer (validation
//! and rasn encode), as a link does. `uper-rasn` rows time rasn's generic UPER codec on the
//! same message, for comparison with baton's direct UPER path.

use baton_codec::{AnyMessage, Encoding, Interface};
use std::hint::black_box;
use std::time::Instant;

const DEFAULT_NAMES: [&str; 5] = [
    "election-nomination",
    "election-assigment",
    "monitor-heartbeat",
    "role-setrole",
    "status-indication",
];

fn env_num(key: &str, default: f64) -> f64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v: &f64| *v > 0.0)
        .unwrap_or(default)
}

/// Median ns per call of `op`, timed as the asn1c harness does.
fn median_ns(mut op: impl FnMut()) -> f64 {
    let batches = env_num("BATON_BENCH_BATCHES", 31.0) as usize;
    let target = env_num("BATON_BENCH_TARGET_MS", 10.0) * 1e6;
    let mut run = |n: u64| {
        let t = Instant::now();
        for _ in 0..n {
            op();
        }
        t.elapsed().as_nanos() as f64
    };
    let mut n: u64 = 1;
    loop {
        let t = run(n);
        if t >= target * 0.5 || n >= 1 << 30 {
            n = ((n as f64 * target / t.max(1.0)) as u64).max(1);
            break;
        }
        n *= if t < target / 64.0 { 8 } else { 2 };
    }
    run(n);
    let mut per: Vec<f64> = (0..batches).map(|_| run(n) / n as f64).collect();
    per.sort_by(f64::total_cmp);
    let mid = per.len() / 2;
    if per.len() % 2 == 1 {
        per[mid]
    } else {
        (per[mid - 1] + per[mid]) / 2.0
    }
}

/// (decode, encode) median ns of rasn's UPER called directly.
fn rasn_uper<T: rasn::Encode + rasn::Decode>(value: &T, bytes: &[u8]) -> (f64, f64) {
    let decode = median_ns(|| {
        black_box(rasn::uper::decode::<T>(black_box(bytes)).unwrap());
    });
    let mut buf = Vec::new();
    let encode = median_ns(|| {
        buf.clear();
        rasn::uper::encode_buf(black_box(value), &mut buf).unwrap();
        black_box(&buf);
    });
    (decode, encode)
}

fn main() {
    let mut names: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if names.is_empty() {
        names = DEFAULT_NAMES.iter().map(|s| s.to_string()).collect();
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../conformance/vectors/valid.json"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vector file")).unwrap();
    let vectors = doc["vectors"].as_array().expect("vectors");
    for name in &names {
        let Some(v) = vectors.iter().find(|v| v["name"] == name.as_str()) else {
            eprintln!("unknown vector {name}");
            std::process::exit(2);
        };
        let interface: Interface = v["interface"].as_str().unwrap().parse().unwrap();
        let json = serde_json::to_vec(&v["value"]).unwrap();
        let value = AnyMessage::decode(interface, Encoding::Jer, &json).unwrap();
        for encoding in Encoding::ALL {
            let bytes = value.encode(encoding).unwrap();
            let decode = median_ns(|| {
                black_box(AnyMessage::decode(interface, encoding, black_box(&bytes)).unwrap());
            });
            let mut buf = Vec::with_capacity(bytes.len() * 2);
            let encode = median_ns(|| {
                black_box(&value).encode_into(encoding, &mut buf).unwrap();
                black_box(&buf);
            });
            eprintln!("  {name} {encoding}: decode {decode:.1} ns, encode {encode:.1} ns");
            println!("{name}\t{encoding}\tdecode\t{decode:.1}");
            println!("{name}\t{encoding}\tencode\t{encode:.1}");
        }
        // rasn's own UPER on the same message, for comparison with baton's direct codec.
        let bytes = value.encode(Encoding::Uper).unwrap();
        let (decode, encode) = match &value {
            AnyMessage::Election(m) => rasn_uper(m, &bytes),
            AnyMessage::Role(m) => rasn_uper(m, &bytes),
            AnyMessage::Monitor(m) => rasn_uper(m, &bytes),
            AnyMessage::Status(m) => rasn_uper(m, &bytes),
            AnyMessage::Replication(m) => rasn_uper(m, &bytes),
        };
        eprintln!("  {name} uper-rasn: decode {decode:.1} ns, encode {encode:.1} ns");
        println!("{name}\tuper-rasn\tdecode\t{decode:.1}");
        println!("{name}\tuper-rasn\tencode\t{encode:.1}");
    }
}
