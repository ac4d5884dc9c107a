//! The guard's line protocol (PROTOCOL 6.3, the script guard): what the node writes to the
//! guard's stdin ([`ToGuard`]) and what the guard answers on its stdout ([`Report`]). One
//! message per line, UTF-8, `\n`-terminated; unknown or malformed lines are logged and
//! skipped (both ends are the same binary, so they never occur between a node and its guard).
//!
//! ```text
//! node -> guard   beat
//!                 arm {"seq":3,"component":"1001","role":"standby","member":"alpha",
//!                      "peer":"beta","hooks":["deactivate","stop"],
//!                      "deactivate":"ip addr del ...","stop":null,"timeout_ms":5000}
//!                 disarm 1001 3
//!                 bye
//! guard -> node   deactivated 1001 3 ok        (or: failed)
//! ```

use baton_engine::{Hook, HookEnv, HookJob, ScriptComponent};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// A script component the guard must stand down if the node dies or falls silent: the job
/// the node itself would run to give it up (`deactivate`, then `stop`, every hook whatever
/// the one before did), with the commands and the timeout the node uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    /// Names this arming: a later `disarm` or report names the same number.
    pub seq: u64,
    /// The job: its hooks in order and what each is told (`component` is always 0: the
    /// guard's script list holds this one component).
    pub job: HookJob,
    /// The component's commands and hook timeout (only `deactivate` and `stop` are sent).
    pub script: ScriptComponent,
}

impl Arm {
    /// The component id.
    pub fn component(&self) -> &str {
        &self.script.id
    }
}

/// One line from the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToGuard {
    /// `beat`: the node is running.
    Beat,
    /// `arm JSON`: a component is, or is about to become, active (sent before its `activate`
    /// runs); replaces an earlier arming of the same component.
    Arm(Box<Arm>),
    /// `disarm ID SEQ`: the node stood the component down itself (its `deactivate` job
    /// succeeded); only the arming `SEQ` is dropped.
    Disarm {
        /// Component id.
        component: String,
        /// The arming it ends.
        seq: u64,
    },
    /// `bye`: the node is exiting cleanly and ran its own exit jobs: the guard exits without
    /// running anything.
    Bye,
}

/// The guard stood a component down while the node was silent (`deactivated ID SEQ ok|failed`),
/// told once the node is heard again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Component id.
    pub component: String,
    /// The arming it ended.
    pub seq: u64,
    /// Whether every hook succeeded.
    pub ok: bool,
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("guard line {line:?}: {why}")]
pub struct BadLine {
    /// The line, cut to 80 characters.
    pub line: String,
    /// What is wrong with it.
    pub why: String,
}

/// The JSON of `arm`.
#[derive(Serialize, Deserialize)]
struct ArmJson {
    seq: u64,
    component: String,
    role: String,
    member: String,
    peer: String,
    hooks: Vec<String>,
    deactivate: Option<String>,
    stop: Option<String>,
    timeout_ms: u64,
}

const HOOKS: [Hook; 5] = [
    Hook::Check,
    Hook::Activate,
    Hook::Deactivate,
    Hook::Start,
    Hook::Stop,
];

impl Arm {
    /// The arming of `script` with `job` (one of [`baton_engine::Node::start_jobs`]), as
    /// number `seq`.
    pub fn new(seq: u64, job: &HookJob, script: &ScriptComponent) -> Arm {
        Arm {
            seq,
            job: HookJob {
                component: 0,
                hooks: job.hooks.clone(),
                env: job.env.clone(),
            },
            script: ScriptComponent {
                id: script.id.clone(),
                check: None,
                activate: None,
                deactivate: script.deactivate.clone(),
                start: None,
                stop: script.stop.clone(),
                timeout: script.timeout,
                check_interval: Duration::ZERO,
            },
        }
    }
}

