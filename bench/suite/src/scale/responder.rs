//! Lean components: each registers with a `heartBeat`, answers every `healthQuery` with
//! `healthQueryResponse{ok}` and every `setRole` with `setRoleResponse{success}`, echoing the
//! correlation id, and does nothing else (no pushed heartbeats, no watchdog). One task per
//! component on one harness thread, a read and a write per batch of frames: much cheaper than
//! 10,000 `baton-component` instances, so that the harness does not take the node's core.

use baton_asn1::monitor::{
    BillOfHealth, ComponentStatus, HealthMonitorMessage, HealthMonitorMessageMessage as M,
    HealthQueryResponse,
};
use baton_asn1::role::{ReturnCode, Role, RoleMessage, RoleMessageMessage, SetRoleResponse};
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::Semaphore;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

/// The reply of a component to a message from its node, and the role if it was a `setRole`.
pub fn answer(message: AnyMessage) -> (Option<AnyMessage>, Option<Role>) {
    match message {
        AnyMessage::Monitor(m) if matches!(m.message, M::healthQuery(_)) => {
            let reply = HealthMonitorMessage::new(
                m.correlation_id,
                m.component_id,
                M::healthQueryResponse(HealthQueryResponse::new(BillOfHealth::new(
                    ComponentStatus::ok,
                ))),
            );
            (Some(AnyMessage::Monitor(reply)), None)
        }
        AnyMessage::Role(r) => match r.message {
            RoleMessageMessage::setRole(s) => {
                let reply = RoleMessage::new(
                    r.correlation_id,
                    RoleMessageMessage::setRoleResponse(SetRoleResponse::new(ReturnCode::success)),
                );
                (Some(AnyMessage::Role(reply)), Some(s.role))
            }
            RoleMessageMessage::setRoleResponse(_) => (None, None),
        },
        _ => (None, None),
    }
}

/// What the components count, shared by the tasks of one harness thread.
#[derive(Debug, Default)]
pub struct Counters {
    /// Frames received from the node.
    pub frames_in: Cell<u64>,
    /// Frames sent to the node.
    pub frames_out: Cell<u64>,
    /// Components told `active` at least once.
    pub active: Cell<usize>,
    /// Components whose link ended (closed by the node, or an error).
    pub ended: Cell<usize>,
    /// The first error a component met, if any.
    pub error: std::cell::RefCell<Option<String>>,
}

impl Counters {
    fn fail(&self, e: String) {
        self.ended.set(self.ended.get() + 1);
        let mut first = self.error.borrow_mut();
        if first.is_none() {
            *first = Some(e);
        }
    }
}

/// Component `id`: connects to `socket` (retrying while the node's backlog is full), registers
/// while holding a permit of `registering` (released once told `active`), then answers until
/// the link ends. Call on a `LocalSet`.
pub async fn run(socket: &Path, id: String, registering: Rc<Semaphore>, c: Rc<Counters>) {
    let permit = registering.acquire().await;
    let mut stream = None;
    let mut last = String::new();
    for _ in 0..2000 {
        match UnixStream::connect(socket).await {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => {
                last = e.to_string();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let Some(mut stream) = stream else {
        c.fail(format!("component {id}: cannot connect: {last}"));
        return;
    };
    let mut codec = FrameCodec::new(Encoding::Der);
    let mut out = BytesMut::with_capacity(64);
    let hello = baton_monitor::heart_beat("1", &id, ComponentStatus::ok);
    if let Err(e) = codec.encode(AnyMessage::Monitor(hello), &mut out) {
        c.fail(format!("component {id}: {e}"));
        return;
    }
    let mut permit = Some(permit);
    let mut inbuf = BytesMut::with_capacity(256);
    let mut told_active = false;
    loop {
        if !out.is_empty() {
            if let Err(e) = stream.write_all_buf(&mut out).await {
                c.fail(format!("component {id}: write: {e}"));
                return;
            }
        }
        match stream.read_buf(&mut inbuf).await {
            Ok(0) => {
                c.ended.set(c.ended.get() + 1);
                return;
            }
            Ok(_) => {}
            Err(e) => {
                c.fail(format!("component {id}: read: {e}"));
                return;
            }
        }
        loop {
            let message = match codec.decode(&mut inbuf) {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(e) => {
                    c.fail(format!("component {id}: bad frame: {e}"));
                    return;
                }
            };
            c.frames_in.set(c.frames_in.get() + 1);
            let (reply, role) = answer(message);
            if let Some(reply) = reply {
                if let Err(e) = codec.encode(reply, &mut out) {
                    c.fail(format!("component {id}: {e}"));
                    return;
                }
                c.frames_out.set(c.frames_out.get() + 1);
            }
            if role == Some(Role::active) && !told_active {
                told_active = true;
                c.active.set(c.active.get() + 1);
                // Registered and given the role: let the next one in.
                drop(permit.take());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_queries_and_set_role_with_their_correlation_id() {
        let q = baton_monitor::health_query("42", "1001");
        let (reply, role) = answer(AnyMessage::Monitor(q));
        let Some(AnyMessage::Monitor(r)) = reply else {
            panic!("no monitor reply");
        };
        assert_eq!(r.correlation_id.0.as_bytes(), b"42");
        assert_eq!(r.component_id.0.as_bytes(), b"1001");
        assert!(matches!(r.message, M::healthQueryResponse(_)));
        assert_eq!(role, None);

        let s = baton_role::set_role("7", Role::active);
        let (reply, role) = answer(AnyMessage::Role(s));
        let Some(AnyMessage::Role(r)) = reply else {
            panic!("no role reply");
        };
        assert_eq!(r.correlation_id.0.as_bytes(), b"7");
        assert!(matches!(
            r.message,
            RoleMessageMessage::setRoleResponse(SetRoleResponse {
                return_code: ReturnCode::success
            })
        ));
        assert_eq!(role, Some(Role::active));

        let hb = baton_monitor::heart_beat("1", "1001", ComponentStatus::ok);
        assert_eq!(answer(AnyMessage::Monitor(hb)), (None, None));
    }
}
