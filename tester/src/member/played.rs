//! The implementation's linked component, played by the tester while it plays the peer: it
//! answers every `setRole` at once with success, or holds `standby` answers (the node stays
//! `Demoting`), or refuses `active` (the promotion fails). What drives the rows of the
//! responder table that need a node held in `Demoting` or `PromotionFailed` (PROTOCOL 5.5).

use crate::node::Address;
use crate::transport::Present;
use crate::wire::{Got, KeepAlive, Link};
use baton_asn1::role::{ReturnCode, Role, RoleMessageMessage as Rm};
use baton_codec::AnyMessage;
use baton_monitor::ComponentStatus;
use std::time::Duration;
use tokio::sync::mpsc;

/// The implementation's component the tester plays: where it connects, as which id.
#[derive(Debug, Clone)]
pub struct ComponentControl {
    /// The implementation's component listener.
    pub address: Address,
    /// A linked component id its configuration lists (`fatal`, so a refusal fails the
    /// promotion).
    pub id: String,
}

/// How the played component answers `setRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answering {
    /// Every one at once, success.
    Success,
    /// `standby` not at all until [`Played::release`]; `active` at once, success.
    HoldStandby,
    /// `active` with failure; `standby` success.
    FailActive,
}

enum Command {
    Mode(Answering),
    Release,
}

/// The component, served by a task of its own (its link must be answered while the tester
/// waits on the peer link).
pub struct Played {
    tx: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<()>,
}

impl Played {
    /// Connects and registers as `c.id`.
    ///
    /// # Errors
    /// The connection, as text.
    pub async fn start(c: &ComponentControl, s: &super::MemberSetup) -> Result<Played, String> {
        let within = s.patience.max(Duration::from_secs(1));
        let mut link = match &c.address {
            Address::Tcp(a) => {
                let present = Present::Own;
                Link::connect(*a, &s.transport, present, s.encoding, s.max_frame, within).await?
            }
            Address::Unix(p) => Link::connect_unix(p, s.encoding, s.max_frame, within).await?,
        };
        let id = c.id.clone();
        link.send(baton_monitor::heart_beat("1", &id, ComponentStatus::ok))
            .await?;
        link.answer_queries(Some(id.clone()));
        link.keep_alive(Some(KeepAlive {
            id,
            every: s.heartbeat,
        }));
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(serve(link, rx));
        Ok(Played { tx, task })
    }

    /// From now on, answer as `mode` says.
    pub fn mode(&self, mode: Answering) {
        let _ = self.tx.send(Command::Mode(mode));
    }

    /// Answers the held `standby` requests (success) and answers every later one at once.
    pub fn release(&self) {
        let _ = self.tx.send(Command::Release);
        let _ = self.tx.send(Command::Mode(Answering::Success));
    }
}

impl Drop for Played {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn response(id: &[u8], code: ReturnCode) -> baton_asn1::role::RoleMessage {
    baton_asn1::role::RoleMessage::new(
        baton_asn1::role::CorrelationId(
            rasn::types::NumericString::from_bytes(id).unwrap_or_default(),
        ),
        Rm::setRoleResponse(baton_asn1::role::SetRoleResponse::new(code)),
    )
}

async fn serve(mut link: Link, mut rx: mpsc::UnboundedReceiver<Command>) {
    let mut mode = Answering::Success;
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        if !commands(&mut rx, &mut mode, &mut held, &mut link).await {
            return;
        }
        let got = link
            .wait(
                Duration::from_millis(10),
                |m| matches!(m, AnyMessage::Role(r) if matches!(r.message, Rm::setRole(_))),
            )
            .await;
        match got {
            Ok(Got::Message(AnyMessage::Role(r))) => {
                let Rm::setRole(sr) = r.message else {
                    continue;
                };
                let id = r.correlation_id.0.as_bytes().to_vec();
                // A command sent while this task waited (before what made the node send
                // this setRole) counts.
                if !commands(&mut rx, &mut mode, &mut held, &mut link).await {
                    return;
                }
                match (mode, sr.role) {
                    (Answering::HoldStandby, Role::standby) => held.push(id),
                    (Answering::FailActive, Role::active) => {
                        let _ = link.send(response(&id, ReturnCode::failure)).await;
                    }
                    _ => {
                        let _ = link.send(response(&id, ReturnCode::success)).await;
                    }
                }
            }
            Ok(Got::Closed) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Takes every command sent so far; `false` once the tester dropped its [`Played`].
async fn commands(
    rx: &mut mpsc::UnboundedReceiver<Command>,
    mode: &mut Answering,
    held: &mut Vec<Vec<u8>>,
    link: &mut Link,
) -> bool {
    loop {
        match rx.try_recv() {
            Ok(Command::Mode(m)) => *mode = m,
            Ok(Command::Release) => {
                for id in held.drain(..) {
                    let _ = link.send(response(&id, ReturnCode::success)).await;
                }
            }
            Err(mpsc::error::TryRecvError::Empty) => return true,
            Err(mpsc::error::TryRecvError::Disconnected) => return false,
        }
    }
}
