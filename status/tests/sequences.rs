//! PROTOCOL 7.10 and 7.11: client request status and component changes status sequences.

use baton_core::{Instant, LinkId};
use baton_monitor::{
    heart_beat, ComponentHealth, ComponentHealthConfig, ComponentStatus, FailureReason,
    HealthMonitor, MonitorEvent, Severity,
};
use baton_status::{
    get_status, get_status_response, service_status, status_indication, ClientEvent,
    ClientIgnoredReason, ComponentsHealth, NodeRole, PeerState, PeerStatus, ServerEvent,
    ServerIgnoredReason, ServiceStatus, State, StatusClient, StatusError, StatusServer, Transmit,
};

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn server_tx(s: &mut StatusServer) -> Vec<Transmit> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

fn client_events(c: &mut StatusClient) -> Vec<ClientEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn peer_b() -> Option<PeerStatus> {
    Some(PeerStatus {
        name: "b".into(),
        state: PeerState::Up(State::Standby),
    })
}

fn active_3_of_3() -> ServiceStatus {
    service_status(
        NodeRole::Active,
        ComponentsHealth {
            ok: 3,
            total: 3,
            fatal_failed: false,
        },
        peer_b(),
    )
}

/// PROTOCOL 7.10, client request status sequence: the client sends `getStatus`,
/// the node answers `getStatusResponse{status}` with the same `correlationId`.
#[test]
fn client_request_status() {
    let mut node = StatusServer::new(active_3_of_3());
    let mut cli = StatusClient::default();
    node.handle_client_connected(at(0), LinkId(5)).unwrap();
    cli.handle_connected(at(0), LinkId(5));

    // Client -> node: getStatus.
    assert_eq!(cli.request(at(10)), Ok("1".into()));
    let request = cli.poll_transmit().unwrap();
    assert_eq!(
        request,
        Transmit {
            link: LinkId(5),
            message: get_status("1")
        }
    );
    assert_eq!(cli.poll_timeout(), Some(at(1010)));

    // Node -> client: getStatusResponse, echoing the correlationId.
    node.handle_message(at(11), request.link, request.message);
    let response = server_tx(&mut node);
    assert_eq!(
        response,
        vec![Transmit {
            link: LinkId(5),
            message: get_status_response("1", "active peer=b:standby components=3/3")
        }]
    );
    cli.handle_message(at(12), response[0].message.clone());
    assert_eq!(
        client_events(&mut cli),
        vec![ClientEvent::Status {
            status: active_3_of_3(),
            correlation: "1".into()
        }]
    );
    assert_eq!(cli.last_status(), Some(&active_3_of_3()));
    assert_eq!(cli.poll_timeout(), None);
    assert_eq!(node.poll_event(), None);

    // Anyone may read: a link that did not subscribe is answered too.
    node.handle_message(at(20), LinkId(9), get_status("77"));
    assert_eq!(
        server_tx(&mut node),
        vec![Transmit {
            link: LinkId(9),
            message: get_status_response("77", "active peer=b:standby components=3/3")
        }]
    );
}

/// The node's components health as the monitor sees it (no fatal components here).
fn health(monitor: &HealthMonitor) -> ComponentsHealth {
    let (ok, total) = monitor.counts();
    ComponentsHealth {
        ok: ok as u32,
        total: total as u32,
        fatal_failed: monitor.worst_failure() == Some(Severity::Fatal),
    }
}

