//! Peak frames per second through the pure `Node` (no I/O, one thread): many components
//! answering health queries at once, each also pushing a `heartBeat` once a second (as
//! `baton-component` does by default), with simulated time running as fast as the node can go.

use super::procfs::thread_cpu_secs;
use super::responder::answer;
use baton_asn1::monitor::ComponentStatus;
use baton_codec::{AnyMessage, Encoding};
use baton_core::{Instant, LinkId};
use baton_engine::{LinkKind, Node, NodeConfig};
use std::time::Duration;

/// What one run measured.
#[derive(Debug, Clone, Copy)]
pub struct Peak {
    /// Frames the node received plus frames it sent.
    pub frames: u64,
    /// CPU time of the thread that drove it, seconds.
    pub cpu_secs: f64,
    /// Simulated seconds the run covered.
    pub simulated_secs: f64,
}

impl Peak {
    /// Frames (in + out) per second of CPU.
    pub fn per_cpu_sec(&self) -> f64 {
        self.frames as f64 / self.cpu_secs.max(1e-9)
    }
}

/// How frames cross the boundary of the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Decoded messages in, messages out.
    Messages,
    /// Also encoded to DER frames and decoded back, as the driver does on every link (the
    /// responder's own encoding of its reply is included).
    Der,
}

struct Bench {
    node: Node,
    now: Instant,
    mode: Mode,
    frames: u64,
    active: usize,
    buf: Vec<u8>,
}

impl Bench {
    /// Sends the node's transmits to the components and their replies back, until quiet.
    fn pump(&mut self) -> Result<(), String> {
        while let Some(t) = self.node.poll_transmit() {
            self.frames += 1;
            let message = self.wire(t.message)?;
            let (reply, role) = answer(message);
            if role == Some(baton_asn1::role::Role::active) {
                self.active += 1;
            }
            if let Some(reply) = reply {
                let reply = self.wire(reply)?;
                self.frames += 1;
                self.node.handle_frame(self.now, t.link, reply);
            }
        }
        while self.node.poll_event().is_some() {}
        Ok(())
    }

    /// The message as it arrives on the other side of a link.
    fn wire(&mut self, message: AnyMessage) -> Result<AnyMessage, String> {
        if self.mode == Mode::Messages {
            return Ok(message);
        }
        self.buf.clear();
        message
            .encode_into(Encoding::Der, &mut self.buf)
            .map_err(|e| format!("encode: {e}"))?;
        AnyMessage::decode(message.interface(), Encoding::Der, &self.buf)
            .map_err(|e| format!("decode: {e}"))
    }
}

/// Drives one node with `components` components for about `cpu_budget` of CPU time.
pub fn peak(components: usize, cpu_budget: Duration, mode: Mode) -> Result<Peak, String> {
    let config = NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0);
    let query = config.query_interval;
    let startup = config.startup_wait;
    let node = Node::new(config, Instant::ZERO).map_err(|e| e.to_string())?;
    let mut b = Bench {
        node,
        now: Instant::ZERO,
        mode,
        frames: 0,
        active: 0,
        buf: Vec::with_capacity(64),
    };
    // Alone after the startup wait: active.
    b.now += startup;
    b.node.handle_timeout(b.now);
    b.pump()?;
    if b.node.role() != baton_election::NodeRole::Active {
        return Err(format!("pure node not active: {:?}", b.node.role()));
    }
    let ids: Vec<String> = (0..components).map(|i| (100_000 + i).to_string()).collect();
    for (i, id) in ids.iter().enumerate() {
        let link = LinkId(i as u64 + 1);
        b.node.handle_link_opened(b.now, link, LinkKind::Component);
        let hello = baton_monitor::heart_beat("1", id, ComponentStatus::ok);
        b.node.handle_frame(b.now, link, AnyMessage::Monitor(hello));
        b.pump()?;
    }
    if b.active != components {
        return Err(format!(
            "{} of {components} components were told active",
            b.active
        ));
    }
    // Every component pushes a heartBeat once a second: a tenth of them each round.
    let per_round = (Duration::from_secs(1).as_nanos() / query.as_nanos().max(1)).max(1) as usize;
    let (frames0, t0) = (b.frames, thread_cpu_secs()?);
    let sim0 = b.now;
    let mut round = 0usize;
    loop {
        b.now += query;
        b.node.handle_timeout(b.now);
        b.pump()?;
        for (i, id) in ids
            .iter()
            .enumerate()
            .skip(round % per_round)
            .step_by(per_round)
        {
            let hb = baton_monitor::heart_beat("2", id, ComponentStatus::ok);
            let hb = b.wire(AnyMessage::Monitor(hb))?;
            b.frames += 1;
            b.node.handle_frame(b.now, LinkId(i as u64 + 1), hb);
            b.pump()?;
        }
        round += 1;
        let spent = thread_cpu_secs()? - t0;
        if spent >= cpu_budget.as_secs_f64() {
            let (ok, total) = b.node.health().counts();
            if ok != components || total != components {
                return Err(format!("pure node: {ok}/{total} components ok"));
            }
            return Ok(Peak {
                frames: b.frames - frames0,
                cpu_secs: spent,
                simulated_secs: b.now.since_origin().as_secs_f64()
                    - sim0.since_origin().as_secs_f64(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_node_answers_every_component() {
        for mode in [Mode::Messages, Mode::Der] {
            let p = peak(20, Duration::from_millis(20), mode).unwrap();
            // At least one round: 20 queries and 20 answers.
            assert!(p.frames >= 40, "{p:?}");
            assert!(p.simulated_secs >= 0.1, "{p:?}");
        }
    }
}
