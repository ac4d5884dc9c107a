//! The component library against a real pure `Node` (a tiny tokio driver in `support`) and
//! against hand-written fake nodes, on Unix sockets in a temporary directory (one test over
//! loopback TCP). Time is tokio's paused clock: deterministic, and no assertion looks at the
//! wall clock.

mod support;

use baton_asn1::monitor::{ComponentStatus, HealthMonitorMessageMessage as M};
use baton_asn1::role::{ReturnCode, RoleMessageMessage};
use baton_codec::{AnyMessage, Encoding, FrameCodec};
use baton_component::{
    AnswerError, Component, ComponentOptions, DisconnectReason, Endpoint, Error, Event, Events,
    Health, Role, RoleRequest, WatchdogReason,
};
use baton_election::NodeRole;
use baton_monitor::ComponentHealthState;
use futures_util::{SinkExt, StreamExt};
use std::path::PathBuf;
use std::time::Duration;
use support::{config, Seen, TestNode, ID};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tokio_util::codec::{FramedRead, FramedWrite};

/// Within the node's watchdog bound, 300 - 100 - 2 = 198 ms (PROTOCOL 6.3).
const DEAD: Duration = Duration::from_millis(190);

fn options() -> ComponentOptions {
    let mut o = ComponentOptions::new(ID);
    o.dead_interval = DEAD;
    o
}

fn socket() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.sock");
    (dir, path)
}

/// The next event, within 10 s of tokio's (paused) clock.
async fn next(events: &mut Events) -> Event {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the component is open")
}

/// The next role request, skipping link events.
async fn next_request(events: &mut Events) -> RoleRequest {
    loop {
        match next(events).await {
            Event::RoleRequest(r) => return r,
            Event::Connected { .. } | Event::Disconnected { .. } => {}
            other => panic!("expected a role request, got {other:?}"),
        }
    }
}

fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

