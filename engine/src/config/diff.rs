//! What a configuration reload may change in a running node: [`Config::diff`].

use super::{Config, TlsFiles};
use crate::words::Words;
use baton_monitor::ComponentPolicy;
use std::fmt;

/// The difference between the running configuration and a new one (a reload): what the
/// running node applies, and what needs a restart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigDiff {
    /// Changes a running node applies ([`crate::Node::reload`] for the components' policies,
    /// the driver for the log filter), in this order.
    pub applied: Vec<Change>,
    /// Changes that need a restart: not applied.
    pub refused: Vec<Refusal>,
}

impl ConfigDiff {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.refused.is_empty()
    }
}

/// A change a running node applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The log filter (the driver's; `RUST_LOG` wins over it).
    LogFilter {
        /// The new filter.
        filter: String,
    },
    /// A configured component's severity and dead interval (PROTOCOL 6.4).
    ComponentPolicy {
        /// The component id.
        component: String,
        /// Its new policy.
        policy: ComponentPolicy,
    },
    /// Other TLS files (the driver loads them; it reloads the files at every reload anyway,
    /// for certificates rotated in place).
    TlsFiles {
        /// The new paths.
        files: TlsFiles,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::LogFilter { filter } => write!(f, "log filter {filter}"),
            Change::ComponentPolicy { component, policy } => {
                write!(f, "component {component}: severity {}, ", policy.severity)?;
                match policy.dead_interval {
                    Some(d) => write!(f, "dead interval {}", Words(&d)),
                    None => f.write_str("default dead interval"),
                }
            }
            Change::TlsFiles { files } => write!(
                f,
                "tls files ca {}, cert {}, key {}",
                files.ca.display(),
                files.cert.display(),
                files.key.display()
            ),
        }
    }
}

/// A change that needs a restart: a reload refuses it and the node keeps the old value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The members: names, ids, order, witnesses or peer addresses (membership changes
    /// need every member restarted with the new file, PROTOCOL 5.9).
    Members,
    /// The election mode, the quorum or etcd timers, `state_dir` or `[etcd]` (PROTOCOL 5.9, 5.12).
    Election,
    /// `[fence]` added, removed or changed (PROTOCOL 5.10).
    Fence,
    /// The encoding rule or the largest frame (PROTOCOL 3).
    Encoding,
    /// A timer: heartbeat, dead interval, startup wait, retry back-off, role timeout, query
    /// interval (PROTOCOL 8).
    Timers,
    /// `preempt` or `alone`.
    PreemptAlone,
    /// A listener: component socket or TCP address, status address, control socket or TCP
    /// address, metrics address.
    Listeners,
    /// `log_format` (the log's format is set when the node starts).
    LogFormat,
    /// `realtime` or `realtime_priority` (applied when the node starts).
    Realtime,
    /// TLS turned on or off (`[tls]` added or removed).
    Tls,
    /// The script components' commands or timers.
    ScriptComponents,
    /// Components added or removed (their policies are then not applied either).
    ComponentsAddedOrRemoved,
    /// The components' order (`after`, PROTOCOL 6.1).
    ComponentOrder,
    /// The remote check's commands or keys (PROTOCOL 6.8).
    RemoteCheck,
    /// `[replication]` or a component's `replication` mode (PROTOCOL 6.11).
    Replication,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Members => "members",
            Refusal::Election => "election mode, quorum timers, state_dir or [etcd]",
            Refusal::Fence => "fence",
            Refusal::Encoding => "encoding or max_frame",
            Refusal::Timers => "timers",
            Refusal::PreemptAlone => "preempt or alone",
            Refusal::Listeners => "listeners",
            Refusal::LogFormat => "log_format",
            Refusal::Realtime => "realtime or realtime_priority",
            Refusal::Tls => "tls on or off",
            Refusal::ScriptComponents => "script components",
            Refusal::ComponentsAddedOrRemoved => "components added or removed",
            Refusal::ComponentOrder => "components' order (after)",
            Refusal::RemoteCheck => "remote_check, uplink_check or their keys",
            Refusal::Replication => "[replication] or a component's replication",
        })
    }
}

