//! Fencing with members that are restarted at once (systemd `Restart=always`), on a virtual
//! clock (PROTOCOL 5.10, *Alone at startup*; issue 11). The fence command of these tests is
//! the fault suite's stand-in: it kills the fenced member's process and succeeds; a killed
//! member is started again after a restart delay. Heartbeat 25 ms (dead interval and
//! `startup_wait` 75 ms), as in the fault suite's run that found the loop.

mod support;

use baton_core::{Instant, NodeRole::*};
use baton_engine::{Event, NodeConfig};
use std::time::Duration;
use support::*;

/// A pair member with fencing and a 25 ms heartbeat.
fn fencing(me: usize) -> NodeConfig {
    let mut c = sequence_config(me);
    let hb = Duration::from_millis(25);
    c.heartbeat_interval = hb;
    c.dead_interval = 3 * hb;
    c.startup_wait = 3 * hb;
    c.retry_backoff = hb;
    c.query_interval = hb;
    c.fence = true;
    c
}

/// Runs the fence commands the nodes ask for and restarts what they killed.
struct Fencer {
    /// The next record of `Pair::events` to look at.
    cursor: usize,
    /// Restarts due: (when, member).
    restarts: Vec<(Instant, usize)>,
    /// Every fence command run: (when, fencing member, fenced member).
    fences: Vec<(Instant, usize, usize)>,
    /// How long a killed member stays down (systemd `RestartSec`).
    restart_after: Duration,
    /// The next first `correlationId` of a restarted member.
    next_id: u64,
}

impl Fencer {
    fn new(restart_after: Duration) -> Self {
        Fencer {
            cursor: 0,
            restarts: Vec::new(),
            fences: Vec::new(),
            restart_after,
            next_id: 1001,
        }
    }

    /// Acts on the fence requests recorded since the last call. Every fence command that
    /// started kills its member, even when two start at the same instant (each kills the
    /// other); the member that asked learns it succeeded if it is still alive.
    fn act(&mut self, p: &mut Pair) {
        let mut done = Vec::new();
        while self.cursor < p.events.len() {
            let r = p.events[self.cursor].clone();
            self.cursor += 1;
            if let Event::Fence { member, name, .. } = r.event {
                self.fences.push((r.at, r.node, member));
                done.push((r.node, name));
                if !p.crashed[member] {
                    p.crash(member);
                }
                if !self.restarts.iter().any(|(_, m)| *m == member) {
                    self.restarts.push((p.now + self.restart_after, member));
                }
            }
        }
        for (node, name) in done {
            if !p.crashed[node] {
                let now = p.now;
                p.nodes[node].handle_fence_done(now, &name, true);
                p.flush();
            }
        }
    }

    /// Runs the pair, the fence commands and the restarts until `end`.
    fn run_until(&mut self, p: &mut Pair, end: Instant) {
        for _ in 0..1_000_000 {
            p.flush();
            self.act(p);
            let restart = self.restarts.iter().map(|(at, _)| *at).min();
            let next = [p.next_wakeup(), restart].into_iter().flatten().min();
            let Some(next) = next.filter(|t| *t <= end) else {
                p.now = p.now.max(end);
                return;
            };
            if restart == Some(next) {
                p.now = p.now.max(next);
                let due: Vec<usize> = (self.restarts.iter())
                    .filter(|(at, _)| *at <= next)
                    .map(|(_, m)| *m)
                    .collect();
                self.restarts.retain(|(at, _)| *at > next);
                for m in due {
                    p.restart(m, self.next_id);
                    self.next_id += 1000;
                }
            } else {
                p.step();
            }
        }
        panic!("no end at {:?}", p.now);
    }
}

/// Alpha active, beta standby; a partition at 1 s that heals at `heal`; members killed by a
/// fence are restarted after `restart_after`. Returns the fences and the pair at `end`.
fn partition_of_the_active(
    heal: u64,
    restart_after: Duration,
    end: u64,
) -> (Vec<(Instant, usize, usize)>, Pair) {
    let mut p = Pair::dialling_with(fencing);
    let mut f = Fencer::new(restart_after);
    f.run_until(&mut p, ms(1000));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    p.partition();
    f.run_until(&mut p, ms(heal));
    p.heal();
    f.run_until(&mut p, ms(end));
    (f.fences, p)
}

