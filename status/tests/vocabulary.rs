//! The status line and the service status state diagram.

use baton_status::{
    service_state, service_status, ComponentsHealth, NodeRole, PeerState, ServiceStatus, State,
    StatusParseError,
};

#[test]
fn every_state_word_round_trips() {
    let words: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        words,
        [
            "negotiating",
            "standby",
            "promoting",
            "active",
            "degraded",
            "demoting",
            "failed"
        ]
    );
    for s in State::ALL {
        assert_eq!(State::from_word(s.as_str()), Some(s));
        let line = ServiceStatus::new(s).to_string();
        assert_eq!(line.parse::<ServiceStatus>(), Ok(ServiceStatus::new(s)));
    }
    assert!(State::Active.is_serving() && State::Degraded.is_serving());
    assert!(!State::Standby.is_serving());
}

#[test]
fn status_line_renders_and_parses() {
    let s = ServiceStatus::new(State::Active)
        .with_peer("b", PeerState::Up(State::Standby))
        .with_components(3, 3);
    assert_eq!(s.to_string(), "active peer=b:standby components=3/3");
    assert_eq!(
        "active peer=b:standby components=3/3".parse(),
        Ok(s.clone())
    );
    // Any order, any spacing, unknown words kept.
    let parsed: ServiceStatus = "  active  components=3/3 since=12s peer=b:standby "
        .parse()
        .unwrap();
    assert_eq!(parsed.extra, vec!["since=12s".to_string()]);
    assert_eq!(
        parsed.to_string(),
        "active peer=b:standby components=3/3 since=12s"
    );
    // A name may hold a colon: the last one separates the state.
    let odd: ServiceStatus = "standby peer=x:y:unknown".parse().unwrap();
    assert_eq!(odd.peer.unwrap().name, "x:y");

    for (line, err) in [
        ("", StatusParseError::Empty),
        ("   ", StatusParseError::Empty),
        ("Active", StatusParseError::UnknownState("Active".into())),
        (
            "active peer=b",
            StatusParseError::MalformedPeer("peer=b".into()),
        ),
        (
            "active peer=:active",
            StatusParseError::MalformedPeer("peer=:active".into()),
        ),
        (
            "active peer=b:sleepy",
            StatusParseError::MalformedPeer("peer=b:sleepy".into()),
        ),
        (
            "active components=3",
            StatusParseError::MalformedComponents("components=3".into()),
        ),
        (
            "active components=a/3",
            StatusParseError::MalformedComponents("components=a/3".into()),
        ),
        (
            "active components=1/1 components=1/1",
            StatusParseError::Duplicate("components"),
        ),
        (
            "active peer=a:down peer=b:down",
            StatusParseError::Duplicate("peer"),
        ),
    ] {
        assert_eq!(line.parse::<ServiceStatus>(), Err(err), "{line:?}");
    }
}

#[test]
fn service_status_state_diagram() {
    let ok = ComponentsHealth {
        ok: 2,
        total: 2,
        fatal_failed: false,
    };
    let minor = ComponentsHealth {
        ok: 1,
        total: 2,
        fatal_failed: false,
    };
    let fatal = ComponentsHealth {
        ok: 1,
        total: 2,
        fatal_failed: true,
    };
    use NodeRole::*;
    use State as S;
    for (role, expected) in [
        (
            Negotiating,
            [S::Negotiating, S::Negotiating, S::Negotiating],
        ),
        (Standby, [S::Standby, S::Standby, S::Failed]),
        (Promoting, [S::Promoting, S::Promoting, S::Promoting]),
        (Active, [S::Active, S::Degraded, S::Degraded]),
        (Demoting, [S::Demoting, S::Demoting, S::Demoting]),
        (PromotionFailed, [S::Failed, S::Failed, S::Failed]),
    ] {
        let got = [ok, minor, fatal].map(|h| service_state(role, h));
        assert_eq!(got, expected, "{role:?}");
    }
    // No components: no components detail.
    assert_eq!(
        service_status(Active, ComponentsHealth::default(), None).to_string(),
        "active"
    );
    assert_eq!(
        service_status(Standby, minor, None).to_string(),
        "standby components=1/2"
    );
}
