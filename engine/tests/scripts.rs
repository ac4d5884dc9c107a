//! Script components through the whole Node, on a virtual clock: exact typed outputs. Events
//! that say nothing of the script components (status lines, dials) are left out.

use baton_asn1::monitor::ComponentStatus;
use baton_codec::AnyMessage;
use baton_component::Role;
use baton_core::{Instant, LinkId, NodeRole};
use baton_election::Alone;
use baton_engine::{
    CloseReason, Event, Hook, HookEnv, HookJob, JobId, LinkKind, Node, NodeConfig, Notice,
    ScriptComponent, ScriptNotice, SCRIPT_LINKS,
};
use baton_monitor::{ComponentPolicy, FailureReason, LinkOrigin, Severity};
use baton_role::FailureReason as RoleFailure;
use std::time::Duration;

/// The script component's link.
const SCRIPT: LinkId = LinkId(SCRIPT_LINKS);

fn ms(n: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(n)
}

/// alpha, with script component 2001 (`check` every 500 ms) of severity `severity`.
fn config(severity: Severity) -> NodeConfig {
    let mut c = NodeConfig::pair([("alpha", "1"), ("beta", "2")], 0);
    c.scripts = vec![ScriptComponent {
        id: ID.to_owned(),
        check: Some("check".to_owned()),
        activate: Some("activate".to_owned()),
        deactivate: None,
        start: None,
        stop: None,
        timeout: Duration::from_secs(1),
        check_interval: Duration::from_millis(500),
    }];
    let policy = ComponentPolicy {
        severity,
        dead_interval: None,
    };
    c.components.insert(ID.to_owned(), policy);
    c
}

const ID: &str = "2001";

fn registered() -> Event {
    Event::Notice(Notice::ComponentRegistered {
        component: ID.to_owned(),
        link: SCRIPT,
    })
}

fn failed(severity: Severity, reason: FailureReason) -> Event {
    Event::Notice(Notice::ComponentFailed {
        component: ID.to_owned(),
        severity,
        reason,
    })
}

fn recovered() -> Event {
    Event::Notice(Notice::ComponentRecovered {
        component: ID.to_owned(),
    })
}

fn role_changed(from: NodeRole, to: NodeRole) -> Event {
    Event::RoleChanged { from, to }
}

/// A job of component 2001 on alpha.
fn job(id: u64, hooks: &[Hook], role: Role) -> Event {
    job_of(["alpha", "beta"], id, hooks, role)
}

/// A job of component 2001 on `[member, peer]`.
fn job_of([member, peer]: [&str; 2], id: u64, hooks: &[Hook], role: Role) -> Event {
    Event::RunHooks {
        id: JobId(id),
        job: HookJob {
            component: 0,
            hooks: hooks.to_vec(),
            env: HookEnv {
                component: ID.to_owned(),
                role,
                member: member.to_owned(),
                peer: peer.to_owned(),
            },
        },
    }
}

/// The peer link of [`Pair`].
const PEER: LinkId = LinkId(1);

/// Two nodes on a zero-latency wire, on one peer link; every event of each, in order.
struct Pair {
    nodes: [Node; 2],
    now: Instant,
    events: [Vec<Event>; 2],
}

impl Pair {
    /// Both nodes started at 0, the peer link open (alpha dialled it).
    fn connected(cfg: impl Fn(usize) -> NodeConfig) -> Pair {
        let node = |me, origin| {
            let mut n = Node::new(cfg(me), ms(0)).expect("valid configuration");
            n.handle_link_opened(ms(0), PEER, LinkKind::Peer(origin));
            n
        };
        let nodes = [node(0, LinkOrigin::Dialled), node(1, LinkOrigin::Accepted)];
        let (now, events) = (ms(0), [Vec::new(), Vec::new()]);
        Pair { nodes, now, events }
    }

    /// Delivers everything in flight, repeatedly; keeps the events.
    fn flush(&mut self) {
        loop {
            let mut moved = false;
            for i in 0..2 {
                while let Some(t) = self.nodes[i].poll_transmit() {
                    moved = true;
                    assert_eq!(t.link, PEER, "only the peer link is the driver's");
                    self.nodes[1 - i].handle_frame(self.now, t.link, t.message);
                }
                self.events[i].extend(std::iter::from_fn(|| self.nodes[i].poll_event()));
            }
            if !moved {
                return;
            }
        }
    }

