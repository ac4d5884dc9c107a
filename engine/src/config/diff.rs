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
    /// The election mode, the quorum timers or `state_dir` (PROTOCOL 5.9).
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
    /// address.
    Listeners,
    /// TLS turned on or off (`[tls]` added or removed).
    Tls,
    /// The script components' commands or timers.
    ScriptComponents,
    /// Components added or removed (their policies are then not applied either).
    ComponentsAddedOrRemoved,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Members => "members",
            Refusal::Election => "election mode, quorum timers or state_dir",
            Refusal::Fence => "fence",
            Refusal::Encoding => "encoding or max_frame",
            Refusal::Timers => "timers",
            Refusal::PreemptAlone => "preempt or alone",
            Refusal::Listeners => "listeners",
            Refusal::Tls => "tls on or off",
            Refusal::ScriptComponents => "script components",
            Refusal::ComponentsAddedOrRemoved => "components added or removed",
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
            old_n.election_differs(new_n) || self.state_dir != new.state_dir,
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
                || self.control_tcp != new.control_tcp,
            Refusal::Listeners,
        );
        refuse(self.tls.is_some() != new.tls.is_some(), Refusal::Tls);
        refuse(old_n.scripts != new_n.scripts, Refusal::ScriptComponents);
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
mod tests {
    use super::*;
    use crate::{NodeConfig, ScriptComponent};
    use baton_codec::Encoding;
    use baton_election::Alone;
    use baton_monitor::Severity;
    use std::time::Duration;

    fn policy(severity: Severity, dead_ms: Option<u64>) -> ComponentPolicy {
        ComponentPolicy {
            severity,
            dead_interval: dead_ms.map(Duration::from_millis),
        }
    }

