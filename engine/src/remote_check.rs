//! Checks from the client's side (seed 004; PROTOCOL 6.8): a standby member runs
//! `remote_check` against the active's service and, when `failures` checks in a row fail while
//! the active says it is healthy, reports it (and with `handover`, asks for the service). An
//! `uplink_check` that fails makes the standby blame itself instead. [`RemoteCheck`] holds the
//! timing and counting rules, sans-IO: the node tells it whom to check, the driver runs the
//! commands ([`crate::Event::RemoteCheck`]) and reports each run's [`RemoteOutcome`].

use baton_core::Instant;
use std::fmt;
use std::time::Duration;

/// `remote_check_*` keys of a member's configuration (the commands themselves are the
/// driver's: [`crate::RemoteCheckCommands`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteCheckConfig {
    /// Time from the end of one run to the start of the next (`remote_check_interval_ms`,
    /// default 1 s).
    pub interval: Duration,
    /// Failed checks in a row that make the verdict [`RemoteVerdict::Failing`]
    /// (`remote_check_failures`, default 3, at least 1).
    pub failures: u32,
    /// Ask for the service when failing (`remote_check_handover`, default false).
    pub handover: bool,
}

impl Default for RemoteCheckConfig {
    fn default() -> Self {
        RemoteCheckConfig {
            interval: Duration::from_secs(1),
            failures: 3,
            handover: false,
        }
    }
}

/// What one run found: the driver runs `uplink_check` (if configured) first, and the remote
/// check only if the uplink is fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteOutcome {
    /// The remote check exited 0 in time.
    Ok,
    /// The remote check failed (non-zero exit, or killed at its timeout).
    Failed,
    /// This member's own `uplink_check` failed: the remote check was not run.
    UplinkFailed,
}

/// What the standby says of the active's service (the `remote=` word of its status line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteVerdict {
    /// Nothing to report: not checking, or fewer than `failures` failures in a row.
    Ok,
    /// `failures` checks in a row failed while the active said it is healthy:
    /// `remote=failing`, or `remote=handover` when this member asks for the service.
    Failing,
    /// This member's own uplink check failed: it blames itself (`remote=uplink-failing`).
    UplinkFailing,
}

impl RemoteVerdict {
    /// The status line word for this verdict (PROTOCOL 6.7), `None` for [`RemoteVerdict::Ok`].
    pub fn word(self, handover: bool) -> Option<&'static str> {
        match self {
            RemoteVerdict::Ok => None,
            RemoteVerdict::Failing if handover => Some("remote=handover"),
            RemoteVerdict::Failing => Some("remote=failing"),
            RemoteVerdict::UplinkFailing => Some("remote=uplink-failing"),
        }
    }
}

impl fmt::Display for RemoteVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RemoteVerdict::Ok => "ok",
            RemoteVerdict::Failing => "failing",
            RemoteVerdict::UplinkFailing => "uplink failing",
        })
    }
}

/// A run the driver is asked to make: check member `member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteRun {
    /// Names the run in [`RemoteCheck::handle_done`].
    pub id: u64,
    /// The member checked (its index in the configuration).
    pub member: usize,
}

/// The standby's remote check (see the module docs). Runs only while it has a target: the
/// node sets one while it is Standby and a member reports `active`
/// ([`RemoteCheck::set_target`]). Never two runs at once; the next run is due `interval`
/// after the last one ended. A change of target forgets the count and the verdict, and the
/// result of a run still out.
#[derive(Debug, Clone)]
pub struct RemoteCheck {
    config: RemoteCheckConfig,
    target: Option<usize>,
    due: Option<Instant>,
    running: Option<RemoteRun>,
    next_id: u64,
    in_a_row: u32,
    verdict: RemoteVerdict,
    failures_total: u64,
    runs: Vec<RemoteRun>,
}

impl RemoteCheck {
    /// A check with no target.
    pub fn new(config: RemoteCheckConfig) -> Self {
        RemoteCheck {
            config,
            target: None,
            due: None,
            running: None,
            next_id: 1,
            in_a_row: 0,
            verdict: RemoteVerdict::Ok,
            failures_total: 0,
            runs: Vec::new(),
        }
    }

    /// The member to check from now on (`None`: stop checking). A new target is first
    /// checked one interval from `now`; the same target again changes nothing.
    pub fn set_target(&mut self, now: Instant, target: Option<usize>) {
        if target == self.target {
            return;
        }
        self.target = target;
        self.running = None;
        self.in_a_row = 0;
        self.verdict = RemoteVerdict::Ok;
        self.due = target.map(|_| now + self.config.interval);
    }

    /// Starts the run due at `now`, if any ([`RemoteCheck::poll_run`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        let (Some(due), Some(member), None) = (self.due, self.target, self.running) else {
            return;
        };
        if due > now {
            return;
        }
        let run = RemoteRun {
            id: self.next_id,
            member,
        };
        self.next_id += 1;
        self.due = None;
        self.running = Some(run);
        self.runs.push(run);
    }

    /// The end of run `id`. The result of a run no longer waited for (the target changed
    /// meanwhile) is dropped. Returns whether the verdict changed.
    pub fn handle_done(&mut self, now: Instant, id: u64, outcome: RemoteOutcome) -> bool {
        if self.running.map(|r| r.id) != Some(id) {
            return false;
        }
        self.running = None;
        self.due = Some(now + self.config.interval);
        let before = self.verdict;
        match outcome {
            RemoteOutcome::Ok => {
                self.in_a_row = 0;
                self.verdict = RemoteVerdict::Ok;
            }
            RemoteOutcome::Failed => {
                self.in_a_row = self.in_a_row.saturating_add(1);
                self.failures_total += 1;
                if self.in_a_row >= self.config.failures {
                    self.verdict = RemoteVerdict::Failing;
                } else if self.verdict == RemoteVerdict::UplinkFailing {
                    // The uplink check passed (the remote check ran): no more self-blame.
                    self.verdict = RemoteVerdict::Ok;
                }
            }
            RemoteOutcome::UplinkFailed => {
                self.in_a_row = 0;
                self.verdict = RemoteVerdict::UplinkFailing;
            }
        }
        self.verdict != before
    }

    /// The next run to hand the driver.
    pub fn poll_run(&mut self) -> Option<RemoteRun> {
        if self.runs.is_empty() {
            None
        } else {
            Some(self.runs.remove(0))
        }
    }

    /// When the next run is due (none while one is out or without a target).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.running.is_none().then_some(self.due).flatten()
    }

    /// The verdict.
    pub fn verdict(&self) -> RemoteVerdict {
        self.verdict
    }

    /// Whether this member asks for the service: failing, with `handover` configured.
    pub fn asks_handover(&self) -> bool {
        self.verdict == RemoteVerdict::Failing && self.config.handover
    }

    /// The member checked, if any.
    pub fn target(&self) -> Option<usize> {
        self.target
    }

    /// Failed remote checks since the node started (`baton_remote_check_failures_total`).
    pub fn failures_total(&self) -> u64 {
        self.failures_total
    }

    /// The status line word (PROTOCOL 6.7), if any.
    pub fn word(&self) -> Option<&'static str> {
        self.verdict.word(self.config.handover)
    }
}