/// The `setRole`s the node sent: (correlationId, role).
fn set_roles(seen: &Seen) -> Vec<(String, baton_role::Role)> {
    seen.to_components
        .iter()
        .filter_map(|m| match m {
            AnyMessage::Role(r) => match &r.message {
                RoleMessageMessage::setRole(s) => {
                    Some((text(r.correlation_id.0.as_bytes()), s.role))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The `setRoleResponse`s the component sent: (correlationId, returnCode).
fn responses(seen: &Seen) -> Vec<(String, ReturnCode)> {
    seen.from_components
        .iter()
        .filter_map(|m| match m {
            AnyMessage::Role(r) => match &r.message {
                RoleMessageMessage::setRoleResponse(s) => {
                    Some((text(r.correlation_id.0.as_bytes()), s.return_code))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn is_registration(m: &AnyMessage) -> bool {
    matches!(m, AnyMessage::Monitor(h)
        if matches!(h.message, M::heartBeat(_)) && h.component_id.0.as_bytes() == ID.as_bytes())
}

/// A node at `path` and a component that registered and accepted `active`.
async fn active_pair(path: &std::path::Path) -> (TestNode, Component, Events) {
    let node = TestNode::unix(path, config());
    let (component, mut events) = Component::connect(Endpoint::Unix(path.into()), options())
        .await
        .expect("connect");
    let request = next_request(&mut events).await;
    assert_eq!(request.role(), Role::Active);
    request.accept().await.expect("accepted");
    assert!(matches!(
        next(&mut events).await,
        Event::RoleChanged {
            from: None,
            to: Role::Active
        }
    ));
    node.wait_for("the node active", |s| s.role == Some(NodeRole::Active))
        .await;
    (node, component, events)
}

#[tokio::test(start_paused = true)]
async fn registration_then_accepted_active_answers_success_with_the_correlation_id() {
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, config());
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    assert!(component.wait_connected().await);
    match next(&mut events).await {
        Event::Connected {
            role: None,
            self_demoted: false,
        } => {}
        other => panic!("{other:?}"),
    }
    let seen = node
        .wait_for("registration", |s| {
            s.health == Some(ComponentHealthState::Ok)
        })
        .await;
    assert!(is_registration(&seen.from_components[0]), "{seen:#?}");
    assert_eq!(component.role(), None);

    // Alone for startup_wait, the node promotes and sets its component active.
    let request = next_request(&mut events).await;
    assert_eq!(request.role(), Role::Active);
    // The node's first promotion is round 1, carried in the id "1 <seq>" (PROTOCOL 2.3).
    assert_eq!(request.generation(), Some(1));
    let correlation = request.correlation_id().to_owned();
    assert!(correlation.starts_with("1 "), "{correlation}");
    request.accept().await.expect("accepted");
    match next(&mut events).await {
        Event::RoleChanged {
            from: None,
            to: Role::Active,
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(component.role(), Some(Role::Active));
    let seen = node
        .wait_for("the node active", |s| s.role == Some(NodeRole::Active))
        .await;
    assert!(set_roles(&seen).contains(&(correlation.clone(), baton_role::Role::active)));
    assert_eq!(responses(&seen), vec![(correlation, ReturnCode::success)]);
}

#[tokio::test(start_paused = true)]
async fn refused_active_answers_failure_and_the_promotion_fails() {
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, config());
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    let request = next_request(&mut events).await;
    let correlation = request.correlation_id().to_owned();
    request.refuse().await.expect("refused");
    let seen = node
        .wait_for("promotion failed", |s| {
            s.role == Some(NodeRole::PromotionFailed)
        })
        .await;
    assert_eq!(responses(&seen), vec![(correlation, ReturnCode::failure)]);
    assert_eq!(component.role(), None);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_request_is_refused() {
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, config());
    let (_component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    let request = next_request(&mut events).await;
    let correlation = request.correlation_id().to_owned();
    drop(request);
    let seen = node
        .wait_for("promotion failed", |s| {
            s.role == Some(NodeRole::PromotionFailed)
        })
        .await;
    assert_eq!(responses(&seen), vec![(correlation, ReturnCode::failure)]);
}

#[tokio::test(start_paused = true)]
async fn without_an_events_reader_requests_are_refused() {
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, config());
    let (component, events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    drop(events);
    let seen = node
        .wait_for("promotion failed", |s| {
            s.role == Some(NodeRole::PromotionFailed)
        })
        .await;
    assert_eq!(responses(&seen).len(), 1);
    assert_eq!(responses(&seen)[0].1, ReturnCode::failure);
    assert_eq!(component.role(), None);
}

#[tokio::test(start_paused = true)]
async fn health_queries_are_answered_with_the_applications_health() {
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, config());
    let (component, _events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    node.wait_for("registration", |s| {
        s.health == Some(ComponentHealthState::Ok)
    })
    .await;

    component.set_health(Health::Failed);
    node.wait_for("the component failed", |s| {
        matches!(s.health, Some(ComponentHealthState::Failed(_)))
    })
    .await;
    // Every query is answered with the query's correlationId and the current health.
    let answered_failed = |s: &Seen| {
        let queries: Vec<String> = s
            .to_components
            .iter()
            .filter_map(|m| match m {
                AnyMessage::Monitor(h) if matches!(h.message, M::healthQuery(_)) => {
                    Some(text(h.correlation_id.0.as_bytes()))
                }
                _ => None,
            })
            .collect();
        s.from_components.iter().any(|m| match m {
            AnyMessage::Monitor(h) => match &h.message {
                M::healthQueryResponse(r) => {
                    r.bill_of_health.status == ComponentStatus::failed
                        && queries.contains(&text(h.correlation_id.0.as_bytes()))
                        && h.component_id.0.as_bytes() == ID.as_bytes()
                }
                _ => false,
            },
            _ => false,
        })
    };
    node.wait_for("a query answered `failed`", answered_failed)
        .await;
    assert_eq!(component.health(), Health::Failed);

    component.set_health(Health::Ok);
    node.wait_for("the component recovered", |s| {
        s.health == Some(ComponentHealthState::Ok)
    })
    .await;
    assert_eq!(component.health(), Health::Ok);
}

#[tokio::test(start_paused = true)]
async fn link_closed_while_active_demotes_at_once_then_reregisters() {
    let (_dir, path) = socket();
    let (node, component, mut events) = active_pair(&path).await;

    let closed_at = Instant::now();
    node.close_links();
    match next(&mut events).await {
        // Closed, or reset if the node closed with our last frame unread.
        Event::Disconnected {
            reason: DisconnectReason::Closed | DisconnectReason::Io(_),
        } => {}
        other => panic!("{other:?}"),
    }
    match next(&mut events).await {
        Event::SelfDemoted {
            reason: WatchdogReason::LinkClosed,
        } => {}
        other => panic!("{other:?}"),
    }
    match next(&mut events).await {
        Event::RoleChanged {
            from: Some(Role::Active),
            to: Role::Standby,
        } => {}
        other => panic!("{other:?}"),
    }
    assert!(closed_at.elapsed() <= DEAD, "{:?}", closed_at.elapsed());
    assert_eq!(component.role(), Some(Role::Standby));
    assert!(component.state().self_demoted);

    // The node is still up: the component reconnects, says it demoted itself, and the node
    // sends it the current role again (late registration).
    match next(&mut events).await {
        Event::Connected {
            role: Some(Role::Standby),
            self_demoted: true,
        } => {}
        other => panic!("{other:?}"),
    }
    let request = next_request(&mut events).await;
    assert_eq!(request.role(), Role::Active);
    request.accept().await.expect("accepted");
    assert!(matches!(
        next(&mut events).await,
        Event::RoleChanged {
            from: Some(Role::Standby),
            to: Role::Active
        }
    ));
    let seen = node.seen();
    assert_eq!(seen.links_opened, 2);
    assert!(!component.state().self_demoted);
}

#[tokio::test(start_paused = true)]
async fn silent_node_demotes_within_the_dead_interval_then_reregisters() {
    let (_dir, path) = socket();
    let (node, component, mut events) = active_pair(&path).await;

    let silent_from = Instant::now();
    node.silence_links();
    match next(&mut events).await {
        Event::SelfDemoted {
            reason: WatchdogReason::Silent,
        } => {}
        other => panic!("{other:?}"),
    }
    // The last frame came before the silence: the watchdog fired within the dead interval.
    let after = silent_from.elapsed();
    assert!(
        after <= DEAD,
        "demoted {after:?} after the node fell silent"
    );
    assert!(matches!(
        next(&mut events).await,
        Event::RoleChanged {
            from: Some(Role::Active),
            to: Role::Standby
        }
    ));
    assert_eq!(component.role(), Some(Role::Standby));
    // It drops the silent link and registers again, saying it demoted itself.
    match next(&mut events).await {
        Event::Disconnected {
            reason: DisconnectReason::Silent,
        } => {}
        other => panic!("{other:?}"),
    }
    match next(&mut events).await {
        Event::Connected {
            role: Some(Role::Standby),
            self_demoted: true,
        } => {}
        other => panic!("{other:?}"),
    }
    let request = next_request(&mut events).await;
    assert_eq!(request.role(), Role::Active);
    request.accept().await.expect("accepted");
    assert_eq!(component.role(), Some(Role::Active));
    assert_eq!(node.seen().links_opened, 2);
}

#[tokio::test(start_paused = true)]
async fn node_restart_reconnects_with_backoff_and_reregisters() {
    let (_dir, path) = socket();
    let (node, component, mut events) = active_pair(&path).await;

    node.stop().await;
    assert!(matches!(
        next(&mut events).await,
        Event::Disconnected { .. }
    ));
    assert!(matches!(
        next(&mut events).await,
        Event::SelfDemoted {
            reason: WatchdogReason::LinkClosed
        }
    ));
    assert!(matches!(
        next(&mut events).await,
        Event::RoleChanged {
            to: Role::Standby,
            ..
        }
    ));
    assert_eq!(component.role(), Some(Role::Standby));
    // Nobody listens for a while: the component keeps trying, quietly.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!component.is_connected());
    assert!(events.try_recv().is_none());

    let node = TestNode::unix(&path, config());
    match next(&mut events).await {
        Event::Connected {
            role: Some(Role::Standby),
            self_demoted: true,
        } => {}
        other => panic!("{other:?}"),
    }
    let seen = node
        .wait_for("registration", |s| {
            s.health == Some(ComponentHealthState::Ok)
        })
        .await;
    assert!(is_registration(&seen.from_components[0]));
    // The new node promotes alone and sets the component active again.
    let request = next_request(&mut events).await;
    assert_eq!(request.role(), Role::Active);
    request.accept().await.expect("accepted");
    node.wait_for("the new node active", |s| s.role == Some(NodeRole::Active))
        .await;
    assert_eq!(component.role(), Some(Role::Active));
}

#[tokio::test(start_paused = true)]
async fn an_answer_after_the_link_closed_is_stale() {
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, config());
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    let request = next_request(&mut events).await;
    assert!(request.is_current());
    let received = Instant::now();
    // The node told its role timeout (1 s) at registration: the deadline follows from it.
    assert_eq!(request.deadline(), Some(received + Duration::from_secs(1)));
    node.close_links();
    assert!(matches!(
        next(&mut events).await,
        Event::Disconnected { .. }
    ));
    assert!(matches!(
        next(&mut events).await,
        Event::RequestWithdrawn { role: Role::Active }
    ));
    assert!(!request.is_current(), "withdrawn by the close");
    assert_eq!(request.accept().await, Err(AnswerError::Stale));
    assert_eq!(component.role(), None);
}

#[tokio::test(start_paused = true)]
async fn a_newer_request_makes_the_older_stale() {
    let (_dir, path) = socket();
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    let (stream, _) = listener.accept().await.expect("accept");
    let (read, write) = tokio::io::split(stream);
    let mut from = FramedRead::new(read, FrameCodec::new(Encoding::Der));
    let mut to = FramedWrite::new(write, FrameCodec::new(Encoding::Der));
    let first = from.next().await.expect("a frame").expect("valid");
    assert!(is_registration(&first));
    to.send(AnyMessage::Role(baton_role::set_role(
        "7",
        baton_role::Role::active,
    )))
    .await
    .unwrap();
    to.send(AnyMessage::Role(baton_role::set_role(
        "8",
        baton_role::Role::standby,
    )))
    .await
    .unwrap();
    let older = next_request(&mut events).await;
    let newer = next_request(&mut events).await;
    assert_eq!((older.role(), older.correlation_id()), (Role::Active, "7"));
    assert_eq!((newer.role(), newer.correlation_id()), (Role::Standby, "8"));
    // An id of another form gives no generation; a node that told no timers, no deadline.
    assert_eq!((older.generation(), older.deadline()), (None, None));
    assert!(!older.is_current(), "replaced by the newer request");
    assert!(newer.is_current());
    assert_eq!(older.accept().await, Err(AnswerError::Stale));
    newer.accept().await.expect("accepted");
    assert_eq!(component.role(), Some(Role::Standby));
    // Only the newer request was answered.
    let answer = from.next().await.expect("a frame").expect("valid");
    assert_eq!(
        answer,
        AnyMessage::Role(baton_role::set_role_response("8", ReturnCode::success))
    );
}

#[tokio::test(start_paused = true)]
async fn garbage_from_the_node_is_logged_and_the_component_reconnects() {
    let (_dir, path) = socket();
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    let garbage: [&[u8]; 6] = [
        &[0xff, 0xff, 0xff, 0xff],          // a length over the limit
        &[0, 0, 0, 0],                      // an empty frame
        &[0, 0, 0, 3, 9, 1, 2],             // interface 9
        &[0, 0, 0, 4, 2, 0x30, 0x80, 0x00], // a RoleMessage that is not DER
        &[0, 0, 0, 3, 3, 0x30, 0x00],       // an empty HealthMonitorMessage
        &[0, 0, 0, 10, 2, 0x30],            // truncated, then end of stream
    ];
    for bytes in garbage {
        let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the component reconnects")
            .expect("accept");
        let (read, mut write) = tokio::io::split(stream);
        let mut from = FramedRead::new(read, FrameCodec::new(Encoding::Der));
        let first = from.next().await.expect("a frame").expect("valid");
        assert!(is_registration(&first), "{first:?}");
        assert!(matches!(next(&mut events).await, Event::Connected { .. }));
        write.write_all(bytes).await.unwrap();
        write.shutdown().await.unwrap();
        match next(&mut events).await {
            Event::Disconnected {
                reason: DisconnectReason::Frame(_),
            } => {}
            other => panic!("{bytes:?}: {other:?}"),
        }
    }
    assert_eq!(component.role(), None);
}

#[tokio::test(start_paused = true)]
async fn valid_but_unexpected_messages_are_ignored() {
    let (_dir, path) = socket();
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    let (stream, _) = listener.accept().await.expect("accept");
    let (read, write) = tokio::io::split(stream);
    let mut from = FramedRead::new(read, FrameCodec::new(Encoding::Der));
    let mut to = FramedWrite::new(write, FrameCodec::new(Encoding::Der));
    assert!(is_registration(&from.next().await.unwrap().unwrap()));
    let odd = [
        AnyMessage::Role(baton_role::set_role_response("1", ReturnCode::success)),
        AnyMessage::Monitor(baton_monitor::health_query("2", "999")),
        AnyMessage::Monitor(baton_monitor::heart_beat("3", ID, ComponentStatus::ok)),
        AnyMessage::Status(baton_status_get("4")),
        AnyMessage::Election(election_nomination("5")),
    ];
    for m in odd {
        to.send(m).await.unwrap();
    }
    to.send(AnyMessage::Monitor(baton_monitor::health_query("6", ID)))
        .await
        .unwrap();
    // Still the same link: the query is answered.
    let answer = from.next().await.expect("a frame").expect("valid");
    assert_eq!(
        answer,
        AnyMessage::Monitor(baton_monitor::health_query_response(
            "6",
            ID,
            ComponentStatus::ok
        ))
    );
    assert!(matches!(next(&mut events).await, Event::Connected { .. }));
    assert!(events.try_recv().is_none());
    assert!(component.is_connected());
}

fn baton_status_get(correlation: &str) -> baton_asn1::status::ServiceStatusMessage {
    use baton_asn1::status::{
        CorrelationId, GetStatus, ServiceStatusMessage, ServiceStatusMessageMessage,
    };
    ServiceStatusMessage::new(
        CorrelationId(correlation.as_bytes().try_into().expect("digits")),
        ServiceStatusMessageMessage::getStatus(GetStatus::new()),
    )
}

fn election_nomination(correlation: &str) -> baton_asn1::election::ElectionMessage {
    use baton_asn1::election::{
        Candidate, CorrelationId, ElectionMessage, ElectionMessageMessage, NominationMessage,
    };
    ElectionMessage::new(
        CorrelationId(correlation.as_bytes().try_into().expect("digits")),
        ElectionMessageMessage::nominationMsg(NominationMessage::new(Candidate("alpha".into()))),
    )
}

#[tokio::test(start_paused = true)]
async fn over_loopback_tcp() {
    let (node, addr) = TestNode::tcp(config()).await;
    let (component, mut events) = Component::connect(Endpoint::Tcp(addr), options())
        .await
        .expect("connect");
    let request = next_request(&mut events).await;
    request.accept().await.expect("accepted");
    node.wait_for("the node active", |s| s.role == Some(NodeRole::Active))
        .await;
    assert_eq!(component.role(), Some(Role::Active));
}

#[tokio::test(start_paused = true)]
async fn close_ends_the_events_and_the_link() {
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, config());
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    node.wait_for("registration", |s| s.links_open == 1).await;
    let other = component.clone();
    component.close().await;
    assert!(other.state().closed);
    assert!(!other.is_connected());
    while let Some(e) = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("events end")
    {
        assert!(matches!(e, Event::Connected { .. }), "{e:?}");
    }
    node.wait_for("the link closed", |s| s.links_open == 0)
        .await;
    assert!(!other.wait_connected().await);
}

#[tokio::test]
async fn an_invalid_id_is_refused() {
    for id in ["", "abc", "12345678901234567"] {
        let r = Component::connect(
            Endpoint::Tcp("127.0.0.1:9".parse().unwrap()),
            ComponentOptions::new(id),
        )
        .await;
        assert!(matches!(r, Err(Error::InvalidId(_))), "{id:?}");
    }
}

/// A small deterministic generator (xorshift64*), so the test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn digits(&mut self, max: u64) -> String {
        (0..self.below(max + 1))
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// A random valid message a node could send (or should not).
fn random_message(rng: &mut Rng) -> AnyMessage {
    let correlation = rng.digits(16);
    let id = if rng.below(2) == 0 {
        ID.to_owned()
    } else {
        rng.digits(16)
    };
    let role = if rng.below(2) == 0 {
        baton_role::Role::active
    } else {
        baton_role::Role::standby
    };
    let status = if rng.below(2) == 0 {
        ComponentStatus::ok
    } else {
        ComponentStatus::failed
    };
    match rng.below(7) {
        0 => AnyMessage::Role(baton_role::set_role(&correlation, role)),
        1 => AnyMessage::Role(baton_role::set_role_response(
            &correlation,
            ReturnCode::failure,
        )),
        2 => AnyMessage::Monitor(baton_monitor::health_query(&correlation, &id)),
        3 => AnyMessage::Monitor(baton_monitor::heart_beat(&correlation, &id, status)),
        4 => AnyMessage::Monitor(baton_monitor::health_query_response(
            &correlation,
            &id,
            status,
        )),
        5 => AnyMessage::Status(baton_status_get(&correlation)),
        _ => AnyMessage::Election(election_nomination(&correlation)),
    }
}

#[tokio::test(start_paused = true)]
async fn random_frames_and_messages_from_the_node_never_stop_the_component() {
    let (_dir, path) = socket();
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    // The application: answers every request at random, or drops it.
    let app = tokio::spawn(async move {
        let mut n = 0u64;
        while let Some(event) = events.recv().await {
            if let Event::RoleRequest(r) = event {
                n += 1;
                match n % 3 {
                    0 => drop(r),
                    1 => {
                        let _ = r.accept().await;
                    }
                    _ => {
                        let _ = r.refuse().await;
                    }
                }
            }
        }
    });
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut codec = FrameCodec::new(Encoding::Der);
    for _ in 0..200 {
        let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the component reconnects")
            .expect("accept");
        let (read, mut write) = tokio::io::split(stream);
        let mut from = FramedRead::new(read, FrameCodec::new(Encoding::Der));
        assert!(is_registration(&from.next().await.unwrap().unwrap()));
        let mut bytes = tokio_util::bytes::BytesMut::new();
        for _ in 0..rng.below(20) {
            if rng.below(4) == 0 {
                // Random bytes behind a plausible prefix.
                let len = rng.below(40) as usize;
                bytes.extend_from_slice(&(len as u32).to_be_bytes());
                bytes.extend((0..len).map(|i| {
                    if i == 0 {
                        rng.below(6) as u8
                    } else {
                        rng.next() as u8
                    }
                }));
            } else {
                tokio_util::codec::Encoder::encode(
                    &mut codec,
                    random_message(&mut rng),
                    &mut bytes,
                )
                .expect("encodable");
            }
        }
        write.write_all(&bytes).await.unwrap();
        tokio::time::sleep(Duration::from_millis(rng.below(300))).await;
        // Drop the link from this side (the component may already have).
    }
    // Still alive and well: it registers again and answers a query.
    let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the component reconnects")
        .expect("accept");
    let (read, write) = tokio::io::split(stream);
    let mut from = FramedRead::new(read, FrameCodec::new(Encoding::Der));
    let mut to = FramedWrite::new(write, FrameCodec::new(Encoding::Der));
    assert!(is_registration(&from.next().await.unwrap().unwrap()));
    to.send(AnyMessage::Monitor(baton_monitor::health_query("99", ID)))
        .await
        .unwrap();
    loop {
        match from.next().await.expect("a frame").expect("valid") {
            AnyMessage::Monitor(h) if matches!(h.message, M::healthQueryResponse(_)) => {
                assert_eq!(h.correlation_id.0.as_bytes(), b"99");
                break;
            }
            _ => {}
        }
    }
    assert!(!component.state().closed);
    component.close().await;
    app.await.expect("the app task ends");
}

#[tokio::test(start_paused = true)]
async fn a_node_that_closes_at_once_gets_exponential_backoff() {
    let (_dir, path) = socket();
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let mut o = options();
    o.reconnect = baton_component::Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_millis(800),
    };
    let (_component, _events) = Component::connect(Endpoint::Unix(path), o)
        .await
        .expect("connect");
    let mut accepted = Vec::new();
    for _ in 0..7 {
        let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the component reconnects")
            .expect("accept");
        accepted.push(Instant::now());
        drop(stream);
    }
    let gaps: Vec<Duration> = accepted.windows(2).map(|w| w[1] - w[0]).collect();
    let ms = |n| Duration::from_millis(n);
    // Waits of 100, 200, 400, 800, 800, 800 ms (tokio's paused clock, millisecond timers).
    for (gap, wait) in gaps.iter().zip([100, 200, 400, 800, 800, 800]) {
        assert!(*gap >= ms(wait) && *gap <= ms(wait + 5), "gaps {gaps:?}");
    }
}

#[test]
fn handles_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Component>();
    send::<Events>();
    send::<Event>();
    send_sync::<RoleRequest>();
    send_sync::<baton_component::blocking::Component>();
    send::<baton_component::blocking::Events>();
    send::<baton_component::blocking::Event>();
}

/// The tests' node with component `ID` configured (of `severity`) and unknown ids refused, as
/// `baton node` does (PROTOCOL 6.9).
fn configured(severity: baton_monitor::Severity) -> baton_engine::NodeConfig {
    let mut c = config();
    c.components.insert(
        ID.into(),
        baton_monitor::ComponentPolicy {
            severity,
            dead_interval: None,
        },
    );
    c.refuse_unknown_components = true;
    c
}

/// PROTOCOL 6.9: a node whose configuration lists no such id refuses it: the application gets
/// `UnknownComponentId`, the events end, the component stops and `wait_role` says why.
#[tokio::test(start_paused = true)]
async fn an_unknown_id_is_refused_by_the_node_and_the_component_stops() {
    let (_dir, path) = socket();
    let mut c = config();
    c.refuse_unknown_components = true;
    let node = TestNode::unix(&path, c);
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    assert!(matches!(next(&mut events).await, Event::Connected { .. }));
    assert!(matches!(next(&mut events).await, Event::UnknownComponentId));
    // The node closed the link: the component does not reconnect.
    let mut rest = Vec::new();
    while let Some(e) = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("events end")
    {
        rest.push(e);
    }
    assert!(
        rest.iter().all(|e| matches!(e, Event::Disconnected { .. })),
        "{rest:?}"
    );
    assert!(matches!(
        component.wait_role().await,
        Err(Error::UnknownComponentId)
    ));
    assert!(component.state().refused && component.state().closed);
    assert_eq!(node.seen().links_opened, 1);
}

/// `wait_role` returns once the application took its first role; the node's timers are
/// known by then (PROTOCOL 6.9).
#[tokio::test(start_paused = true)]
async fn wait_role_returns_the_first_role_taken_and_the_timers_are_known() {
    let (_dir, path) = socket();
    let _node = TestNode::unix(&path, configured(baton_monitor::Severity::Minor));
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    let answering = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            assert!(
                !matches!(event, Event::WatchdogTooLong { .. }),
                "190 ms is within the bound"
            );
            if let Event::RoleRequest(r) = event {
                let _ = r.accept().await;
            }
        }
    });
    assert_eq!(component.wait_role().await.expect("a role"), Role::Active);
    let timers = component.node_timers();
    assert_eq!(timers.role_timeout, Some(Duration::from_secs(1)));
    assert_eq!(timers.dead_interval, Some(Duration::from_millis(300)));
    assert_eq!(timers.query_interval, Some(Duration::from_millis(100)));
    assert_eq!(timers.watchdog_bound, Some(Duration::from_millis(198)));
    // At once when a role is held.
    assert_eq!(component.wait_role().await.expect("a role"), Role::Active);
    component.close().await;
    answering.await.expect("the reader ends");
}

/// A watchdog longer than the node's bound is reported, and `active` refused by the library
/// itself (PROTOCOL 6.3, 6.9): the application is never asked to serve.
#[tokio::test(start_paused = true)]
async fn a_watchdog_longer_than_the_nodes_bound_is_reported() {
    let (_dir, path) = socket();
    let _node = TestNode::unix(&path, configured(baton_monitor::Severity::Minor));
    let mut o = options();
    o.dead_interval = Duration::from_millis(200);
    let (component, mut events) = Component::connect(Endpoint::Unix(path), o)
        .await
        .expect("connect");
    assert!(matches!(next(&mut events).await, Event::Connected { .. }));
    match next(&mut events).await {
        Event::WatchdogTooLong { watchdog, bound } => {
            assert_eq!(watchdog, Duration::from_millis(200));
            assert_eq!(bound, Duration::from_millis(198));
        }
        other => panic!("{other:?}"),
    }
    match next(&mut events).await {
        Event::ActiveRefused { watchdog, bound } => {
            assert_eq!(watchdog, Duration::from_millis(200));
            assert_eq!(bound, Duration::from_millis(198));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(component.role(), None);
}

/// PROTOCOL 6.4, 6.9: a `major` linked component that reports failed is asked to restart.
#[tokio::test(start_paused = true)]
async fn a_failed_major_component_is_asked_to_restart() {
    let (_dir, path) = socket();
    let _node = TestNode::unix(&path, configured(baton_monitor::Severity::Major));
    let (component, mut events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    assert!(component.wait_connected().await);
    component.set_health(Health::Failed);
    loop {
        match next(&mut events).await {
            Event::RestartRequested => break,
            Event::Connected { .. } | Event::RoleRequest(_) | Event::RoleChanged { .. } => {}
            other => panic!("{other:?}"),
        }
    }
}

/// PROTOCOL 6.9: `leave` tells the node first: the component is then not registered, and
/// not failed (no failure logged, no restart of a `major` one).
#[tokio::test(start_paused = true)]
async fn leave_is_not_taken_for_a_crash() {
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, configured(baton_monitor::Severity::Major));
    let (component, _events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    node.wait_for("registration", |s| {
        s.health == Some(ComponentHealthState::Ok)
    })
    .await;
    component.leave().await;
    let seen = node.wait_for("the leave", |s| s.links_open == 0).await;
    assert_eq!(seen.health, Some(ComponentHealthState::Unregistered));
    assert!(
        !seen
            .log
            .iter()
            .any(|l| l.contains("ComponentFailed") || l.contains("RestartComponent")),
        "{:#?}",
        seen.log
    );
    assert!(
        seen.log.iter().any(|l| l.contains("left (planned")),
        "{:#?}",
        seen.log
    );
}

/// The health probe answers each `healthQuery` (pulled, no poller of the application); a
/// probe that panics leaves the last health.
#[tokio::test(start_paused = true)]
async fn a_health_probe_answers_the_nodes_queries() {
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::sync::Arc;
    let (_dir, path) = socket();
    let node = TestNode::unix(&path, config());
    let (component, _events) = Component::connect(Endpoint::Unix(path), options())
        .await
        .expect("connect");
    // 0: ok, 1: failed, 2: the probe panics.
    let mode = Arc::new(AtomicU8::new(1));
    let probe_mode = mode.clone();
    component.on_health_query(move || match probe_mode.load(Ordering::Relaxed) {
        0 => Health::Ok,
        1 => Health::Failed,
        _ => panic!("probe failure (expected by the test)"),
    });
    node.wait_for("failed by the probe", |s| {
        s.health
            == Some(ComponentHealthState::Failed(
                baton_monitor::FailureReason::ReportedFailed,
            ))
    })
    .await;
    assert_eq!(component.health(), Health::Failed);
    mode.store(0, Ordering::Relaxed);
    node.wait_for("ok by the probe", |s| {
        s.health == Some(ComponentHealthState::Ok)
    })
    .await;
    // A panicking probe: the component keeps answering with the last health (ok) and stays.
    mode.store(2, Ordering::Relaxed);
    let answers_before = node.seen().from_components.len();
    node.wait_for("answers after the panic", |s| {
        s.from_components.len() >= answers_before + 3
    })
    .await;
    assert_eq!(node.seen().health, Some(ComponentHealthState::Ok));
    assert!(component.is_connected());
    // Without the probe, set_health rules again.
    component.clear_health_query();
    component.set_health(Health::Failed);
    node.wait_for("failed by set_health", |s| {
        matches!(s.health, Some(ComponentHealthState::Failed(_)))
    })
    .await;
}
