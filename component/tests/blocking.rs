//! The blocking facade, from a thread without a runtime, against the pure `Node` (its test
//! driver on a tokio runtime of the test's own). Real time here; bounded by `recv_timeout`.

mod support;

use baton_component::blocking::{Component, Event, Events, RoleRequest};
use baton_component::{ComponentOptions, DisconnectReason, Endpoint, Health, Role};
use baton_election::NodeRole;
use baton_monitor::ComponentHealthState;
use std::time::Duration;
use support::{config, TestNode, ID};

const WAIT: Duration = Duration::from_secs(10);

fn next(events: &Events) -> Event {
    events.recv_timeout(WAIT).expect("an event within 10 s")
}

fn next_request(events: &Events) -> RoleRequest {
    loop {
        match next(events) {
            Event::RoleRequest(r) => return r,
            Event::Connected { .. } => {}
            other => panic!("expected a role request, got {other:?}"),
        }
    }
}

#[test]
fn blocking_component_takes_its_role_reports_health_and_demotes_itself() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.sock");
    let node = runtime.block_on(async { TestNode::unix(&path, config()) });

    let (component, events) =
        Component::connect(Endpoint::Unix(path.clone()), ComponentOptions::new(ID))
            .expect("connect");
    assert_eq!(component.id(), ID);
    let request = next_request(&events);
    assert_eq!(request.role(), Role::Active);
    assert!(!request.correlation_id().is_empty());
    request.accept().expect("accepted");
    assert!(matches!(
        next(&events),
        Event::RoleChanged {
            from: None,
            to: Role::Active
        }
    ));
    assert_eq!(component.role(), Some(Role::Active));
    runtime.block_on(node.wait_for("the node active", |s| s.role == Some(NodeRole::Active)));

    component.set_health(Health::Failed);
    runtime.block_on(node.wait_for("the component failed", |s| {
        matches!(s.health, Some(ComponentHealthState::Failed(_)))
    }));
    assert_eq!(component.health(), Health::Failed);

    // The node link closes while active: standby at once.
    node.close_links();
    // A close with unread data resets a Unix stream: closed or an i/o error, by timing.
    match next(&events) {
        Event::Disconnected {
            reason: DisconnectReason::Closed | DisconnectReason::Io(_),
        } => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(&events), Event::SelfDemoted { .. }));
    assert!(matches!(
        next(&events),
        Event::RoleChanged {
            to: Role::Standby,
            ..
        }
    ));
    assert_eq!(component.role(), Some(Role::Standby));

    component.close();
    // The events end once the thread has stopped.
    let rest: Vec<Event> = events.collect();
    assert!(
        rest.iter().all(|e| matches!(
            e,
            Event::Connected { .. } | Event::RoleRequest(_) | Event::RequestWithdrawn { .. }
        )),
        "{rest:?}"
    );
    drop(node);
    drop(runtime);
}

/// `wait_role` blocks until the application (here another thread) took the first role.
#[test]
fn blocking_wait_role_returns_the_first_role() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.sock");
    let _node = runtime.block_on(async { TestNode::unix(&path, config()) });
    let (component, events) =
        Component::connect(Endpoint::Unix(path.clone()), ComponentOptions::new(ID))
            .expect("connect");
    let answering = std::thread::spawn(move || {
        let request = next_request(&events);
        assert_eq!(request.generation(), Some(1));
        request.accept().expect("accepted");
    });
    assert_eq!(component.wait_role().expect("a role"), Role::Active);
    answering.join().expect("the answering thread");
    component.close();
}

/// The blocking promotion and `replicate`, against the pure node configured to replicate the
/// component (alone, it promotes and acknowledges from its mirror).
#[test]
fn blocking_component_promotes_and_replicates() {
    use baton_component::{
        Ack, Operation, RecordKey, Replica, ReplicateError, ReplicationOptions, Restoration,
    };
    struct App(Vec<&'static str>);
    impl Replica for App {
        fn restore(&mut self, restoration: Restoration) {
            assert_eq!(restoration, Restoration::Records(vec![]));
            self.0.push("restore");
        }
        fn activate(&mut self) -> bool {
            self.0.push("activate");
            true
        }
        fn audit(&mut self) -> Vec<RecordKey> {
            self.0.push("audit");
            vec![RecordKey::new("1", b"orphan".to_vec())]
        }
        fn cleanup(&mut self, orphans: &[RecordKey]) {
            assert_eq!(orphans.len(), 1);
            self.0.push("cleanup");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node.sock");
    let mut node_config = config();
    node_config
        .replication
        .components
        .insert(ID.into(), baton_engine::ReplicationMode::Async);
    let _node = runtime.block_on(async { TestNode::unix(&path, node_config) });
    let mut options = ComponentOptions::new(ID);
    options.replication = Some(ReplicationOptions::default());
    let (component, events) = Component::connect(Endpoint::Unix(path), options).expect("connect");
    let op = || vec![Operation::add("1", b"k".to_vec(), b"v".to_vec())];
    // Refused while not active. Until the link is up the answer is `NotConnected` (the
    // connect returns before the node has the registration): ask again, a bounded number of
    // times, until the link is up; neither refusal numbers an update.
    let refused = (0..2000)
        .map(|_| {
            let r = component.replicate(op());
            if r == Err(ReplicateError::NotConnected) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            r
        })
        .find(|r| *r != Err(ReplicateError::NotConnected));
    assert_eq!(refused, Some(Err(ReplicateError::NotActive)));
    let mut app = App(Vec::new());
    let promoted = next_request(&events).promote(&mut app).expect("promoted");
    assert_eq!(app.0, ["restore", "activate", "audit", "cleanup"]);
    // The cleanup's delete was the first update.
    assert_eq!(
        promoted.acks.iter().map(|a| a.sequence).collect::<Vec<_>>(),
        [1]
    );
    let generation = promoted.acks[0].generation;
    assert_eq!(
        component.replicate(op()),
        Ok(Ack {
            sequence: 2,
            generation
        })
    );
    component.close();
}
