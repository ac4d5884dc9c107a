//! PROTOCOL 5.12: etcd mode with exact commands, times (ms) and roles. Default timers: TTL
//! 2000 ms (renewals every 666.67 ms), request timeout 200 ms, stagger 300 ms, D 300 ms,
//! ρ 1 %: the service ends L_a = 1663.4 ms after the send time of the latest renewal etcd
//! answered.

use baton_core::Instant;
use baton_election::NodeRole::*;
use baton_election::{
    Config, Election, EtcdCommand, EtcdInput, Event, Generation, LeaderKey, LeaseId, Member, Role,
    Round, UsageError,
};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(2);

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn node(me: usize, fence: bool) -> Election {
    let mut c = Config::etcd(&["a", "b", "c"], me);
    c.fence = fence;
    Election::new(c, at(0)).expect("valid etcd config")
}

fn events(e: &mut Election) -> Vec<Event> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

fn cmds(e: &mut Election) -> Vec<EtcdCommand> {
    events(e)
        .into_iter()
        .filter_map(|ev| match ev {
            Event::Etcd(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn campaigns(e: &mut Election) -> Vec<EtcdCommand> {
    cmds(e)
        .into_iter()
        .filter(|c| matches!(c, EtcdCommand::Campaign { .. }))
        .collect()
}

fn key(name: &str, revision: i64, lease: i64, released: bool) -> LeaderKey {
    LeaderKey {
        name: name.to_owned(),
        revision,
        lease: LeaseId(lease),
        released,
    }
}

/// Runs the timers up to `ms`.
fn run_to(e: &mut Election, ms: u64) {
    while let Some(t) = e.poll_timeout() {
        if t > at(ms) {
            break;
        }
        e.handle_timeout(t);
    }
}

/// Runs the timers up to `ms`, etcd answering every renewal at once; the other events.
fn run_renewing(e: &mut Election, ms: u64) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(t) = e.poll_timeout() {
        if t > at(ms) {
            break;
        }
        e.handle_timeout(t);
        for ev in events(e) {
            match ev {
                Event::Etcd(EtcdCommand::KeepAlive { lease, seq }) => {
                    e.handle_etcd(t, EtcdInput::KeptAlive { lease, seq })
                }
                other => out.push(other),
            }
        }
    }
    out
}

/// Starts `me`, confirms standby, grants lease `lease` at 0 and reports no key.
fn standby_with_lease(me: usize, lease: i64, fence: bool) -> Election {
    let mut e = node(me, fence);
    assert_eq!(
        events(&mut e),
        [
            Event::SetComponents {
                role: Role::standby,
                generation: Generation(1)
            },
            Event::Etcd(EtcdCommand::Watch)
        ]
    );
    e.handle_components_done(at(0), Generation(1));
    assert_eq!(
        events(&mut e),
        [
            Event::RoleChanged {
                from: Negotiating,
                to: Standby
            },
            Event::Etcd(EtcdCommand::Grant { ttl: TTL })
        ]
    );
    e.handle_etcd(
        at(1),
        EtcdInput::Granted {
            lease: LeaseId(lease),
        },
    );
    e.handle_etcd(at(1), EtcdInput::Leader(None));
    e
}

/// Makes `e` win with `revision` at `ms` and confirm its components.
fn win(e: &mut Election, lease: i64, revision: i64, ms: u64) {
    e.handle_etcd(
        at(ms),
        EtcdInput::CampaignWon {
            lease: LeaseId(lease),
            revision,
        },
    );
    let g = e.generation();
    e.handle_components_done(at(ms), g);
    assert_eq!(e.role(), Active);
}

#[test]
fn startup_campaigns_by_rank_and_the_winner_promotes_with_the_revision_as_round() {
    let mut a = standby_with_lease(0, 7, false);
    assert_eq!(
        cmds(&mut a),
        [EtcdCommand::Campaign { lease: LeaseId(7) }],
        "rank 0 at once"
    );
    let mut b = standby_with_lease(1, 8, false);
    assert!(cmds(&mut b).is_empty());
    assert_eq!(
        b.poll_timeout(),
        Some(at(301)),
        "rank 1 waits one stagger (300 ms)"
    );
    let mut c = standby_with_lease(2, 9, false);
    assert_eq!(c.poll_timeout(), Some(at(601)), "rank 2 waits two");
    a.handle_etcd(
        at(3),
        EtcdInput::CampaignWon {
            lease: LeaseId(7),
            revision: 42,
        },
    );
    assert_eq!(
        events(&mut a),
        [
            Event::RoleChanged {
                from: Standby,
                to: Promoting
            },
            Event::SetComponents {
                role: Role::active,
                generation: Generation(2)
            }
        ]
    );
    assert_eq!(a.round(), Round(42));
    a.handle_components_done(at(4), Generation(2));
    assert_eq!(a.role(), Active);
    // b sees the key before its timer: no campaign.
    b.handle_etcd(at(5), EtcdInput::Leader(Some(key("a", 42, 7, false))));
    run_to(&mut b, 1000);
    assert!(cmds(&mut b)
        .iter()
        .all(|c| !matches!(c, EtcdCommand::Campaign { .. })));
    assert_eq!(b.seen_round(), Round(42));
    // A lost campaign reads the holder.
    c.handle_etcd(at(601), EtcdInput::CampaignLost(key("a", 42, 7, false)));
    assert_eq!(c.etcd_leader(), Some(&key("a", 42, 7, false)));
}

#[test]
fn renewals_every_third_of_the_ttl_and_silent_demotion_when_they_stop() {
    let mut a = standby_with_lease(0, 7, false);
    win(&mut a, 7, 42, 2);
    events(&mut a);
    // First renewal at 1 + 666.67 ms.
    run_to(&mut a, 668);
    assert_eq!(
        cmds(&mut a),
        [EtcdCommand::KeepAlive {
            lease: LeaseId(7),
            seq: 1
        }]
    );
    a.handle_etcd(
        at(670),
        EtcdInput::KeptAlive {
            lease: LeaseId(7),
            seq: 1,
        },
    );
    // Lease end: renewal sent at 667.67 + 1663.4 = 2331.1 ms.
    let left = a.lease_left(at(670)).expect("serving");
    assert_eq!(left.as_millis(), 1661);
    // etcd answers nothing more.
    run_to(&mut a, 2331);
    assert_eq!(a.role(), Active);
    run_to(&mut a, 2332);
    let ev = events(&mut a);
    assert_eq!(
        ev,
        [
            Event::Etcd(EtcdCommand::KeepAlive {
                lease: LeaseId(7),
                seq: 2
            }),
            Event::Etcd(EtcdCommand::KeepAlive {
                lease: LeaseId(7),
                seq: 3
            }),
            Event::Etcd(EtcdCommand::Resign {
                lease: LeaseId(7),
                revision: 0
            }),
            Event::RoleChanged {
                from: Active,
                to: Demoting
            },
            Event::SetComponents {
                role: Role::standby,
                generation: Generation(3)
            },
            Event::Etcd(EtcdCommand::Grant { ttl: TTL }),
        ]
    );
    a.handle_components_done(at(2400), Generation(3));
    assert_eq!(a.role(), Standby);
    // etcd back: the new lease revokes the stale one first.
    a.handle_etcd(at(5000), EtcdInput::Granted { lease: LeaseId(11) });
    assert_eq!(
        cmds(&mut a),
        [
            EtcdCommand::Resign {
                lease: LeaseId(7),
                revision: 0
            },
            // No key known (this test's watch saw none): rank 0 campaigns again.
            EtcdCommand::Campaign { lease: LeaseId(11) }
        ]
    );
}

#[test]
fn the_inequality_holds_on_the_default_timers() {
    // Service ends by L_a/(1-ρ) + D after the renewal's send time, before TTL/(1+ρ).
    let c = Config::etcd(&["a", "b"], 0);
    let la = c
        .etcd
        .active_lease(c.quorum.demotion_bound, c.quorum.clock_drift_ppm);
    let serve = la.as_secs_f64() / 0.99 + c.quorum.demotion_bound.as_secs_f64();
    assert!(serve <= TTL.as_secs_f64() / 1.01, "{serve}");
    let mut bad = c.clone();
    bad.quorum.demotion_bound = Duration::from_millis(600);
    assert!(bad.validate().is_err());
    let mut witness = c;
    witness.witnesses = vec![1];
    assert!(witness.validate().is_err());
}

#[test]
fn lease_lost_or_key_gone_ends_the_service_at_once() {
    let mut a = standby_with_lease(0, 7, false);
    win(&mut a, 7, 42, 2);
    events(&mut a);
    run_to(&mut a, 668);
    events(&mut a);
    a.handle_etcd(
        at(670),
        EtcdInput::KeepAliveFailed {
            lease: LeaseId(7),
            seq: 1,
            lost: true,
        },
    );
    assert_eq!(
        events(&mut a),
        [
            Event::RoleChanged {
                from: Active,
                to: Demoting
            },
            Event::SetComponents {
                role: Role::standby,
                generation: Generation(3)
            },
            Event::Etcd(EtcdCommand::Grant { ttl: TTL }),
        ]
    );
    let mut b = standby_with_lease(1, 8, false);
    b.handle_etcd(at(2), EtcdInput::Leader(Some(key("a", 42, 7, false))));
    run_to(&mut b, 301);
    b.handle_etcd(at(400), EtcdInput::Leader(Some(key("b", 50, 8, false))));
    // b's own key on its lease without an answer (a lost campaign answer): it is b's.
    assert_eq!(b.role(), Promoting);
    assert_eq!(b.round(), Round(50));
    let g = b.generation();
    b.handle_components_done(at(401), g);
    events(&mut b);
    b.handle_etcd(at(500), EtcdInput::Leader(None));
    assert_eq!(b.role(), Demoting, "the key went: b stops serving");
}

#[test]
fn after_the_holder_expires_the_first_backup_campaigns_at_once_and_fences_it() {
    let mut b = standby_with_lease(1, 8, true);
    b.handle_etcd(at(2), EtcdInput::Leader(Some(key("a", 42, 7, false))));
    events(&mut b);
    assert_eq!(run_renewing(&mut b, 2999), []);
    b.handle_etcd(at(3000), EtcdInput::Leader(None));
    assert_eq!(
        cmds(&mut b),
        [EtcdCommand::Campaign { lease: LeaseId(8) }],
        "at once"
    );
    b.handle_etcd(
        at(3001),
        EtcdInput::CampaignWon {
            lease: LeaseId(8),
            revision: 60,
        },
    );
    assert_eq!(events(&mut b), [Event::Fence { member: Member(0) }]);
    assert_eq!(b.fencing(), Some(Member(0)));
    b.handle_fence_done(at(3100), Member(0), false);
    assert_eq!(b.role(), Standby);
    assert_eq!(run_renewing(&mut b, 4099), []);
    assert_eq!(
        run_renewing(&mut b, 4100),
        [Event::Fence { member: Member(0) }],
        "retried after 1 s"
    );
    b.handle_fence_done(at(4150), Member(0), true);
    assert_eq!(b.role(), Promoting);
    // The second backup waits one stagger after the deletion (a not counted).
    let mut c = standby_with_lease(2, 9, false);
    c.handle_etcd(at(2), EtcdInput::Leader(Some(key("a", 42, 7, false))));
    c.handle_etcd(at(3000), EtcdInput::Leader(None));
    run_to(&mut c, 3299);
    assert_eq!(campaigns(&mut c), []);
    run_to(&mut c, 3300);
    assert_eq!(
        campaigns(&mut c),
        [EtcdCommand::Campaign { lease: LeaseId(9) }]
    );
}

#[test]
fn switchover_resigns_and_the_next_member_campaigns_at_once_without_fencing() {
    let mut a = standby_with_lease(0, 7, true);
    win(&mut a, 7, 42, 2);
    events(&mut a);
    assert_eq!(
        node(1, false).switchover(at(0)),
        Err(UsageError::NotActive(Negotiating))
    );
    assert_eq!(
        a.switchover(at(99)),
        Err(UsageError::PeerDown),
        "nobody to take over"
    );
    a.handle_link_up(at(99), baton_core::LinkId(5), Member(1));
    a.switchover(at(100)).expect("active");
    assert_eq!(
        events(&mut a),
        [
            Event::RoleChanged {
                from: Active,
                to: Demoting
            },
            Event::SetComponents {
                role: Role::standby,
                generation: Generation(3)
            }
        ]
    );
    a.handle_components_done(at(105), Generation(3));
    assert_eq!(
        events(&mut a),
        [
            Event::RoleChanged {
                from: Demoting,
                to: Standby
            },
            Event::Etcd(EtcdCommand::Resign {
                lease: LeaseId(7),
                revision: 42
            }),
            Event::Etcd(EtcdCommand::Grant { ttl: TTL }),
        ]
    );
    // a holds off for a TTL after resigning.
    a.handle_etcd(at(106), EtcdInput::Granted { lease: LeaseId(12) });
    a.handle_etcd(at(107), EtcdInput::Leader(None));
    run_to(&mut a, 2104);
    assert_eq!(campaigns(&mut a), [], "a holds off for a TTL");
    run_to(&mut a, 2105);
    assert_eq!(
        campaigns(&mut a),
        [EtcdCommand::Campaign { lease: LeaseId(12) }]
    );
    let mut b = standby_with_lease(1, 8, true);
    b.handle_etcd(at(2), EtcdInput::Leader(Some(key("a", 42, 7, false))));
    b.handle_etcd(at(106), EtcdInput::Leader(Some(key("a", 42, 7, true))));
    run_to(&mut b, 106);
    events(&mut b);
    b.handle_etcd(at(107), EtcdInput::Leader(None));
    assert_eq!(
        cmds(&mut b),
        [EtcdCommand::Campaign { lease: LeaseId(8) }],
        "the first backup at once"
    );
    b.handle_etcd(
        at(108),
        EtcdInput::CampaignWon {
            lease: LeaseId(8),
            revision: 43,
        },
    );
    assert_eq!(b.role(), Promoting, "released: no fencing");
}

#[test]
fn a_campaign_whose_answer_was_lost_is_won_when_the_watch_saw_the_key() {
    let mut a = standby_with_lease(0, 7, false);
    assert_eq!(cmds(&mut a), [EtcdCommand::Campaign { lease: LeaseId(7) }]);
    a.handle_etcd(at(2), EtcdInput::Leader(Some(key("a", 42, 7, false))));
    assert_eq!(a.role(), Standby, "the campaign's answer is still awaited");
    a.handle_etcd(
        at(201),
        EtcdInput::CampaignFailed {
            lease: LeaseId(7),
            lost: false,
        },
    );
    assert_eq!(a.role(), Promoting);
    assert_eq!(a.round(), Round(42));
}

#[test]
fn a_fatal_failure_resigns_and_election_messages_are_ignored() {
    let mut a = standby_with_lease(0, 7, false);
    win(&mut a, 7, 42, 2);
    events(&mut a);
    a.handle_fatal(at(10));
    assert_eq!(a.role(), Demoting);
    a.handle_components_done(at(11), Generation(3));
    assert!(cmds(&mut a).contains(&EtcdCommand::Resign {
        lease: LeaseId(7),
        revision: 42
    }));
    a.handle_etcd(at(12), EtcdInput::Granted { lease: LeaseId(13) });
    a.handle_etcd(at(12), EtcdInput::Leader(None));
    run_to(&mut a, 10_000);
    assert_eq!(campaigns(&mut a), [], "no campaign while fatal");
    a.handle_fatal_cleared(at(10_001));
    assert_eq!(
        campaigns(&mut a),
        [EtcdCommand::Campaign { lease: LeaseId(13) }]
    );
    // Links and Election messages from a peer change nothing in etcd mode.
    a.handle_link_up(at(10_002), baton_core::LinkId(1), Member(1));
    assert_eq!(a.peers().filter(|p| p.link.is_some()).count(), 1);
    let before = a.clone();
    a.handle_message(
        at(10_002),
        baton_core::LinkId(1),
        baton_election::message::nomination("1 1", "b"),
    );
    assert_eq!(a, before);
    a.handle_link_down(at(10_003), baton_core::LinkId(1));
    assert_eq!(a.role(), Standby);
    assert_eq!(a.peers().filter(|p| p.link.is_some()).count(), 0);
}
