//! The baton pair: crash (SIGKILL), silent failure (SIGSTOP) and planned switchover, at every
//! heartbeat interval, with dual-active moments counted.
//!
//! Two `baton node` processes on loopback ([`pair`]), each with two fatal linked components
//! hosted in this process; an instance serves from the `setRole(active)` it receives until
//! it stands down, and [`track`] counts the moments two instances of one service served at
//! once. Before each trial the pair is settled: one node Active with both components serving
//! and confirmed, the other Standby with both components registered. Times are ms from just
//! before the signal (or the switchover command), on the harness's one monotonic clock.
//!
//! With `--tls` a second pair follows the plaintext one: the same trials with `[tls]` in both
//! members' files (mutual TLS on the peer links and the status listeners, PROTOCOL 3.4), the
//! watchers presenting a read-only client certificate; its series are [`System::BatonTls`].

pub mod pair;
pub mod track;

use crate::report::{metric, Scenario, Series, System, Table};
use crate::Options;
use baton_component::Role;
use baton_status::State;
use pair::{Pair, Record, What, COMPONENTS, NAMES};
use std::time::Duration;
use tokio::time::Instant;

const SCENARIOS: [Scenario; 3] = [Scenario::Crash, Scenario::Silent, Scenario::Switchover];

/// What one trial measured, ms from the fault (`None`: did not happen in time).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcome {
    /// The new active's components all confirmed active (switchover: and the old active's
    /// all confirmed standby).
    pub confirmed: Option<f64>,
    /// The new active's status watcher told `active`.
    pub status: Option<f64>,
    /// The old active's components all stood down (crash and silent only).
    pub demoted: Option<f64>,
}

/// Folds the records of one trial into its [`Outcome`]. Pure, so that it can be tested.
#[derive(Debug, Clone)]
pub struct Measure {
    scenario: Scenario,
    t0: Instant,
    old: usize,
    new_active: Vec<Option<f64>>,
    old_standby: Vec<Option<f64>>,
    old_down: Vec<Option<f64>>,
    status: Option<f64>,
}

fn ms(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1000.0
}

fn last(of: &[Option<f64>]) -> Option<f64> {
    of.iter().try_fold(0.0f64, |acc, x| x.map(|x| acc.max(x)))
}

impl Measure {
    /// A trial of `scenario` against the active node `old`, from `t0`.
    pub fn new(scenario: Scenario, t0: Instant, old: usize) -> Measure {
        Measure {
            scenario,
            t0,
            old,
            new_active: vec![None; COMPONENTS.len()],
            old_standby: vec![None; COMPONENTS.len()],
            old_down: vec![None; COMPONENTS.len()],
            status: None,
        }
    }

    /// Takes one record into account (records from before `t0` are ignored).
    pub fn record(&mut self, r: &Record) {
        if r.at < self.t0 || r.node > 1 {
            return;
        }
        let t = ms(self.t0, r.at);
        let first = |slot: &mut Option<f64>| {
            if slot.is_none() {
                *slot = Some(t);
            }
        };
        let new = 1 - self.old;
        match &r.what {
            What::Status(Some(s)) if r.node == new && s.state == State::Active => {
                first(&mut self.status)
            }
            What::Confirmed {
                comp,
                role: Role::Active,
            } if r.node == new => {
                if let Some(slot) = self.new_active.get_mut(*comp) {
                    first(slot);
                }
            }
            What::Confirmed {
                comp,
                role: Role::Standby,
            } if r.node == self.old => {
                if let Some(slot) = self.old_standby.get_mut(*comp) {
                    first(slot);
                }
            }
            What::StoodDown { comp } if r.node == self.old => {
                if let Some(slot) = self.old_down.get_mut(*comp) {
                    first(slot);
                }
            }
            _ => {}
        }
    }

    /// What was measured so far.
    pub fn outcome(&self) -> Outcome {
        match self.scenario {
            Scenario::Switchover => Outcome {
                confirmed: last(&self.new_active)
                    .and_then(|a| last(&self.old_standby).map(|s| a.max(s))),
                status: self.status,
                demoted: None,
            },
            Scenario::Crash | Scenario::Silent => Outcome {
                confirmed: last(&self.new_active),
                status: self.status,
                demoted: last(&self.old_down),
            },
        }
    }

    /// Whether every event of the scenario happened.
    pub fn complete(&self) -> bool {
        let o = self.outcome();
        o.confirmed.is_some()
            && o.status.is_some()
            && (self.scenario == Scenario::Switchover || o.demoted.is_some())
    }
}

