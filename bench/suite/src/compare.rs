//! The failover tables: baton's figures, keepalived's, and their ratios from the same run.

use crate::report::{cell, metric, Scenario, Series, System, Table};

const SCENARIOS: [Scenario; 3] = [Scenario::Crash, Scenario::Silent, Scenario::Switchover];

fn find<'a>(
    series: &'a [Series],
    system: System,
    scenario: Scenario,
    interval: u64,
    metric: &str,
) -> Option<&'a Series> {
    series.iter().find(|s| {
        s.system == system
            && s.scenario == scenario
            && s.interval_ms == interval
            && s.metric == metric
    })
}

/// The metrics of `system` in the order they were first reported.
fn metrics(series: &[Series], system: System) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in series.iter().filter(|s| s.system == system) {
        if !out.contains(&s.metric) {
            out.push(s.metric.clone());
        }
    }
    out
}

fn system_table(
    series: &[Series],
    system: System,
    intervals: &[u64],
    title: &str,
) -> Option<Table> {
    let names = metrics(series, system);
    if names.is_empty() {
        return None;
    }
    let mut header = vec!["scenario", "interval ms", "measured from the fault to"];
    header.push("ms min / median / max (runs)");
    let mut t = Table::new(title, &header);
    for scenario in SCENARIOS {
        for &interval in intervals {
            for m in &names {
                if let Some(s) = find(series, system, scenario, interval, m) {
                    t.row(vec![
                        scenario.name().into(),
                        interval.to_string(),
                        m.clone(),
                        cell(Some(s), 1),
                    ]);
                }
            }
        }
    }
    t.notes.push(match system {
        System::Baton => "Two `baton node` processes on loopback, two linked components each \
            (in the harness process, watchdog 2 x heartbeat - 2 ms); dead interval 3 x heartbeat. \
            Times from just before the signal (or the switchover command) on one monotonic \
            clock."
            .into(),
        System::BatonTls => "The same pair with `[tls]` in both members' files (certificates \
            from `baton certs`, made once per run): the peer links and the status listeners are \
            mutual TLS; the watchers present a read-only client certificate. The components \
            and the switchover command use the Unix sockets, as in the plaintext pair."
            .into(),
        System::Keepalived => "From just before kill(2) to the backup's notify_fifo MASTER \
            line, read and timestamped by a harness thread (one monotonic clock, no notify \
            script); a (priority 150, preemption on) is master before every trial and b (100) \
            takes over. Switchover: SIGTERM of the master (priority 0 advert)."
            .into(),
    });
    Some(t)
}

/// Median of baton's primary metric over keepalived's, per scenario and interval.
fn ratio_table(series: &[Series], intervals: &[u64]) -> Option<Table> {
    let mut t = Table::new(
        "baton / keepalived (medians from this run)",
        &[
            "scenario",
            "interval ms",
            "baton median ms",
            "keepalived median ms",
            "ratio",
        ],
    );
    for scenario in SCENARIOS {
        for &interval in intervals {
            let b = find(
                series,
                System::Baton,
                scenario,
                interval,
                metric::ACTIVE_CONFIRMED,
            )
            .and_then(Series::summary);
            let k = find(
                series,
                System::Keepalived,
                scenario,
                interval,
                metric::NEW_MASTER,
            )
            .and_then(Series::summary);
            if let (Some(b), Some(k)) = (b, k) {
                let ratio = if k.median > 0.0 {
                    format!("{:.3}", b.median / k.median)
                } else {
                    "-".into()
                };
                t.row(vec![
                    scenario.name().into(),
                    interval.to_string(),
                    format!("{:.2}", b.median),
                    format!("{:.2}", k.median),
                    ratio,
                ]);
            }
        }
    }
    if t.rows.is_empty() {
        return None;
    }
    t.notes.push(
        "baton: until the new active node's components have all confirmed `setRole` (switchover: \
         roles swapped and confirmed). keepalived: until the backup's MASTER notification; its \
         switchover is a graceful stop of the master (priority 0), keepalived having no \
         switchover command."
            .into(),
    );
    Some(t)
}

