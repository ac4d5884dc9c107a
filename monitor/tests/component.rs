//! The component side: answering queries and pushing heartbeats.

use baton_core::{Instant, LinkId};
use baton_monitor::{
    health_query, health_query_response, heart_beat, ComponentHealth, ComponentHealthConfig,
    ComponentHealthEvent, ComponentStatus, IgnoredReason, MonitorError, Transmit,
};
use std::time::Duration;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn sent(c: &mut ComponentHealth) -> Vec<Transmit> {
    std::iter::from_fn(|| c.poll_transmit()).collect()
}

fn tx(message: baton_monitor::HealthMonitorMessage) -> Transmit {
    Transmit {
        link: LinkId(1),
        message,
    }
}

#[test]
fn pushes_heartbeats_and_status_changes() {
    let config = ComponentHealthConfig {
        heartbeat_interval: Duration::from_millis(500),
    };
    let mut c = ComponentHealth::new("12", config).unwrap();
    assert_eq!(c.poll_timeout(), None);
    c.set_status(at(0), ComponentStatus::failed);
    assert_eq!(sent(&mut c), vec![], "nothing is sent before connecting");
    c.handle_node_connected(at(0), LinkId(1));
    assert_eq!(
        sent(&mut c),
        vec![tx(heart_beat("1", "12", ComponentStatus::failed))]
    );
    assert_eq!(c.poll_timeout(), Some(at(500)));
    c.set_status(at(100), ComponentStatus::ok);
    c.set_status(at(110), ComponentStatus::ok);
    assert_eq!(
        sent(&mut c),
        vec![tx(heart_beat("2", "12", ComponentStatus::ok))]
    );
    assert_eq!(c.poll_timeout(), Some(at(600)));
    c.handle_timeout(at(600));
    assert_eq!(
        sent(&mut c),
        vec![tx(heart_beat("3", "12", ComponentStatus::ok))]
    );
    c.handle_message(at(650), health_query("77", "12"));
    assert_eq!(
        sent(&mut c),
        vec![tx(health_query_response("77", "12", ComponentStatus::ok))]
    );
    c.handle_node_closed(at(700));
    assert_eq!(c.poll_timeout(), None);
    c.handle_message(at(710), health_query("78", "12"));
    assert_eq!(sent(&mut c), vec![]);
}

#[test]
fn misbehaviour_and_misuse() {
    assert_eq!(
        ComponentHealth::new("abc", ComponentHealthConfig::default()).unwrap_err(),
        MonitorError::InvalidId("abc".into())
    );
    let mut c = ComponentHealth::new("12", ComponentHealthConfig::default()).unwrap();
    c.handle_node_connected(at(0), LinkId(1));
    sent(&mut c);
    c.handle_message(at(1), health_query("1", "13"));
    c.handle_message(at(1), heart_beat("1", "12", ComponentStatus::ok));
    assert_eq!(sent(&mut c), vec![]);
    assert_eq!(
        std::iter::from_fn(|| c.poll_event()).collect::<Vec<_>>(),
        vec![
            ComponentHealthEvent::Ignored {
                reason: IgnoredReason::ComponentIdMismatch {
                    expected: "12".into(),
                    got: "13".into()
                }
            },
            ComponentHealthEvent::Ignored {
                reason: IgnoredReason::UnexpectedMessage
            },
        ]
    );
}