/// The three series of one scenario at one interval.
struct Sink {
    confirmed: Series,
    status: Series,
    demoted: Option<Series>,
}

impl Sink {
    fn new(system: System, scenario: Scenario, interval_ms: u64) -> Sink {
        let s = |metric: &str| Series {
            system,
            scenario,
            interval_ms,
            metric: metric.into(),
            samples_ms: Vec::new(),
            missed: 0,
        };
        Sink {
            confirmed: s(metric::ACTIVE_CONFIRMED),
            status: s(metric::STATUS_ACTIVE),
            demoted: (scenario != Scenario::Switchover).then(|| s(metric::OLD_DEMOTED)),
        }
    }

    fn add(&mut self, o: Outcome) {
        fn put(series: &mut Series, v: Option<f64>) {
            match v {
                Some(v) => series.samples_ms.push(v),
                None => series.missed += 1,
            }
        }
        put(&mut self.confirmed, o.confirmed);
        put(&mut self.status, o.status);
        if let Some(d) = self.demoted.as_mut() {
            put(d, o.demoted);
        }
    }

    fn into_series(self) -> Vec<Series> {
        let mut v = vec![self.confirmed, self.status];
        v.extend(self.demoted);
        v
    }
}

/// Dual-active and recovery counts of one scenario at one interval.
#[derive(Debug, Default)]
struct Tally {
    trials: usize,
    moments: usize,
    overlap: Duration,
    resets: usize,
    unsettled: usize,
    both_active: usize,
    details: Vec<String>,
}

fn short(s: Scenario) -> &'static str {
    match s {
        Scenario::Crash => "crash",
        Scenario::Silent => "silent",
        Scenario::Switchover => "switchover",
    }
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "MISSED".into(), |v| format!("{v:.1} ms"))
}

/// Runs every scenario at every interval; returns the series and the dual-active table.
pub fn run(opts: &Options) -> Result<(Vec<Series>, Vec<Table>), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let root = std::env::temp_dir().join(format!("baton-bench-{}-failover", std::process::id()));
    let result = runtime.block_on(run_all(opts, &root));
    if opts.keep {
        crate::progress(
            "failover",
            format!("configurations and logs kept in {}", root.display()),
        );
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
    result
}

async fn run_all(
    opts: &Options,
    root: &std::path::Path,
) -> Result<(Vec<Series>, Vec<Table>), String> {
    let mut series = Vec::new();
    let mut table = Table::new(
        "baton dual-active moments",
        &[
            "scenario",
            "interval ms",
            "dual-active moments",
            "total overlap ms",
            "trials",
            "pair resets",
            "changed by itself before a fault",
            "both nodes active after the fault",
        ],
    );
    let mut loud = Vec::new();
    let mut rows = Vec::new();
    let mut pairs = vec![(System::Baton, None)];
    if opts.tls {
        pairs.push((System::BatonTls, Some(make_certs(opts, root)?)));
    }
    for (system, certs) in &pairs {
        for &interval in &opts.intervals {
            let name = match system {
                System::BatonTls => format!("tls-hb{interval}"),
                _ => format!("hb{interval}"),
            };
            let (s, tallies) =
                run_interval(opts, *system, certs.as_deref(), interval, root.join(name)).await?;
            series.extend(s);
            for (scenario, t) in tallies {
                rows.push((*system, scenario, interval, t));
            }
        }
    }
    for (system, _) in &pairs {
        for scenario in SCENARIOS {
            for (_, s, interval, t) in rows
                .iter()
                .filter(|(y, s, _, _)| *s == scenario && y == system)
            {
                let name = scenario_name(*system, *s);
                table.row(vec![
                    name.clone(),
                    interval.to_string(),
                    t.moments.to_string(),
                    format!("{:.1}", t.overlap.as_secs_f64() * 1000.0),
                    t.trials.to_string(),
                    t.resets.to_string(),
                    t.unsettled.to_string(),
                    t.both_active.to_string(),
                ]);
                for d in &t.details {
                    loud.push(format!("- {name} at {interval} ms: {d}"));
                }
            }
        }
    }
    table.notes.push(
        "A dual-active moment: a component instance receiving `setRole(active)` while its twin \
         on the other node still served (from its own `setRole(active)` until `setRole(standby)` \
         or its watchdog); overlap: the time both served. Counted over each trial and the \
         recovery after it. Pair resets: trials after which the pair was killed and restarted \
         (an event missed, or no settle). Changed by itself: the settled pair was no longer \
         settled just before a fault (no fault injected; settled again before the trial). Both nodes active after the fault: the pair stayed \
         with two Active nodes after SIGCONT until the settle timeout. Rows marked \
         \"with TLS\": the pair with `[tls]` (mutual TLS on the peer links and status listeners)."
            .into(),
    );
    if !loud.is_empty() {
        table.notes.push(loud.join("\n"));
    }
    Ok((series, vec![table]))
}