/// TLS over plaintext: the medians of both baton pairs, per scenario, interval and metric
/// (the metrics both pairs report; the components' stand-down is the watchdog's and left out).
fn tls_table(series: &[Series], intervals: &[u64]) -> Option<Table> {
    let mut t = Table::new(
        "baton TLS / plaintext (medians from this run)",
        &[
            "scenario",
            "interval ms",
            "measured from the fault to",
            "plaintext median ms",
            "TLS median ms",
            "ratio",
        ],
    );
    for scenario in SCENARIOS {
        for &interval in intervals {
            for m in [metric::ACTIVE_CONFIRMED, metric::STATUS_ACTIVE] {
                let median =
                    |system| find(series, system, scenario, interval, m).and_then(Series::summary);
                if let (Some(p), Some(s)) = (median(System::Baton), median(System::BatonTls)) {
                    let ratio = if p.median > 0.0 {
                        format!("{:.3}", s.median / p.median)
                    } else {
                        "-".into()
                    };
                    t.row(vec![
                        scenario.name().into(),
                        interval.to_string(),
                        m.into(),
                        format!("{:.2}", p.median),
                        format!("{:.2}", s.median),
                        ratio,
                    ]);
                }
            }
        }
    }
    if t.rows.is_empty() {
        return None;
    }
    t.notes.push(
        "Both pairs in the same run, one after the other, with the same trials. The goal: TLS \
         at most 1.2 times plaintext for crash failover and switchover."
            .into(),
    );
    Some(t)
}

/// The failover tables of a run, in report order.
pub fn tables(series: &[Series], intervals: &[u64]) -> Vec<Table> {
    [
        system_table(series, System::Baton, intervals, "baton pair (loopback)"),
        system_table(
            series,
            System::Keepalived,
            intervals,
            "keepalived 2.2.7 pair (two network namespaces, VRRPv3 unicast)",
        ),
        ratio_table(series, intervals),
        system_table(
            series,
            System::BatonTls,
            intervals,
            "baton pair with mutual TLS (loopback)",
        ),
        tls_table(series, intervals),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(system: System, scenario: Scenario, metric: &str, samples: &[f64]) -> Series {
        Series {
            system,
            scenario,
            interval_ms: 10,
            metric: metric.into(),
            samples_ms: samples.to_vec(),
            missed: 0,
        }
    }

    #[test]
    fn ratios_pair_the_primary_metrics() {
        let series = vec![
            s(
                System::Baton,
                Scenario::Crash,
                metric::ACTIVE_CONFIRMED,
                &[1.0, 2.0, 3.0],
            ),
            s(
                System::Baton,
                Scenario::Crash,
                metric::STATUS_ACTIVE,
                &[9.0],
            ),
            s(
                System::Keepalived,
                Scenario::Crash,
                metric::NEW_MASTER,
                &[40.0, 38.0, 39.0],
            ),
            s(
                System::Baton,
                Scenario::Silent,
                metric::ACTIVE_CONFIRMED,
                &[30.0],
            ),
        ];
        let t = tables(&series, &[10]);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].rows.len(), 3, "baton: crash x2 metrics, silent x1");
        let ratios = &t[2];
        assert_eq!(ratios.rows.len(), 1, "silent has no keepalived figure");
        assert_eq!(ratios.rows[0][4], "0.051");
    }

    #[test]
    fn tls_ratios_pair_the_two_baton_pairs() {
        let series = vec![
            s(
                System::Baton,
                Scenario::Crash,
                metric::ACTIVE_CONFIRMED,
                &[10.0, 20.0, 30.0],
            ),
            s(
                System::BatonTls,
                Scenario::Crash,
                metric::ACTIVE_CONFIRMED,
                &[22.0, 24.0, 26.0],
            ),
            s(
                System::BatonTls,
                Scenario::Crash,
                metric::STATUS_ACTIVE,
                &[5.0],
            ),
        ];
        let t = tables(&series, &[10]);
        assert_eq!(t.len(), 3, "baton, baton TLS, TLS / plaintext");
        assert_eq!(t[1].title, "baton pair with mutual TLS (loopback)");
        assert_eq!(t[1].rows.len(), 2);
        let ratios = &t[2];
        assert_eq!(
            ratios.title,
            "baton TLS / plaintext (medians from this run)"
        );
        assert_eq!(
            ratios.rows,
            vec![vec![
                "crash (SIGKILL)".to_owned(),
                "10".into(),
                metric::ACTIVE_CONFIRMED.into(),
                "20.00".into(),
                "24.00".into(),
                "1.200".into(),
            ]],
            "the status metric has no plaintext figure"
        );
    }

    #[test]
    fn nothing_measured_gives_no_table() {
        assert!(tables(&[], &[10]).is_empty());
    }
}