    /// Runs both nodes' timers for `d`, delivering as it goes.
    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.flush();
            let next = self.nodes.iter().filter_map(Node::poll_timeout).min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    for node in &mut self.nodes {
                        node.handle_timeout(self.now);
                    }
                }
                _ => break,
            }
        }
        self.now = end;
    }

    /// Node `i`'s events that concern script components, since last asked.
    fn take(&mut self, i: usize) -> Vec<Event> {
        script_events(std::mem::take(&mut self.events[i]))
    }
}

/// The events that concern script components: no status lines, no dials.
fn script_events(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                Event::RunHooks { .. }
                    | Event::Notice(_)
                    | Event::CloseLink { .. }
                    | Event::RoleChanged { .. }
                    | Event::RestartComponent { .. }
            )
        })
        .collect()
}

/// One node (its peer never connects).
struct One {
    node: Node,
    now: Instant,
}

impl One {
    /// The node started at 0, and its events then.
    fn new(config: NodeConfig) -> (One, Vec<Event>) {
        let mut one = One {
            node: Node::new(config, ms(0)).expect("valid configuration"),
            now: ms(0),
        };
        let events = one.events();
        (one, events)
    }

    /// Its events about script components; nothing ever goes to the driver's links.
    fn events(&mut self) -> Vec<Event> {
        assert_eq!(self.node.poll_transmit(), None);
        script_events(std::iter::from_fn(|| self.node.poll_event()).collect())
    }

    /// Runs the timers due up to `ms(t)`, one instant after another.
    fn run_to(&mut self, t: u64) -> Vec<Event> {
        let end = ms(t);
        let mut out = Vec::new();
        while let Some(at) = self.node.poll_timeout().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            self.node.handle_timeout(self.now);
            out.extend(self.events());
        }
        self.now = end;
        out
    }

    fn done(&mut self, job: u64, ok: bool) -> Vec<Event> {
        self.node.handle_hooks_done(self.now, JobId(job), ok);
        self.events()
    }
}

#[test]
fn a_role_request_becomes_a_job_whose_success_answers_the_set_role() {
    let (mut one, events) = One::new(config(Severity::Fatal));
    assert_eq!(events, [registered()]);
    assert_eq!(one.run_to(10), [job(1, &[Hook::Check], Role::Standby)]);
    assert_eq!(one.done(1, true), []);
    // Alone after startup_wait: the node promotes and asks its component to take active.
    assert_eq!(
        one.run_to(300),
        [
            role_changed(NodeRole::Negotiating, NodeRole::Promoting),
            job(2, &[Hook::Start, Hook::Activate], Role::Active),
        ]
    );
    // The job's success is the setRoleResponse{success}: the promotion completes.
    let active = role_changed(NodeRole::Promoting, NodeRole::Active);
    assert_eq!(one.done(2, true), [active]);
}

#[test]
fn a_failed_activate_fails_the_promotion() {
    let (mut one, _) = One::new(config(Severity::Fatal));
    one.run_to(10);
    one.done(1, true);
    one.run_to(300);
    // The job's failure is the setRoleResponse{failure}.
    assert_eq!(
        one.done(2, false),
        [
            Event::Notice(Notice::ComponentRoleFailed {
                component: ID.to_owned(),
                role: baton_role::Role::active,
                reason: RoleFailure::Refused,
            }),
            Event::Notice(Notice::PromotionFailed {
                component: ID.to_owned(),
                reason: RoleFailure::Refused,
            }),
            role_changed(NodeRole::Promoting, NodeRole::PromotionFailed),
        ]
    );
}

