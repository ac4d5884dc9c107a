#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn
//! criterion benches: encode and decode of each bench message in every rule.
//! `cargo bench -p baton-codec --bench codec`; the ratio table against asn1c is
//! `bench/codec-ratios.sh`.

use baton_asn1::{election, monitor, role, status};
use baton_codec::{AnyMessage, Encoding};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rasn::types::NumericString;
use std::hint::black_box;
use std::time::Duration;

fn num(s: &str) -> NumericString {
    NumericString::from_bytes(s.as_bytes()).unwrap()
}

fn messages() -> Vec<(&'static str, AnyMessage)> {
    use election::{ElectionMessageMessage as E, ElectionResult as R};
    let cand = |s: &str| election::Candidate(s.into());
    vec![
        (
            "election-nomination",
            election::ElectionMessage::new(
                election::CorrelationId(num("42")),
                E::nominationMsg(election::NominationMessage::new(cand("node-a"))),
            )
            .into(),
        ),
        (
            "election-assigment",
            election::ElectionMessage::new(
                election::CorrelationId(num("43")),
                E::electionResult(R::assigment(election::Assigment::new(
                    cand("node-a"),
                    cand("node-b"),
                ))),
            )
            .into(),
        ),
        (
            "monitor-heartbeat",
            monitor::HealthMonitorMessage::new(
                monitor::CorrelationId(num("7")),
                monitor::ComponentId(num("1001")),
                monitor::HealthMonitorMessageMessage::heartBeat(monitor::HeartBeat::new(
                    monitor::BillOfHealth::new(monitor::ComponentStatus::ok),
                )),
            )
            .into(),
        ),
        (
            "role-setrole",
            role::RoleMessage::new(
                role::CorrelationId(num("9")),
                role::RoleMessageMessage::setRole(role::SetRole::new(role::Role::active)),
            )
            .into(),
        ),
        (
            "status-indication",
            status::ServiceStatusMessage::new(
                status::CorrelationId(num("11")),
                status::ServiceStatusMessageMessage::statusIndication(
                    status::StatusIndication::new(status::Status(
                        "active peer=b:standby components=3/3".into(),
                    )),
                ),
            )
            .into(),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    for (name, value) in messages() {
        let interface = value.interface();
        let mut group = c.benchmark_group(name);
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_millis(700));
        for encoding in Encoding::ALL {
            let bytes = value.encode(encoding).unwrap();
            group.bench_with_input(BenchmarkId::new("decode", encoding), &bytes, |b, bytes| {
                b.iter(|| AnyMessage::decode(interface, encoding, black_box(bytes)).unwrap())
            });
            let mut buf = Vec::new();
            group.bench_function(BenchmarkId::new("encode", encoding), |b| {
                b.iter(|| black_box(&value).encode_into(encoding, &mut buf).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