    fn base() -> Config {
        let mut node = NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0);
        node.components
            .insert("1001".into(), policy(Severity::Fatal, None));
        node.components
            .insert("1002".into(), policy(Severity::Minor, Some(500)));
        Config {
            path: "c.toml".into(),
            node,
            addresses: vec![
                "127.0.0.1:7401".parse().unwrap(),
                "127.0.0.1:7402".parse().unwrap(),
            ],
            encoding: Encoding::Der,
            max_frame: 65536,
            log: "info".into(),
            component_socket: Some("/run/baton.sock".into()),
            component_tcp: None,
            status: Some("127.0.0.1:7421".parse().unwrap()),
            control_socket: None,
            control_tcp: None,
            tls: None,
            state_dir: None,
            fence: None,
        }
    }

    fn diff(change: impl FnOnce(&mut Config)) -> ConfigDiff {
        let old = base();
        let mut new = base();
        change(&mut new);
        old.diff(&new)
    }

    #[test]
    fn the_same_file_changes_nothing() {
        assert_eq!(diff(|_| {}), ConfigDiff::default());
        assert!(diff(|_| {}).is_empty());
    }

    #[test]
    fn the_log_filter_and_component_policies_are_applied_in_order() {
        let d = diff(|c| {
            c.log = "debug".into();
            c.node
                .components
                .insert("1002".into(), policy(Severity::Major, None));
            c.node
                .components
                .insert("1001".into(), policy(Severity::Minor, Some(300)));
        });
        let applied = vec![
            Change::LogFilter {
                filter: "debug".into(),
            },
            Change::ComponentPolicy {
                component: "1001".into(),
                policy: policy(Severity::Minor, Some(300)),
            },
            Change::ComponentPolicy {
                component: "1002".into(),
                policy: policy(Severity::Major, None),
            },
        ];
        assert_eq!(
            d,
            ConfigDiff {
                applied,
                refused: vec![]
            }
        );
        let words: Vec<String> = d.applied.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            [
                "log filter debug",
                "component 1001: severity minor, dead interval 300 ms",
                "component 1002: severity major, default dead interval",
            ]
        );
        let mut running = base();
        running.apply(&d);
        assert_eq!(
            running.diff(&{
                let mut n = base();
                n.log = "debug".into();
                n.node
                    .components
                    .insert("1002".into(), policy(Severity::Major, None));
                n.node
                    .components
                    .insert("1001".into(), policy(Severity::Minor, Some(300)));
                n
            }),
            ConfigDiff::default()
        );
    }

    #[test]
    fn each_rule_refuses_its_own_fields() {
        let refused = |change: fn(&mut Config)| diff(change).refused;
        assert_eq!(
            refused(|c| c.node.members[1].name = "gamma".into()),
            [Refusal::Members]
        );
        assert_eq!(
            refused(|c| c.addresses[1] = "127.0.0.1:9".parse().unwrap()),
            [Refusal::Members]
        );
        assert_eq!(
            refused(|c| c.encoding = Encoding::Uper),
            [Refusal::Encoding]
        );
        assert_eq!(refused(|c| c.max_frame = 1024), [Refusal::Encoding]);
        for change in [
            (|c: &mut Config| c.node.heartbeat_interval = Duration::from_millis(50))
                as fn(&mut Config),
            |c| c.node.dead_interval = Duration::from_millis(500),
            |c| c.node.startup_wait = Duration::from_millis(500),
            |c| c.node.retry_backoff = Duration::from_millis(500),
            |c| c.node.role_timeout = Duration::from_millis(500),
            |c| c.node.query_interval = Duration::from_millis(500),
        ] {
            assert_eq!(refused(change), [Refusal::Timers]);
        }
        assert_eq!(refused(|c| c.node.preempt = true), [Refusal::PreemptAlone]);
        assert_eq!(
            refused(|c| c.node.alone = Alone::Wait),
            [Refusal::PreemptAlone]
        );
        assert_eq!(refused(|c| c.component_socket = None), [Refusal::Listeners]);
        assert_eq!(
            refused(|c| c.component_tcp = Some("127.0.0.1:9".parse().unwrap())),
            [Refusal::Listeners]
        );
        assert_eq!(refused(|c| c.status = None), [Refusal::Listeners]);
        assert_eq!(
            refused(|c| c.control_socket = Some("/run/c".into())),
            [Refusal::Listeners]
        );
        assert_eq!(
            refused(|c| c.control_tcp = Some("127.0.0.1:9".parse().unwrap())),
            [Refusal::Listeners]
        );
        assert_eq!(refused(|c| c.tls = Some(tls("ca.pem"))), [Refusal::Tls]);
        assert_eq!(
            refused(|c| c.node.scripts.push(ScriptComponent {
                id: "1001".into(),
                check: Some("true".into()),
                activate: None,
                deactivate: None,
                start: None,
                stop: None,
                timeout: Duration::from_secs(10),
                check_interval: Duration::from_secs(1),
            })),
            [Refusal::ScriptComponents]
        );
        // Not compared: a driver seeds the correlation ids at each start.
        assert_eq!(refused(|c| c.node.first_correlation_id = 7), []);
    }

    fn tls(ca: &str) -> TlsFiles {
        TlsFiles {
            ca: ca.into(),
            cert: "alpha.pem".into(),
            key: "alpha.key".into(),
        }
    }

    #[test]
    fn other_tls_files_are_applied_tls_off_is_refused() {
        let old = Config {
            tls: Some(tls("ca.pem")),
            ..base()
        };
        let new = Config {
            tls: Some(tls("ca2.pem")),
            ..base()
        };
        let d = old.diff(&new);
        assert_eq!(
            d,
            ConfigDiff {
                applied: vec![Change::TlsFiles {
                    files: tls("ca2.pem")
                }],
                refused: vec![],
            }
        );
        assert_eq!(
            d.applied[0].to_string(),
            "tls files ca ca2.pem, cert alpha.pem, key alpha.key"
        );
        let mut running = old.clone();
        running.apply(&d);
        assert_eq!(running.tls, new.tls);
        assert_eq!(old.diff(&old), ConfigDiff::default());
        let off = old.diff(&base());
        assert_eq!(off.refused, [Refusal::Tls]);
        assert_eq!(off.refused[0].to_string(), "tls on or off");
    }

    #[test]
    fn components_added_or_removed_refuse_every_policy_change() {
        let d = diff(|c| {
            c.node.components.remove("1002");
            c.node
                .components
                .insert("1001".into(), policy(Severity::Minor, None));
            c.node.preempt = true;
        });
        assert_eq!(
            d,
            ConfigDiff {
                applied: vec![],
                refused: vec![Refusal::PreemptAlone, Refusal::ComponentsAddedOrRemoved],
            }
        );
        let words: Vec<String> = d.refused.iter().map(ToString::to_string).collect();
        assert_eq!(words, ["preempt or alone", "components added or removed"]);
    }
}