#[test]
fn a_superseded_job_is_dropped_and_the_newer_one_answers() {
    // beta, standing by beside alpha, runs the script component; alpha has none.
    let mut pair = Pair::connected(|me| {
        let mut c = config(Severity::Minor);
        c.me = me;
        if me == 0 {
            c.scripts.clear();
        }
        c
    });
    pair.run_for(Duration::from_millis(1500));
    let run = |id, hooks: &[Hook]| job_of(["beta", "alpha"], id, hooks, Role::Standby);
    // Job 1 (the standby request) is not done within the role timeout: the settled node
    // closes the component's link; the component connects again at once, registers, and
    // the node sends it the role again: job 3 supersedes job 1.
    assert_eq!(
        pair.take(1),
        [
            registered(),
            Event::Notice(Notice::PeerUp {
                peer: "alpha".to_owned(),
                link: PEER,
            }),
            role_changed(NodeRole::Negotiating, NodeRole::Standby),
            run(1, &[Hook::Deactivate, Hook::Stop]),
            // alpha's answer to beta's self-nomination, void since beta stood by [F7].
            Event::Notice(Notice::StaleAnswer {
                peer: "alpha".to_owned(),
                answer: "electionError",
                correlation_id: "0 1".to_owned(),
            }),
            run(2, &[Hook::Check]),
            Event::Notice(Notice::ComponentRoleFailed {
                component: ID.to_owned(),
                role: baton_role::Role::standby,
                reason: RoleFailure::TimedOut,
            }),
            Event::Notice(Notice::Script(ScriptNotice::LinkClosed {
                component: ID.to_owned(),
                reason: CloseReason::ComponentDidNotTakeRole {
                    component: ID.to_owned(),
                },
            })),
            Event::Notice(Notice::ComponentDidNotStandBy {
                component: ID.to_owned(),
                reason: RoleFailure::TimedOut,
            }),
            failed(Severity::Minor, FailureReason::LinkClosed),
            registered(),
            recovered(),
            run(3, &[Hook::Deactivate, Hook::Stop]),
        ]
    );
    let now = pair.now;
    pair.nodes[1].handle_hooks_done(now, JobId(1), true);
    pair.flush();
    let superseded = ScriptNotice::Superseded {
        component: ID.to_owned(),
        job: JobId(1),
    };
    assert_eq!(pair.take(1), [Event::Notice(Notice::Script(superseded))]);
    // Job 3 answers: the component took its role, nothing fails or closes any more.
    pair.nodes[1].handle_hooks_done(now, JobId(3), true);
    pair.run_for(Duration::from_millis(3000));
    assert_eq!(pair.take(1), []);
}

#[test]
fn a_check_result_fails_and_recovers_the_health() {
    // Waiting for its peer: no role request comes.
    let mut c = config(Severity::Minor);
    c.alone = Alone::Wait;
    let (mut one, _) = One::new(c);
    one.run_to(0);
    let failure = failed(Severity::Minor, FailureReason::ReportedFailed);
    assert_eq!(one.done(1, false), [failure]);
    // The next check is due 500 ms after the last one ended, not before.
    assert_eq!(one.run_to(499), []);
    assert_eq!(one.run_to(500), [job(2, &[Hook::Check], Role::Standby)]);
    assert_eq!(one.done(2, true), [recovered()]);
}

#[test]
fn a_major_failure_restarts_the_script_component() {
    let (mut one, _) = One::new(config(Severity::Major));
    one.run_to(0);
    assert_eq!(
        one.done(1, false),
        [
            failed(Severity::Major, FailureReason::ReportedFailed),
            Event::RestartComponent { id: ID.to_owned() },
            job(2, &[Hook::Stop, Hook::Start], Role::Standby),
        ]
    );
}

#[test]
fn a_socket_registering_with_a_script_id_is_closed() {
    let (mut one, _) = One::new(config(Severity::Fatal));
    let link = LinkId(5);
    one.node
        .handle_link_opened(ms(1), link, LinkKind::Component);
    let heartbeat = baton_monitor::heart_beat("1", ID, ComponentStatus::ok);
    one.node
        .handle_frame(ms(1), link, AnyMessage::Monitor(heartbeat));
    let component = ID.to_owned();
    let reason = CloseReason::ScriptComponentId { component };
    assert_eq!(one.events(), [Event::CloseLink { link, reason }]);
    assert_eq!(one.node.link_kind(link), None);
}

#[test]
fn start_and_exit_jobs_give_the_component_up_with_the_real_names() {
    let Event::RunHooks { job: cleanup, .. } =
        job(0, &[Hook::Deactivate, Hook::Stop], Role::Standby)
    else {
        unreachable!()
    };
    let start = Node::start_jobs(&config(Severity::Fatal));
    assert_eq!(start, std::slice::from_ref(&cleanup));
    let (mut one, _) = One::new(config(Severity::Fatal));
    // Negotiating: the node does not hold the service.
    assert_eq!(one.node.exit_jobs(), []);
    one.run_to(10);
    one.done(1, true);
    one.run_to(300);
    one.done(2, true);
    assert_eq!(one.node.role(), NodeRole::Active);
    assert_eq!(one.node.exit_jobs(), [cleanup]);
}
