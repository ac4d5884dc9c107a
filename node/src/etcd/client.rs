//! The etcd client of one member: carries the Election's [`EtcdCommand`]s to etcd's
//! gateway and turns the answers into [`EtcdInput`]s; watches the leader key. Every request
//! is bounded by the request timeout (the round trip of PROTOCOL 5.12.4), across the
//! endpoints in turn; a failed one is reported as failed, never retried behind the
//! Election's back.

use super::http::{self, Endpoint, Lines};
use super::wire::{self, Campaign, Watched, WireError};
use baton_election::{EtcdCommand, EtcdInput, LeaseId};
use baton_engine::EtcdSettings;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::timeout;
use tracing::{debug, warn};

/// A watch silent for this many TTLs is set up again: a stream through a partition may stall
/// without an error. The holder's safety never depends on the watch (its renewals decide,
/// PROTOCOL 5.12.4); a standby learns of a change it missed this late at worst. Every half
/// TTL, as first written, made 100 clusters of 3 overload etcd on a loaded 2-core machine
/// (300 reads and watch set-ups a second).
pub const WATCH_IDLE_TTLS: u32 = 5;
/// The shortest silence before a watch is set up again.
pub const WATCH_IDLE_MIN: Duration = Duration::from_secs(10);

/// Why a request failed.
#[derive(Debug)]
pub enum CallError {
    /// No endpoint answered in time.
    Unreachable(String),
    /// etcd answered something baton refuses, or an error.
    Wire(WireError),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unreachable(e) => write!(f, "etcd unreachable: {e}"),
            CallError::Wire(e) => write!(f, "{e}"),
        }
    }
}

impl CallError {
    fn lease_not_found(&self) -> bool {
        matches!(self, CallError::Wire(e) if e.lease_not_found())
    }
}

/// One member's etcd client.
pub struct Client {
    endpoints: Vec<Endpoint>,
    /// The endpoint that answered last.
    current: AtomicUsize,
    tls: Option<Arc<rustls::ClientConfig>>,
    key: String,
    name: String,
    timeout: Duration,
    /// How long a watch may stay silent before it is set up again ([`WATCH_IDLE_TTLS`]
    /// TTLs, at least [`WATCH_IDLE_MIN`]).
    idle: Duration,
}