/// `active` serving and the other member standby at the end, on one peer link.
fn converged(p: &Pair, active: usize) {
    let roles = [p.nodes[0].role(), p.nodes[1].role()];
    let expected = if active == ALPHA {
        [Active, Standby]
    } else {
        [Standby, Active]
    };
    assert_eq!(roles, expected);
    assert_eq!(p.peer_links().len(), 1);
    let name = ["alpha", "beta"][active];
    let line = format!("standby peer={name}:active");
    assert_eq!(p.nodes[1 - active].status().to_string(), line);
}

/// The fault suite's loop (h6-evidence/pairfence-*.log): beta fences alpha when the partition
/// cuts them (75 ms); alpha, restarted at once, cannot reach beta. Before the longer wait
/// alone (`NodeConfig::alone_wait`) it fenced beta 75 ms after its start, beta did the same
/// to alpha, and so on: 27 fences, one every 75 ms, from 1.075 s to 3.025 s. Now a member
/// alone at startup fences after `(1 + rank) × (startup_wait + CONNECT_TIMEOUT)`: alpha
/// (rank 0) after 1.075 s, beta (rank 1) after 2.15 s; the partition has healed by then and
/// beta's dial reaches alpha first.
#[test]
fn partition_with_immediate_restarts_fences_twice_not_in_a_loop() {
    let (fences, p) = partition_of_the_active(3000, Duration::ZERO, 8000);
    assert_eq!(fences, [(ms(1075), BETA, ALPHA), (ms(2150), ALPHA, BETA)]);
    converged(&p, ALPHA);
}

/// A partition that lasts: the two still fence each other in turn, but once per
/// `alone_wait` (1.075 s for alpha, 2.15 s for beta at a 25 ms heartbeat), not every 75 ms;
/// a restart delay (systemd `RestartSec`) adds to each turn.
#[test]
fn lasting_partition_fences_at_the_alone_waits() {
    let (fences, p) = partition_of_the_active(8000, Duration::ZERO, 12_000);
    assert_eq!(
        fences,
        [
            (ms(1075), BETA, ALPHA),
            (ms(2150), ALPHA, BETA),
            (ms(4300), BETA, ALPHA),
            (ms(5375), ALPHA, BETA),
            (ms(7525), BETA, ALPHA),
        ]
    );
    converged(&p, BETA);
    let (fences, p) = partition_of_the_active(8000, Duration::from_secs(1), 12_000);
    assert_eq!(
        fences,
        [
            (ms(1075), BETA, ALPHA),
            (ms(3150), ALPHA, BETA),
            (ms(6300), BETA, ALPHA),
        ]
    );
    converged(&p, BETA);
}

/// Both members die and are restarted at the same instant, out of reach of each other until
/// 3 s. Before the longer wait alone both fenced each other 75 ms after the start, both died,
/// both restarted, and again. Now alpha fences first (1.075 s after the start), beta would
/// only after 2.15 s: one fence, and beta, restarted, finds alpha serving once the partition
/// heals.
#[test]
fn simultaneous_restarts_fence_once_in_priority_order() {
    let mut p = Pair::dialling_with(fencing);
    let mut f = Fencer::new(Duration::ZERO);
    f.run_until(&mut p, ms(1000));
    p.partition();
    p.crash(ALPHA);
    p.crash(BETA);
    p.restart(ALPHA, 1001);
    p.restart(BETA, 2001);
    f.run_until(&mut p, ms(3000));
    p.heal();
    f.run_until(&mut p, ms(8000));
    assert_eq!(f.fences, [(ms(2075), ALPHA, BETA)]);
    converged(&p, ALPHA);
}

/// The wait alone: `startup_wait` without fencing, in quorum mode, or with `alone = wait`;
/// with fencing in a pair `(1 + rank) × (startup_wait + CONNECT_TIMEOUT)`.
#[test]
fn alone_wait_with_fencing_grows_with_rank() {
    let waits = |f: fn(&mut NodeConfig)| {
        [ALPHA, BETA].map(|me| {
            let mut c = config(me);
            f(&mut c);
            c.alone_wait().as_millis()
        })
    };
    assert_eq!(waits(|_| {}), [300, 300]);
    assert_eq!(waits(|c| c.fence = true), [1300, 2600]);
    assert_eq!(
        waits(|c| {
            c.fence = true;
            c.alone = baton_election::Alone::Wait;
        }),
        [300, 300]
    );
    let q = NodeConfig::quorum(&[("a", "1"), ("b", "2"), ("c", "3")], 2);
    let mut fenced = q.clone();
    fenced.fence = true;
    assert_eq!(
        [q.alone_wait(), fenced.alone_wait()].map(|d| d.as_millis()),
        [300, 300]
    );
}