impl fmt::Display for ToGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToGuard::Beat => f.write_str("beat"),
            ToGuard::Arm(a) => {
                let json = ArmJson {
                    seq: a.seq,
                    component: a.script.id.clone(),
                    role: a.job.env.role.name().to_owned(),
                    member: a.job.env.member.clone(),
                    peer: a.job.env.peer.clone(),
                    hooks: a.job.hooks.iter().map(|h| h.name().to_owned()).collect(),
                    deactivate: a.script.deactivate.clone(),
                    stop: a.script.stop.clone(),
                    timeout_ms: u64::try_from(a.script.timeout.as_millis()).unwrap_or(u64::MAX),
                };
                // Serialising plain strings and numbers cannot fail.
                let text = serde_json::to_string(&json).unwrap_or_default();
                write!(f, "arm {text}")
            }
            ToGuard::Disarm { component, seq } => write!(f, "disarm {component} {seq}"),
            ToGuard::Bye => f.write_str("bye"),
        }
    }
}

impl ToGuard {
    /// Reads one line (without its `\n`).
    ///
    /// # Errors
    /// When the line is not one of the four messages.
    pub fn parse(line: &str) -> Result<ToGuard, BadLine> {
        let bad = |why: String| BadLine {
            line: line.chars().take(80).collect(),
            why,
        };
        let (word, rest) = match line.split_once(' ') {
            Some((word, rest)) => (word, Some(rest)),
            None => (line, None),
        };
        match (word, rest) {
            ("beat", None) => Ok(ToGuard::Beat),
            ("bye", None) => Ok(ToGuard::Bye),
            ("disarm", Some(rest)) => {
                let (component, seq) = rest
                    .split_once(' ')
                    .ok_or_else(|| bad("disarm needs a component and a number".into()))?;
                let seq = seq.parse().map_err(|e| bad(format!("number: {e}")))?;
                Ok(ToGuard::Disarm {
                    component: component.to_owned(),
                    seq,
                })
            }
            ("arm", Some(json)) => {
                let a: ArmJson = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
                let role = match a.role.as_str() {
                    "standby" => baton_role::Role::standby,
                    "active" => baton_role::Role::active,
                    other => return Err(bad(format!("role {other:?}"))),
                };
                let hooks = a
                    .hooks
                    .iter()
                    .map(|name| HOOKS.into_iter().find(|h| h.name() == name))
                    .collect::<Option<Vec<Hook>>>()
                    .ok_or_else(|| bad("unknown hook".into()))?;
                Ok(ToGuard::Arm(Box::new(Arm {
                    seq: a.seq,
                    job: HookJob {
                        component: 0,
                        hooks,
                        env: HookEnv {
                            component: a.component.clone(),
                            role: role.into(),
                            member: a.member,
                            peer: a.peer,
                        },
                    },
                    script: ScriptComponent {
                        id: a.component,
                        check: None,
                        activate: None,
                        deactivate: a.deactivate,
                        start: None,
                        stop: a.stop,
                        timeout: Duration::from_millis(a.timeout_ms),
                        check_interval: Duration::ZERO,
                    },
                })))
            }
            _ => Err(bad("not beat, arm, disarm or bye".into())),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ok = if self.ok { "ok" } else { "failed" };
        write!(f, "deactivated {} {} {ok}", self.component, self.seq)
    }
}

impl Report {
    /// Reads one line of the guard's stdout (without its `\n`).
    ///
    /// # Errors
    /// When the line is not a report.
    pub fn parse(line: &str) -> Result<Report, BadLine> {
        let bad = |why: &str| BadLine {
            line: line.chars().take(80).collect(),
            why: why.to_owned(),
        };
        let mut words = line.split(' ');
        let (Some("deactivated"), Some(component), Some(seq), Some(ok), None) = (
            words.next(),
            words.next(),
            words.next(),
            words.next(),
            words.next(),
        ) else {
            return Err(bad("not `deactivated ID SEQ ok|failed`"));
        };
        let seq = seq.parse().map_err(|_| bad("not a number"))?;
        let ok = match ok {
            "ok" => true,
            "failed" => false,
            _ => return Err(bad("neither ok nor failed")),
        };
        Ok(Report {
            component: component.to_owned(),
            seq,
            ok,
        })
    }
}