impl Client {
    /// A client for `settings`, writing `name` as the leader key's value; `tls` for
    /// `https` endpoints (the `[tls]` section's CA, certificate and key).
    pub fn new(
        settings: &EtcdSettings,
        name: &str,
        timers: baton_election::EtcdTimers,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Client {
        Client {
            endpoints: settings
                .endpoints
                .iter()
                .filter_map(|u| Endpoint::parse(u))
                .collect(),
            current: AtomicUsize::new(0),
            tls,
            key: wire::leader_key(&settings.prefix),
            name: name.to_owned(),
            timeout: timers.request_timeout,
            idle: (timers.ttl * WATCH_IDLE_TTLS).max(WATCH_IDLE_MIN),
        }
    }

    /// `POST path` with `body` within the request timeout, trying the endpoints in turn
    /// from the one that answered last.
    async fn call(&self, path: &str, body: &serde_json::Value) -> Result<Vec<u8>, CallError> {
        let bytes = body.to_string().into_bytes();
        let n = self.endpoints.len().max(1);
        let start = self.current.load(Ordering::Relaxed);
        let attempt = async {
            let mut last = String::from("no endpoint");
            for k in 0..n {
                let i = (start + k) % n;
                let Some(ep) = self.endpoints.get(i) else {
                    break;
                };
                match http::post(ep, self.tls.as_ref(), path, &bytes).await {
                    Ok(answer) => {
                        self.current.store(i, Ordering::Relaxed);
                        return Ok(answer);
                    }
                    Err(e) => last = format!("{}: {e}", ep.authority),
                }
            }
            Err(CallError::Unreachable(last))
        };
        match timeout(self.timeout, attempt).await {
            Ok(r) => r,
            Err(_) => Err(CallError::Unreachable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    /// Carries one command to etcd; the answer for the Election (`None` for a resign,
    /// whose outcome changes nothing, and for the watch, which [`Client::watch`] runs).
    pub async fn execute(&self, command: EtcdCommand) -> Option<EtcdInput> {
        match command {
            EtcdCommand::Watch => None,
            EtcdCommand::Grant { ttl } => {
                let secs = ttl.as_secs().max(1);
                let r = self.call("/v3/lease/grant", &wire::grant(secs)).await;
                Some(
                    match r.and_then(|b| wire::granted(&b).map_err(CallError::Wire)) {
                        Ok(lease) => EtcdInput::Granted { lease },
                        Err(e) => {
                            warn!("etcd: lease grant failed: {e}");
                            EtcdInput::GrantFailed
                        }
                    },
                )
            }
            EtcdCommand::KeepAlive { lease, seq } => {
                let r = self.call("/v3/lease/keepalive", &wire::lease(lease)).await;
                Some(
                    match r.and_then(|b| wire::kept_alive(&b).map_err(CallError::Wire)) {
                        Ok(true) => EtcdInput::KeptAlive { lease, seq },
                        Ok(false) => {
                            warn!(lease = lease.0, "etcd: lease expired");
                            EtcdInput::KeepAliveFailed {
                                lease,
                                seq,
                                lost: true,
                            }
                        }
                        Err(e) => {
                            debug!("etcd: renewal {seq} failed: {e}");
                            EtcdInput::KeepAliveFailed {
                                lease,
                                seq,
                                lost: e.lease_not_found(),
                            }
                        }
                    },
                )
            }
            EtcdCommand::Campaign { lease } => {
                let body = wire::campaign(&self.key, &wire::value(&self.name, false), lease);
                let r = self.call("/v3/kv/txn", &body).await;
                Some(
                    match r.and_then(|b| wire::campaigned(&b).map_err(CallError::Wire)) {
                        Ok(Campaign::Won(revision)) => EtcdInput::CampaignWon { lease, revision },
                        Ok(Campaign::Lost(Some(key))) => EtcdInput::CampaignLost(key),
                        Ok(Campaign::Lost(None)) => {
                            EtcdInput::CampaignFailed { lease, lost: false }
                        }
                        Err(e) => {
                            warn!("etcd: campaign failed: {e}");
                            EtcdInput::CampaignFailed {
                                lease,
                                lost: e.lease_not_found(),
                            }
                        }
                    },
                )
            }
            EtcdCommand::Resign { lease, revision } => {
                self.resign(lease, revision).await;
                None
            }
        }
    }

    /// Marks the key released (if it is still the one of `revision`), then revokes `lease`.
    async fn resign(&self, lease: LeaseId, revision: i64) {
        if revision > 0 {
            let body = wire::mark(&self.key, revision, &wire::value(&self.name, true), lease);
            if let Err(e) = self.call("/v3/kv/txn", &body).await {
                debug!("etcd: release mark failed: {e}");
            }
        }
        match self.call("/v3/lease/revoke", &wire::lease(lease)).await {
            Ok(b) => match wire::granted(&b) {
                // A revoke answer has no ID: only an error matters.
                Err(WireError::Etcd { message, .. }) => {
                    debug!(lease = lease.0, "etcd: revoke: {message}")
                }
                _ => debug!(lease = lease.0, "etcd: lease revoked"),
            },
            Err(e) => debug!(lease = lease.0, "etcd: revoke failed: {e}"),
        }
    }

    /// Reads the leader key, then watches it, reporting every state to `report`; when etcd
    /// cannot be reached, reports [`EtcdInput::WatchLost`] once and starts again. A watch
    /// silent for [`WATCH_IDLE_TTLS`] TTLs (at least [`WATCH_IDLE_MIN`]) is set up again (a
    /// stream through a partition stalls without an error). Runs until `report` returns
    /// `false`.
    pub async fn watch(&self, report: impl Fn(EtcdInput) -> bool) {
        let mut lost = false;
        loop {
            match self.watch_once(&report, &mut lost).await {
                Ok(()) => return,
                Err(e) if !lost => {
                    warn!("etcd: watch of {} lost: {e}", self.key);
                    lost = true;
                    if !report(EtcdInput::WatchLost) {
                        return;
                    }
                }
                Err(e) => debug!("etcd: watch of {}: {e}", self.key),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One read and one watch stream; `Ok` when `report` asks to stop.
    async fn watch_once(
        &self,
        report: &impl Fn(EtcdInput) -> bool,
        lost: &mut bool,
    ) -> Result<(), String> {
        let body = self
            .call("/v3/kv/range", &wire::range(&self.key))
            .await
            .map_err(|e| e.to_string())?;
        let (key, revision) = wire::ranged(&body).map_err(|e| e.to_string())?;
        *lost = false;
        if !report(EtcdInput::Leader(key)) {
            return Ok(());
        }
        let ep = self
            .endpoints
            .get(self.current.load(Ordering::Relaxed))
            .ok_or("no endpoint")?;
        let request = wire::watch(&self.key, revision + 1).to_string();
        let mut lines = timeout(
            self.timeout,
            Lines::open(ep, self.tls.as_ref(), "/v3/watch", request.as_bytes()),
        )
        .await
        .map_err(|_| "watch not opened in time".to_owned())?
        .map_err(|e| e.to_string())?;
        loop {
            let msg = match timeout(self.idle, lines.next()).await {
                Err(_) => return Err("watch silent: set up again".into()),
                Ok(r) => r.map_err(|e| e.to_string())?,
            };
            match wire::watched(&msg).map_err(|e| e.to_string())? {
                Watched::Nothing => {}
                Watched::Cancelled => return Err("watch cancelled by etcd".into()),
                Watched::Key(key) => {
                    if !report(EtcdInput::Leader(key)) {
                        return Ok(());
                    }
                }
            }
        }
    }
}