impl Config {
    /// What changes from `self` (running) to `new` (a reload): the log filter and the
    /// policies of configured components are applied (the policies only if the same
    /// components are configured); anything else is refused.
    pub fn diff(&self, new: &Config) -> ConfigDiff {
        let (old_n, new_n) = (&self.node, &new.node);
        let mut refused = Vec::new();
        let mut refuse = |changed: bool, what: Refusal| {
            if changed {
                refused.push(what);
            }
        };
        refuse(
            old_n.members != new_n.members
                || old_n.witnesses != new_n.witnesses
                || self.addresses != new.addresses,
            Refusal::Members,
        );
        refuse(
            old_n.election_differs(new_n)
                || self.state_dir != new.state_dir
                || self.etcd != new.etcd,
            Refusal::Election,
        );
        refuse(self.fence != new.fence, Refusal::Fence);
        refuse(
            self.encoding != new.encoding || self.max_frame != new.max_frame,
            Refusal::Encoding,
        );
        refuse(
            old_n.heartbeat_interval != new_n.heartbeat_interval
                || old_n.dead_interval != new_n.dead_interval
                || old_n.startup_wait != new_n.startup_wait
                || old_n.retry_backoff != new_n.retry_backoff
                || old_n.role_timeout != new_n.role_timeout
                || old_n.query_interval != new_n.query_interval,
            Refusal::Timers,
        );
        refuse(
            old_n.preempt != new_n.preempt || old_n.alone != new_n.alone,
            Refusal::PreemptAlone,
        );
        refuse(
            self.component_socket != new.component_socket
                || self.component_tcp != new.component_tcp
                || self.status != new.status
                || self.control_socket != new.control_socket
                || self.control_tcp != new.control_tcp
                || self.metrics != new.metrics,
            Refusal::Listeners,
        );
        refuse(self.log_format != new.log_format, Refusal::LogFormat);
        refuse(self.realtime != new.realtime, Refusal::Realtime);
        refuse(self.tls.is_some() != new.tls.is_some(), Refusal::Tls);
        refuse(
            old_n.scripts != new_n.scripts || self.vips != new.vips,
            Refusal::ScriptComponents,
        );
        refuse(
            old_n.component_order != new_n.component_order,
            Refusal::ComponentOrder,
        );
        refuse(
            old_n.remote_check != new_n.remote_check || self.remote_check != new.remote_check,
            Refusal::RemoteCheck,
        );
        refuse(old_n.replication != new_n.replication, Refusal::Replication);
        let same_ids = old_n.components.keys().eq(new_n.components.keys());
        refuse(!same_ids, Refusal::ComponentsAddedOrRemoved);
        let mut applied = Vec::new();
        if new.log != self.log {
            applied.push(Change::LogFilter {
                filter: new.log.clone(),
            });
        }
        if let (Some(old), Some(files)) = (&self.tls, &new.tls) {
            if old != files {
                applied.push(Change::TlsFiles {
                    files: files.clone(),
                });
            }
        }
        if same_ids {
            for (id, policy) in &new_n.components {
                if old_n.components.get(id) != Some(policy) {
                    applied.push(Change::ComponentPolicy {
                        component: id.clone(),
                        policy: *policy,
                    });
                }
            }
        }
        ConfigDiff { applied, refused }
    }

    /// Takes the applied changes of `diff` into this configuration, which then describes
    /// the running node again.
    pub fn apply(&mut self, diff: &ConfigDiff) {
        for change in &diff.applied {
            match change {
                Change::LogFilter { filter } => self.log.clone_from(filter),
                Change::ComponentPolicy { component, policy } => {
                    self.node.components.insert(component.clone(), *policy);
                }
                Change::TlsFiles { files } => self.tls = Some(files.clone()),
            }
        }
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
