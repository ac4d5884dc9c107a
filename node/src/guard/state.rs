//! The guard's state machine (PROTOCOL 6.3, the script guard), sans-IO: lines from the node,
//! the end of its stdin and the time come in; what to run, what to tell the node, what to
//! log and when to exit come out ([`Output`]). The process around it is `run.rs`.
//!
//! - Every line from the node is a sign of life. Silence longer than the bound (a stopped or
//!   stalled node) runs the job of every armed component, in the order they were armed; the
//!   components are remembered as stood down, and reported ([`Report`]) at the first line
//!   heard after the jobs ended, so that the node stops believing them active.
//! - The end of stdin without `bye` (the node died) runs the same jobs, then exits.
//! - `bye` (a clean exit: the node ran its own exit jobs) exits without running anything.

use super::wire::{Arm, BadLine, Report, ToGuard};
use baton_core::Instant;
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// Why the guard runs the jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Nothing came from the node for longer than the bound.
    Silent,
    /// The node's end of the pipe closed without `bye`: it died.
    Gone,
}

/// What the guard does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Run these jobs one after another (every hook of each), then call
    /// [`Guard::handle_ran`] with each one's result.
    Run {
        /// Why.
        why: Why,
        /// The components' jobs, in the order they were armed.
        arms: Vec<Arm>,
    },
    /// Tell the node (a line on stdout).
    Report(Report),
    /// A line for the log (stderr).
    Log(Note),
    /// Exit (status 0).
    Exit,
}

/// Something worth a log line; its `Display` is the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The node fell silent, or went away, with these components armed (ids).
    Acting {
        /// Why.
        why: Why,
        /// How long the node has been silent.
        silent: Duration,
        /// The component ids.
        components: Vec<String>,
    },
    /// A job the guard ran ended.
    Ran {
        /// The component id.
        component: String,
        /// Whether every hook succeeded.
        ok: bool,
    },
    /// The node was heard again after the guard stood components down: told to it.
    NodeBack {
        /// How many components are reported.
        reported: usize,
    },
    /// A line that could not be read (skipped).
    Bad(BadLine),
    /// `bye`, or the end of stdin with nothing armed: the guard exits.
    Done,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Acting {
                why,
                silent,
                components,
            } => {
                let what = match why {
                    Why::Silent => "node silent",
                    Why::Gone => "node gone",
                };
                let ms = silent.as_millis();
                let ids = components.join(" ");
                write!(f, "{what} ({ms} ms since last heard): deactivating {ids}")
            }
            Note::Ran { component, ok } => {
                let how = if *ok { "stood down" } else { "a hook failed" };
                write!(f, "component {component}: {how}")
            }
            Note::NodeBack { reported } => write!(
                f,
                "node heard again: told it of {reported} component(s) stood down"
            ),
            Note::Bad(e) => write!(f, "skipped: {e}"),
            Note::Done => f.write_str("exiting"),
        }
    }
}

/// The guard of one node's script components.
#[derive(Debug)]
pub struct Guard {
    bound: Duration,
    last_heard: Instant,
    /// Components to stand down if the node dies or falls silent, in arming order.
    armed: Vec<Arm>,
    /// Stood down while the node was silent, not yet reported.
    unreported: Vec<Report>,
    /// Jobs are out (between [`Output::Run`] and [`Guard::handle_ran`]).
    running: bool,
    /// The end of stdin came: exit once no jobs are out.
    gone: bool,
    /// `bye`, or the end of stdin and every job ran: nothing more is taken.
    done: bool,
    out: VecDeque<Output>,
}

impl Guard {
    /// A guard started at `now` that acts after `bound` of silence.
    pub fn new(now: Instant, bound: Duration) -> Guard {
        Guard {
            bound,
            last_heard: now,
            armed: Vec::new(),
            unreported: Vec::new(),
            running: false,
            gone: false,
            done: false,
            out: VecDeque::new(),
        }
    }

    /// The ids of the armed components, in arming order.
    pub fn armed(&self) -> Vec<&str> {
        self.armed.iter().map(Arm::component).collect()
    }

    /// One line from the node (without its `\n`).
    pub fn handle_line(&mut self, now: Instant, line: &str) {
        if self.done || self.gone {
            return;
        }
        self.last_heard = now;
        if !self.running && !self.unreported.is_empty() {
            let reported = self.unreported.len();
            self.out.push_back(Output::Log(Note::NodeBack { reported }));
            for r in self.unreported.drain(..) {
                self.out.push_back(Output::Report(r));
            }
        }
        match ToGuard::parse(line) {
            Ok(ToGuard::Beat) => {}
            Ok(ToGuard::Arm(arm)) => match self
                .armed
                .iter_mut()
                .find(|a| a.component() == arm.component())
            {
                Some(a) => *a = *arm,
                None => self.armed.push(*arm),
            },
            Ok(ToGuard::Disarm { component, seq }) => self
                .armed
                .retain(|a| !(a.component() == component && a.seq == seq)),
            Ok(ToGuard::Bye) => {
                self.armed.clear();
                self.finish();
            }
            Err(e) => self.out.push_back(Output::Log(Note::Bad(e))),
        }
    }

    /// The node's end of stdin closed.
    pub fn handle_eof(&mut self, now: Instant) {
        if self.done || self.gone {
            return;
        }
        self.gone = true;
        if self.running {
            // Once the jobs out end.
        } else if self.armed.is_empty() {
            self.finish();
        } else {
            self.act(now, Why::Gone);
        }
    }

    /// When [`Guard::handle_timeout`] is due: the bound after the last line, while something
    /// is armed and no jobs are out.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let watching = !self.done && !self.gone && !self.running && !self.armed.is_empty();
        watching.then(|| self.last_heard + self.bound)
    }

    /// Time passed. The process reads every line already received before calling this (a
    /// guard that was itself not scheduled must not take that for the node's silence).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|due| due <= now) {
            self.act(now, Why::Silent);
        }
    }

    /// The jobs of the last [`Output::Run`] ended at `now`: `(arm seq, component, ok)` for
    /// each. After a silence they are reported at the next line heard; after the end of
    /// stdin the guard exits (running first what was armed meanwhile).
    pub fn handle_ran(&mut self, now: Instant, results: &[(u64, String, bool)]) {
        if !self.running {
            return;
        }
        self.running = false;
        for (seq, component, ok) in results {
            self.out.push_back(Output::Log(Note::Ran {
                component: component.clone(),
                ok: *ok,
            }));
            self.unreported.push(Report {
                component: component.clone(),
                seq: *seq,
                ok: *ok,
            });
        }
        if self.gone {
            self.unreported.clear();
            if self.armed.is_empty() {
                self.finish();
            } else {
                self.act(now, Why::Gone);
            }
        }
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    fn act(&mut self, now: Instant, why: Why) {
        let arms = std::mem::take(&mut self.armed);
        self.out.push_back(Output::Log(Note::Acting {
            why,
            silent: now.saturating_duration_since(self.last_heard),
            components: arms.iter().map(|a| a.component().to_owned()).collect(),
        }));
        self.running = true;
        self.out.push_back(Output::Run { why, arms });
    }

    fn finish(&mut self) {
        self.done = true;
        self.out.push_back(Output::Log(Note::Done));
        self.out.push_back(Output::Exit);
    }
}