/// A scenario's name in the dual-active table, marked for the TLS pair.
fn scenario_name(system: System, scenario: Scenario) -> String {
    match system {
        System::BatonTls => format!("{} with TLS", scenario.name()),
        _ => scenario.name().into(),
    }
}

/// The cluster's certificates, made once per run with the built `baton certs` in
/// `root/certs`: the CA, alpha's and beta's, and `bench`, the watchers' read-only client.
fn make_certs(opts: &Options, root: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let dir = root.join("certs");
    let mut init = vec!["certs".to_owned(), "init".into(), dir.display().to_string()];
    init.extend(NAMES.iter().map(|n| (*n).to_owned()));
    let client = ["certs", "client", &dir.display().to_string(), "bench"].map(String::from);
    for args in [init, client.to_vec()] {
        let out = std::process::Command::new(opts.baton_exe())
            .args(&args)
            .output()
            .map_err(|e| format!("cannot run baton {}: {e}", args.join(" ")))?;
        if !out.status.success() {
            return Err(format!(
                "baton {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(dir)
}

/// How long to wait for one trial's events.
fn trial_timeout(heartbeat: Duration) -> Duration {
    10 * 3 * heartbeat + Duration::from_secs(5)
}

async fn run_interval(
    opts: &Options,
    system: System,
    certs: Option<&std::path::Path>,
    interval: u64,
    dir: std::path::PathBuf,
) -> Result<(Vec<Series>, Vec<(Scenario, Tally)>), String> {
    let mut pair = Pair::start(
        dir,
        opts.baton_exe(),
        certs,
        interval,
        "info",
        opts.keep,
        false,
    )
    .await?;
    let tls = if certs.is_some() { " with TLS" } else { "" };
    let heartbeat = pair.heartbeat;
    let timeout = trial_timeout(heartbeat);
    let settle_timeout = timeout + Duration::from_secs(5);
    crate::progress(
        "failover",
        format!(
            "heartbeat {interval} ms: pair{tls} starting in {}",
            pair.dir().display()
        ),
    );
    let mut active = pair
        .settle(settle_timeout)
        .await
        .map_err(|e| format!("heartbeat {interval} ms{tls}: {e}"))?;
    let _ = pair.take_overlaps();
    let mut series = Vec::new();
    let mut tallies = Vec::new();
    for scenario in SCENARIOS {
        let mut sink = Sink::new(system, scenario, interval);
        let mut tally = Tally::default();
        for trial in 1..=opts.trials {
            let label = format!(
                "{}{tls} {interval} ms {trial}/{}",
                short(scenario),
                opts.trials
            );
            let (outcome, recovered) = run_trial(
                &mut pair,
                scenario,
                active,
                timeout,
                settle_timeout,
                &mut tally,
                &label,
            )
            .await?;
            sink.add(outcome);
            tally.trials += 1;
            active = recovered;
            let overlaps = pair.take_overlaps();
            tally.moments += overlaps.moments.len();
            tally.overlap += overlaps.overlap;
            for m in &overlaps.moments {
                let d = format!(
                    "trial {trial}: component {} on {} started serving beside its twin",
                    COMPONENTS.get(m.service).unwrap_or(&"?"),
                    NAMES.get(m.node).unwrap_or(&"?"),
                );
                crate::progress("failover", format!("DUAL ACTIVE: {label}: {d}"));
                tally.details.push(d);
            }
            let mut line = format!(
                "{label}: confirmed {}, status {}",
                fmt_ms(outcome.confirmed),
                fmt_ms(outcome.status)
            );
            if scenario != Scenario::Switchover {
                line += &format!(", old demoted {}", fmt_ms(outcome.demoted));
            }
            if !overlaps.moments.is_empty() {
                line += &format!(
                    ", {} dual-active moment(s), {:.1} ms overlap",
                    overlaps.moments.len(),
                    overlaps.overlap.as_secs_f64() * 1000.0
                );
            }
            crate::progress("failover", line);
        }
        series.extend(sink.into_series());
        tallies.push((scenario, tally));
    }
    Ok((series, tallies))
}

/// A random number in [0, 1) (from the standard library's randomly seeded hasher).
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Waits a random phase of the heartbeat, then makes sure the pair is still settled with
/// `old` active; a change with no fault injected is counted and the pair settled again
/// (reset after two failed settles). Returns the active node to fault.
async fn settle_before_fault(
    pair: &mut Pair,
    mut old: usize,
    settle_timeout: Duration,
    tally: &mut Tally,
    label: &str,
) -> Result<usize, String> {
    // A random delay in [0, heartbeat), so that the fault falls at a random phase of the
    // heartbeats (as a real one would; the settle that ends a recovery is in step with
    // them). The records meanwhile are of no use.
    for attempt in 0.. {
        let phase = pair.heartbeat.mul_f64(random_fraction());
        pair.drain_until(Instant::now() + phase).await;
        if pair.settled() == Some(old) {
            break;
        }
        // Something changed a role with no fault injected: count it, settle again.
        tally.unsettled += 1;
        let d = format!(
            "the pair changed by itself before the fault ({})",
            pair.describe()
        );
        crate::progress("failover", format!("{label}: {d}"));
        tally.details.push(d);
        match pair.settle(settle_timeout).await {
            Ok(a) => old = a,
            Err(e) if attempt < 2 => {
                crate::progress("failover", format!("{label}: {e}; resetting"));
                tally.resets += 1;
                pair.reset()?;
                old = pair.settle(settle_timeout).await?;
            }
            Err(e) => return Err(format!("{label}: {e}")),
        }
    }
    Ok(old)
}

/// One trial and the recovery after it; returns what was measured and the active node
/// of the settled pair afterwards.
async fn run_trial(
    pair: &mut Pair,
    scenario: Scenario,
    old: usize,
    timeout: Duration,
    settle_timeout: Duration,
    tally: &mut Tally,
    label: &str,
) -> Result<(Outcome, usize), String> {
    let mut old = old;
    let mut refusals = 0;
    let t0 = loop {
        old = settle_before_fault(pair, old, settle_timeout, tally, label).await?;
        match scenario {
            Scenario::Crash => break pair.kill(old)?,
            Scenario::Silent => break pair.stop(old)?,
            Scenario::Switchover => match pair.switchover(old).await? {
                Some(t0) => break t0,
                // The node stood down between the harness's last record and the command
                // (a spurious handover on a busy machine): counted like any change with
                // no fault injected, and the trial starts again.
                None if refusals < 5 => {
                    refusals += 1;
                    tally.unsettled += 1;
                    let d = format!(
                        "{} was no longer active when asked to switch over ({})",
                        NAMES[old],
                        pair.describe()
                    );
                    crate::progress("failover", format!("{label}: {d}"));
                    tally.details.push(d);
                }
                None => {
                    return Err(format!(
                        "{label}: {} refused the switchover five times: not active",
                        NAMES[old]
                    ))
                }
            },
        }
    };
    pair.mark(t0, &format!("{label}: fault on {}", NAMES[old]));
    let deadline = t0 + timeout;
    let mut measure = Measure::new(scenario, t0, old);
    while !measure.complete() {
        match pair.next(deadline).await {
            Some(r) => measure.record(&r),
            None => break,
        }
    }
    let outcome = measure.outcome();
    let missed = !measure.complete();
    if missed {
        crate::progress(
            "failover",
            format!(
                "{label}: MISSED an event within {timeout:?} ({}); resetting the pair",
                pair.describe()
            ),
        );
    }

    // Recovery.
    let mut settled: Result<usize, String> = Err("not tried".into());
    if !missed {
        let step = match scenario {
            Scenario::Crash => pair.restart(old),
            Scenario::Silent => pair.resume(old),
            Scenario::Switchover => Ok(()),
        };
        settled = match step {
            Ok(()) => pair.settle(settle_timeout).await,
            Err(e) => Err(e),
        };
        if let Err(e) = &settled {
            if pair.both_active() {
                tally.both_active += 1;
                let d = format!("BOTH NODES ACTIVE until the settle timeout: {e}");
                crate::progress("failover", format!("{label}: {d}"));
                tally.details.push(d);
            } else {
                crate::progress("failover", format!("{label}: no settle ({e}); resetting"));
            }
        }
    } else if scenario == Scenario::Silent {
        let _ = pair.resume(old);
    }
    match settled {
        Ok(a) => Ok((outcome, a)),
        Err(_) => {
            tally.resets += 1;
            let mut last = String::new();
            for _ in 0..3 {
                pair.reset()?;
                match pair.settle(settle_timeout).await {
                    Ok(a) => return Ok((outcome, a)),
                    Err(e) => {
                        crate::progress("failover", format!("{label}: reset did not settle: {e}"));
                        last = e;
                    }
                }
            }
            Err(format!(
                "{label}: the pair does not settle after three resets: {last}"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_status::ServiceStatus;

    fn rec(t0: Instant, ms: u64, node: usize, what: What) -> Record {
        Record {
            at: t0 + Duration::from_millis(ms),
            node,
            what,
        }
    }

    fn status(state: State) -> What {
        What::Status(Some(ServiceStatus::new(state)))
    }

    #[test]
    fn a_crash_takes_the_last_component_of_each_side() {
        let t0 = Instant::now();
        let mut m = Measure::new(Scenario::Crash, t0, 0);
        // Before the fault: ignored.
        m.record(&Record {
            at: t0 - Duration::from_millis(1),
            node: 1,
            what: What::Confirmed {
                comp: 0,
                role: Role::Active,
            },
        });
        m.record(&rec(t0, 1, 0, What::StoodDown { comp: 1 }));
        m.record(&rec(
            t0,
            2,
            1,
            What::Confirmed {
                comp: 0,
                role: Role::Active,
            },
        ));
        m.record(&rec(t0, 3, 1, status(State::Promoting)));
        assert!(!m.complete());
        m.record(&rec(t0, 4, 0, What::StoodDown { comp: 0 }));
        m.record(&rec(
            t0,
            5,
            1,
            What::Confirmed {
                comp: 1,
                role: Role::Active,
            },
        ));
        // The old node's status is not the new active's.
        m.record(&rec(t0, 6, 0, status(State::Active)));
        assert!(!m.complete());
        m.record(&rec(t0, 7, 1, status(State::Active)));
        m.record(&rec(t0, 9, 1, status(State::Active)));
        assert!(m.complete());
        assert_eq!(
            m.outcome(),
            Outcome {
                confirmed: Some(5.0),
                status: Some(7.0),
                demoted: Some(4.0)
            }
        );
    }

    #[test]
    fn a_switchover_needs_both_sides_confirmed() {
        let t0 = Instant::now();
        let mut m = Measure::new(Scenario::Switchover, t0, 1);
        m.record(&rec(
            t0,
            1,
            1,
            What::Confirmed {
                comp: 0,
                role: Role::Standby,
            },
        ));
        m.record(&rec(
            t0,
            1,
            1,
            What::Confirmed {
                comp: 1,
                role: Role::Standby,
            },
        ));
        m.record(&rec(
            t0,
            2,
            0,
            What::Confirmed {
                comp: 0,
                role: Role::Active,
            },
        ));
        m.record(&rec(t0, 3, 0, status(State::Active)));
        assert!(
            !m.complete(),
            "component 1 of the new active has not confirmed"
        );
        assert_eq!(m.outcome().confirmed, None);
        m.record(&rec(
            t0,
            4,
            0,
            What::Confirmed {
                comp: 1,
                role: Role::Active,
            },
        ));
        assert!(m.complete());
        let o = m.outcome();
        assert_eq!(
            (o.confirmed, o.status, o.demoted),
            (Some(4.0), Some(3.0), None)
        );
    }

    #[test]
    fn random_fractions_are_fractions() {
        let v: Vec<f64> = (0..100).map(|_| random_fraction()).collect();
        assert!(v.iter().all(|f| (0.0..1.0).contains(f)));
        assert!(v.iter().any(|f| *f != v[0]), "not all equal");
    }

    #[test]
    fn missed_events_count_as_missed() {
        let mut sink = Sink::new(System::Baton, Scenario::Silent, 10);
        sink.add(Outcome {
            confirmed: Some(30.0),
            status: None,
            demoted: Some(20.0),
        });
        sink.add(Outcome::default());
        let v = sink.into_series();
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].samples_ms.len(), v[0].missed), (1, 1));
        assert_eq!((v[1].samples_ms.len(), v[1].missed), (0, 2));
        assert_eq!(v[2].metric, metric::OLD_DEMOTED);
        assert!(Sink::new(System::Baton, Scenario::Switchover, 10)
            .demoted
            .is_none());
    }
}