/// PROTOCOL 7.11, component changes status sequence: a component of the Active
/// node reports `failed` in a `heartBeat`, the node's service status becomes `degraded`, and
/// every connected client gets a `statusIndication` with a fresh `correlationId`; the
/// component's recovery brings `active` back the same way.
#[test]
fn component_changes_status() {
    // Node: monitor with three registered components, status server, two clients.
    let mut monitor = HealthMonitor::default();
    let mut comps: Vec<ComponentHealth> = ["1", "2", "3"]
        .iter()
        .map(|id| ComponentHealth::new(id, ComponentHealthConfig::default()).unwrap())
        .collect();
    for (i, c) in comps.iter_mut().enumerate() {
        c.handle_node_connected(at(0), LinkId(i as u64 + 1));
        let t = c.poll_transmit().unwrap();
        monitor.handle_message(at(0), t.link, t.message);
    }
    let status = |m: &HealthMonitor| service_status(NodeRole::Active, health(m), peer_b());
    assert_eq!(status(&monitor), active_3_of_3());
    let mut node = StatusServer::new(status(&monitor));
    let mut clients = [StatusClient::default(), StatusClient::default()];
    for (i, c) in clients.iter_mut().enumerate() {
        let link = LinkId(10 + i as u64);
        node.handle_client_connected(at(0), link).unwrap();
        c.handle_connected(at(0), link);
    }
    while monitor.poll_event().is_some() {}

    // Component "2" -> node: heartBeat{failed}.
    comps[1].set_status(at(100), ComponentStatus::failed);
    let hb = comps[1].poll_transmit().unwrap();
    assert_eq!(hb.message, heart_beat("2", "2", ComponentStatus::failed));
    monitor.handle_message(at(100), hb.link, hb.message);
    assert_eq!(
        monitor.poll_event(),
        Some(MonitorEvent::ComponentFailed {
            id: "2".into(),
            severity: Severity::Minor,
            reason: FailureReason::ReportedFailed
        })
    );

    // Node -> every client: statusIndication{degraded ...}, fresh correlationIds.
    let degraded = status(&monitor);
    assert_eq!(
        degraded.to_string(),
        "degraded peer=b:standby components=2/3"
    );
    assert!(node.set_status(at(100), degraded.clone()));
    let pushed = server_tx(&mut node);
    assert_eq!(
        pushed,
        vec![
            Transmit {
                link: LinkId(10),
                message: status_indication("1", "degraded peer=b:standby components=2/3")
            },
            Transmit {
                link: LinkId(11),
                message: status_indication("2", "degraded peer=b:standby components=2/3")
            },
        ]
    );
    for (c, t) in clients.iter_mut().zip(&pushed) {
        c.handle_message(at(101), t.message.clone());
        assert_eq!(
            client_events(c),
            vec![ClientEvent::Indication {
                status: degraded.clone()
            }]
        );
    }

    // The same status again (another component event that changes nothing): nothing pushed.
    assert!(!node.set_status(at(150), status(&monitor)));
    assert_eq!(server_tx(&mut node), vec![]);

    // A client leaves; component "2" recovers: the remaining client is told.
    node.handle_client_closed(at(180), LinkId(10));
    comps[1].set_status(at(200), ComponentStatus::ok);
    let hb = comps[1].poll_transmit().unwrap();
    monitor.handle_message(at(200), hb.link, hb.message);
    assert_eq!(
        monitor.poll_event(),
        Some(MonitorEvent::ComponentRecovered { id: "2".into() })
    );
    assert!(node.set_status(at(200), status(&monitor)));
    assert_eq!(
        server_tx(&mut node),
        vec![Transmit {
            link: LinkId(11),
            message: status_indication("3", "active peer=b:standby components=3/3")
        }]
    );
    assert_eq!(node.status(), &active_3_of_3());
}

#[test]
fn client_timeouts_and_misbehaviour() {
    let mut cli = StatusClient::default();
    assert_eq!(cli.request(at(0)), Err(StatusError::NotConnected));
    cli.handle_connected(at(0), LinkId(1));
    assert_eq!(cli.request(at(0)), Ok("1".into()));
    assert_eq!(cli.request(at(500)), Ok("2".into()));
    cli.handle_timeout(at(1000));
    assert_eq!(
        client_events(&mut cli),
        vec![ClientEvent::RequestTimedOut {
            correlation: "1".into()
        }]
    );
    // Too late for "1"; "2" still counts but its line is malformed.
    cli.handle_message(at(1001), get_status_response("1", "active"));
    cli.handle_message(at(1002), get_status_response("2", "sleeping"));
    cli.handle_message(at(1003), get_status("3"));
    cli.handle_message(at(1004), status_indication("9", "standby peer=a:down"));
    assert_eq!(
        client_events(&mut cli),
        vec![
            ClientEvent::Ignored {
                reason: ClientIgnoredReason::UnknownCorrelation("1".into())
            },
            ClientEvent::Ignored {
                reason: ClientIgnoredReason::MalformedStatus {
                    text: "sleeping".into(),
                    error: baton_status::StatusParseError::UnknownState("sleeping".into())
                }
            },
            ClientEvent::Ignored {
                reason: ClientIgnoredReason::UnexpectedMessage
            },
            ClientEvent::Indication {
                status: ServiceStatus::new(State::Standby).with_peer("a", PeerState::Down)
            },
        ]
    );
    assert_eq!(cli.poll_timeout(), None);
    cli.request(at(2000)).unwrap();
    cli.handle_closed(at(2001));
    assert_eq!(cli.poll_timeout(), None);
}

#[test]
fn server_misbehaviour_and_misuse() {
    let mut node = StatusServer::default();
    assert_eq!(node.status().to_string(), "negotiating");
    node.handle_client_connected(at(0), LinkId(1)).unwrap();
    assert_eq!(
        node.handle_client_connected(at(0), LinkId(1)),
        Err(StatusError::AlreadyConnected(LinkId(1)))
    );
    node.handle_message(at(0), LinkId(1), status_indication("1", "active"));
    node.handle_message(at(0), LinkId(1), get_status_response("1", "active"));
    assert_eq!(
        std::iter::from_fn(|| node.poll_event()).collect::<Vec<_>>(),
        vec![
            ServerEvent::Ignored {
                link: LinkId(1),
                reason: ServerIgnoredReason::UnexpectedMessage
            },
            ServerEvent::Ignored {
                link: LinkId(1),
                reason: ServerIgnoredReason::UnexpectedMessage
            },
        ]
    );
    assert_eq!(server_tx(&mut node), vec![]);
    assert_eq!(node.subscribers().collect::<Vec<_>>(), vec![LinkId(1)]);
}
