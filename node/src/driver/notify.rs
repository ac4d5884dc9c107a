//! systemd's notification protocol (`Type=notify`, `sd_notify(3)`), when the node runs under
//! it (`NOTIFY_SOCKET` is set): `READY=1` once the first election has an outcome (the node
//! is `standby`, `active` or `failed`), `STATUS=` the status line at every change,
//! `WATCHDOG=1` every half `WatchdogSec` while the driver's loop runs (`WATCHDOG_USEC`),
//! `RELOADING=1` then `READY=1` around a SIGHUP's reload, `STOPPING=1` when it stops. Without
//! `NOTIFY_SOCKET` it does nothing. A notification that cannot be sent is dropped (systemd
//! notices a missing `READY=1` or `WATCHDOG=1` itself).

use baton_core::NodeRole;
use baton_engine::Event;
use sd_notify::NotifyState;
use std::time::Duration;
use tokio::time::Instant;
use tracing::debug;

/// The driver's notifications to systemd.
#[derive(Debug, Default)]
pub(crate) struct Notifier {
    /// `NOTIFY_SOCKET` is set.
    on: bool,
    /// `READY=1` was sent.
    ready: bool,
    /// How often `WATCHDOG=1` is sent: half of `WATCHDOG_USEC`.
    watchdog: Option<Duration>,
    /// When it is sent next.
    next: Option<Instant>,
}

impl Notifier {
    /// From the environment systemd gives the service.
    pub(crate) fn from_env() -> Notifier {
        let on = std::env::var_os("NOTIFY_SOCKET").is_some();
        let watchdog = on.then(watchdog_interval).flatten();
        Notifier {
            on,
            ready: false,
            watchdog,
            next: watchdog.map(|w| Instant::now() + w),
        }
    }

    /// One of the node's events: `STATUS=` for a new status, `READY=1` at the first outcome.
    pub(crate) fn event(&mut self, event: &Event) {
        match event {
            Event::StatusChanged(status) => {
                self.send(&[NotifyState::Status(&status.to_string())]);
            }
            Event::RoleChanged { to, .. } if !self.ready && is_outcome(*to) => {
                self.ready = true;
                self.send(&[NotifyState::Ready]);
            }
            _ => {}
        }
    }

    /// When `WATCHDOG=1` is due.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.next
    }

    /// Sends `WATCHDOG=1` if due.
    pub(crate) fn tick(&mut self) {
        let (Some(next), Some(every)) = (self.next, self.watchdog) else {
            return;
        };
        let now = Instant::now();
        if now >= next {
            self.send(&[NotifyState::Watchdog]);
            self.next = Some(now + every);
        }
    }

    /// A reload begins (SIGHUP): `RELOADING=1` with `MONOTONIC_USEC=` (which
    /// `Type=notify-reload` requires).
    pub(crate) fn reloading(&self) {
        match NotifyState::monotonic_usec_now() {
            Ok(now) => self.send(&[NotifyState::Reloading, now]),
            Err(_) => self.send(&[NotifyState::Reloading]),
        }
    }

    /// The reload is over: ready again (if it was).
    pub(crate) fn reloaded(&self) {
        if self.ready {
            self.send(&[NotifyState::Ready]);
        }
    }

    /// The node stops.
    pub(crate) fn stopping(&self) {
        self.send(&[NotifyState::Stopping]);
    }

    fn send(&self, states: &[NotifyState<'_>]) {
        if self.on {
            if let Err(e) = sd_notify::notify(states) {
                debug!("cannot notify systemd: {e}");
            }
        }
    }
}

/// Whether `role` is an election's outcome.
fn is_outcome(role: NodeRole) -> bool {
    matches!(
        role,
        NodeRole::Standby | NodeRole::Active | NodeRole::PromotionFailed
    )
}

/// Half of `WATCHDOG_USEC`, if systemd set it for this process.
fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
        .filter(|d| !d.is_zero())
        .map(|d| d / 2)
}
