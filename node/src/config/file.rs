//! The configuration file as written: TOML tables and keys, with the spans of the values
//! errors point at.

use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) encoding: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) max_frame: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) log: Option<String>,
    /// `"text"` or `"json"`.
    #[serde(default)]
    pub(super) log_format: Option<Spanned<String>>,
    /// Real-time scheduling and locked memory (OPERATIONS "Real-time scheduling").
    #[serde(default)]
    pub(super) realtime: Option<Spanned<bool>>,
    /// The SCHED_FIFO priority with `realtime = true`, 1 to 99.
    #[serde(default)]
    pub(super) realtime_priority: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) preempt: bool,
    #[serde(default)]
    pub(super) alone: Option<Spanned<String>>,
    #[serde(rename = "member", default)]
    pub(super) members: Vec<FileMember>,
    #[serde(default)]
    pub(super) timers: FileTimers,
    pub(super) listen: FileListen,
    #[serde(rename = "component", default)]
    pub(super) components: Vec<FileComponent>,
    /// Built-in virtual IP components (PROTOCOL 6.10).
    #[serde(rename = "vip", default)]
    pub(super) vips: Vec<FileVip>,
    #[serde(default)]
    pub(super) tls: Option<FileTls>,
    /// `"pair"` or `"quorum"` (PROTOCOL 5.9).
    #[serde(default)]
    pub(super) election: Option<Spanned<String>>,
    /// Where quorum mode persists its grant.
    #[serde(default)]
    pub(super) state_dir: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) fence: Option<FileFence>,
    /// `[etcd]`: where etcd answers, in etcd mode (PROTOCOL 5.12).
    #[serde(default)]
    pub(super) etcd: Option<FileEtcd>,
    /// Checks from the client's side (PROTOCOL 6.8): the command a standby runs against the
    /// active's service.
    #[serde(default)]
    pub(super) remote_check: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) remote_check_interval_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) remote_check_failures: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) remote_check_handover: Option<Spanned<bool>>,
    /// This member's own uplink, checked before each remote check.
    #[serde(default)]
    pub(super) uplink_check: Option<Spanned<String>>,
    /// `[replication]`: the repertory's bounds and `promote_unsynced` (PROTOCOL 6.11).
    #[serde(default)]
    pub(super) replication: Option<Spanned<FileReplication>>,
}

/// `[replication]` (PROTOCOL 6.11).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileReplication {
    #[serde(default)]
    pub(super) max_records: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) max_bytes: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) promote_unsynced: Option<Spanned<bool>>,
}

/// `[fence]`: the command run against the member being replaced (PROTOCOL 5.10).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileFence {
    pub(super) command: Spanned<String>,
    pub(super) timeout_ms: Option<Spanned<u64>>,
    pub(super) retry_ms: Option<Spanned<u64>>,
}

/// `[etcd]`: the endpoints, the key prefix and the lease timers (PROTOCOL 5.12).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileEtcd {
    pub(super) endpoints: Spanned<Vec<String>>,
    pub(super) prefix: Spanned<String>,
    pub(super) ttl_ms: Option<Spanned<u64>>,
    pub(super) request_timeout_ms: Option<Spanned<u64>>,
}

/// `[tls]`: the cluster CA, this member's certificate and key (PEM files).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileTls {
    pub(super) ca: Spanned<String>,
    pub(super) cert: Spanned<String>,
    pub(super) key: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileMember {
    pub(super) name: Spanned<String>,
    pub(super) id: Spanned<String>,
    pub(super) address: Spanned<String>,
    /// Votes, never serves (quorum mode).
    #[serde(default)]
    pub(super) witness: Option<Spanned<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileTimers {
    pub(super) heartbeat_ms: Option<Spanned<u64>>,
    pub(super) dead_interval_ms: Option<Spanned<u64>>,
    pub(super) startup_wait_ms: Option<Spanned<u64>>,
    pub(super) retry_backoff_ms: Option<Spanned<u64>>,
    pub(super) role_timeout_ms: Option<Spanned<u64>>,
    pub(super) query_interval_ms: Option<Spanned<u64>>,
    pub(super) hook_timeout_ms: Option<Spanned<u64>>,
    /// Quorum mode (PROTOCOL 5.9, 8): a voter's grant lease.
    pub(super) voter_lease_ms: Option<Spanned<u64>>,
    /// Quorum mode: the active's lease, counted from a renewal's send time.
    pub(super) active_lease_ms: Option<Spanned<u64>>,
    /// Quorum mode: how often the active renews.
    pub(super) renew_ms: Option<Spanned<u64>>,
    /// Quorum mode: the wait after a voter lease ends before a candidacy.
    pub(super) election_timeout_ms: Option<Spanned<u64>>,
    /// Quorum mode: the extra wait per rank of priority.
    pub(super) stagger_ms: Option<Spanned<u64>>,
    /// Quorum mode: the bound on a demotion (components stopped), D.
    pub(super) demotion_bound_ms: Option<Spanned<u64>>,
    /// Quorum mode: the clock rate error bound, in parts per million.
    pub(super) clock_drift_ppm: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileListen {
    pub(super) component_socket: Option<PathBuf>,
    pub(super) component_tcp: Option<Spanned<String>>,
    pub(super) status: Option<Spanned<String>>,
    pub(super) control_socket: Option<PathBuf>,
    pub(super) control_tcp: Option<Spanned<String>>,
    /// Prometheus `GET /metrics`.
    pub(super) metrics: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileComponent {
    pub(super) id: Spanned<String>,
    #[serde(default)]
    pub(super) severity: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) dead_interval_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) check: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) activate: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) deactivate: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) start: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) stop: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) timeout_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) check_interval_ms: Option<Spanned<u64>>,
    /// The components this one takes its role after (PROTOCOL 6.1, components in order).
    #[serde(default)]
    pub(super) after: Option<Spanned<Vec<Spanned<String>>>>,
    /// `"sync"` or `"async"`: the component replicates through the node (PROTOCOL 6.11).
    #[serde(default)]
    pub(super) replication: Option<Spanned<String>>,
}

/// A `[[vip]]` table (PROTOCOL 6.10).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileVip {
    #[serde(default)]
    pub(super) id: Option<Spanned<String>>,
    pub(super) address: Spanned<String>,
    pub(super) interface: Spanned<String>,
    #[serde(default)]
    pub(super) severity: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) announce_count: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) announce_interval_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) probe_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) timeout_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) check_interval_ms: Option<Spanned<u64>>,
    /// The components this VIP takes its role after (PROTOCOL 6.1).
    #[serde(default)]
    pub(super) after: Option<Spanned<Vec<Spanned<String>>>>,
}
