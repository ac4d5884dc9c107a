//! The public API: configuration, local misuse, peer misbehaviour, timers, fatal failures,
//! [F3] [F5], and the traits the model checker needs.

mod util;

use baton_core::{Instant, LinkId};
use baton_election::{
    message, Alone, Config, ConfigError, Election, Event, Generation, Member, Misbehaviour,
    NodeRole, PeerRole, Role, UsageError,
};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Duration;
use util::*;

const L1: LinkId = LinkId(1);

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn transmits(e: &mut Election) -> Vec<baton_asn1::election::ElectionMessage> {
    std::iter::from_fn(|| e.poll_transmit().map(|t| t.message)).collect()
}

fn events(e: &mut Election) -> Vec<Event> {
    std::iter::from_fn(|| e.poll_event()).collect()
}

fn standby_b() -> Election {
    let mut b = Election::new(Config::pair(["a", "b"], 1), t(0)).unwrap();
    b.handle_link_up(t(0), L1, Member(0));
    b.handle_message(t(1), L1, nom("0 5", "a"));
    assert_eq!(b.role(), NodeRole::Standby);
    transmits(&mut b);
    events(&mut b);
    b
}

#[test]
fn config_is_validated() {
    let ok = Config::pair(["a", "b"], 0);
    assert_eq!(ok.validate(), Ok(()));
    let mut c = ok.clone();
    c.members.push("c".into());
    assert_eq!(
        Election::new(c, t(0)).unwrap_err(),
        ConfigError::MemberCount(3)
    );
    let mut c = ok.clone();
    c.me = 2;
    assert_eq!(c.validate(), Err(ConfigError::MeOutOfRange(2)));
    let c = Config::pair(["a", "a"], 0);
    assert_eq!(c.validate(), Err(ConfigError::DuplicateName("a".into())));
    let c = Config::pair(["a", "abcdefghijklmnopq"], 0);
    assert!(matches!(c.validate(), Err(ConfigError::BadName(_))));
    let c = Config::pair(["", "b"], 0);
    assert!(matches!(c.validate(), Err(ConfigError::BadName(_))));
    let mut c = ok;
    c.retry_backoff = Duration::ZERO;
    assert_eq!(c.validate(), Err(ConfigError::ZeroBackoff));
}

#[test]
fn alone_promote_and_wait() {
    let mut a = Election::new(Config::pair(["a", "b"], 0), t(0)).unwrap();
    assert_eq!(a.poll_timeout(), Some(t(300)));
    a.handle_timeout(t(299));
    assert_eq!(a.role(), NodeRole::Negotiating);
    a.handle_timeout(t(300));
    assert_eq!(a.role(), NodeRole::Promoting);
    assert_eq!(
        events(&mut a),
        vec![
            Event::RoleChanged {
                from: NodeRole::Negotiating,
                to: NodeRole::Promoting
            },
            Event::SetComponents {
                role: Role::active,
                generation: Generation(1)
            },
        ]
    );
    a.handle_components_done(t(301), Generation(1));
    assert_eq!(a.role(), NodeRole::Active);

    let mut c = Config::pair(["a", "b"], 0);
    c.alone = Alone::Wait;
    let mut w = Election::new(c, t(0)).unwrap();
    assert_eq!(w.poll_timeout(), None);
    w.handle_timeout(t(10_000));
    assert_eq!(w.role(), NodeRole::Negotiating);
}

#[test]
fn link_up_stops_startup_wait() {
    let mut a = Election::new(Config::pair(["a", "b"], 0), t(0)).unwrap();
    a.handle_link_up(t(100), L1, Member(1));
    assert_eq!(a.poll_timeout(), None);
    a.handle_timeout(t(1000));
    assert_eq!(a.role(), NodeRole::Negotiating);
}

#[test]
fn switchover_misuse_is_an_error() {
    let mut a = Election::new(Config::pair(["a", "b"], 0), t(0)).unwrap();
    assert_eq!(
        a.switchover(t(0)),
        Err(UsageError::NotActive(NodeRole::Negotiating))
    );
    a.handle_timeout(t(300));
    a.handle_components_done(t(300), Generation(1));
    assert_eq!(a.switchover(t(301)), Err(UsageError::PeerDown));
    assert_eq!(a.role(), NodeRole::Active);
}

#[test]
fn malformed_nomination_is_answered_and_reported() {
    let mut b = standby_b();
    b.handle_message(t(2), L1, nom("0 6", "abcdefghijklmnopq"));
    assert_eq!(transmits(&mut b), vec![err("0 6", "malformed")]);
    assert!(matches!(
        events(&mut b)[..],
        [Event::PeerMisbehaved {
            peer: Member(0),
            reason: Misbehaviour::Malformed(_)
        }]
    ));
    assert_eq!(b.role(), NodeRole::Standby);
    // A correlationId outside NumericString: the answer carries an empty id.
    let mut bad = nom("0 7", "a");
    bad.correlation_id = baton_asn1::election::CorrelationId(
        rasn::types::NumericString::from_bytes(b"01234567890123456").unwrap(),
    );
    b.handle_message(t(3), L1, bad);
    assert_eq!(transmits(&mut b), vec![err("", "malformed")]);
    events(&mut b);
    // A NumericString that is not "<round> <seq>" (PROTOCOL 2.3): answered with it.
    for id in ["7", "1 2 3", "4294967296 1", "1 65536", " 1"] {
        b.handle_message(t(4), L1, nom(id, "a"));
        assert_eq!(transmits(&mut b), vec![err(id, "malformed")]);
        assert_eq!(
            events(&mut b),
            vec![Event::PeerMisbehaved {
                peer: Member(0),
                reason: Misbehaviour::BadCorrelationId(id.into())
            }]
        );
    }
    assert_eq!(b.role(), NodeRole::Standby);
}

#[test]
fn nominee_not_a_member_is_answered_and_reported() {
    let mut b = standby_b();
    b.handle_message(t(2), L1, nom("0 6", "zed"));
    assert_eq!(transmits(&mut b), vec![err("0 6", "not a member")]);
    assert_eq!(
        events(&mut b),
        vec![Event::PeerMisbehaved {
            peer: Member(0),
            reason: Misbehaviour::NomineeNotMember("zed".into())
        }]
    );
    assert_eq!(b.role(), NodeRole::Standby);
}

#[test]
fn inconsistent_answer_is_reported_and_retried() {
    let mut a = Election::new(Config::pair(["a", "b"], 0), t(0)).unwrap();
    a.handle_link_up(t(0), L1, Member(1));
    assert_eq!(transmits(&mut a), vec![nom("0 1", "a")]);
    a.handle_message(t(1), L1, asg("0 1", "a", "zed"));
    assert_eq!(
        events(&mut a),
        vec![Event::PeerMisbehaved {
            peer: Member(1),
            reason: Misbehaviour::InconsistentAnswer {
                active: "a".into(),
                standby: "zed".into()
            }
        }]
    );
    assert_eq!(a.role(), NodeRole::Negotiating);
    a.handle_timeout(t(101));
    assert_eq!(transmits(&mut a), vec![nom("0 2", "a")]);
    // A refusal that is not transient is surfaced, and retried.
    a.handle_message(t(102), L1, err("0 2", "not a member"));
    assert_eq!(
        events(&mut a),
        vec![Event::NominationRefused {
            peer: Member(1),
            description: "not a member".into()
        }]
    );
    assert_eq!(a.poll_timeout(), Some(t(202)));
}

#[test]
fn handover_answered_with_requester_active_is_misbehaviour() {
    let mut p = Pair::new();
    p.nodes[A].fail_promotions = 1;
    p.start(A);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.role(A), NodeRole::PromotionFailed);
    p.start(B);
    p.connect();
    assert_eq!(p.take_log()[0], sent(A, B, nom("1 1", "b")));
    let a = p.nodes[A].election.as_mut().unwrap();
    events(a);
    a.handle_message(t(2000), LinkId(1), asg("0 1", "a", "b"));
    assert_eq!(a.role(), NodeRole::PromotionFailed);
    assert_eq!(
        events(a),
        vec![Event::PeerMisbehaved {
            peer: Member(1),
            reason: Misbehaviour::HandoverAnsweredWithSelf
        }]
    );
}

#[test]
fn fatal_on_active_hands_over_like_a_switchover() {
    let mut p = Pair::established();
    p.act(A, |e, now| e.handle_fatal(now));
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "b")),
            sent(B, A, asg("2 2", "b", "a"))
        ]
    );
    p.assert_converged(B);
    assert!(p.e(A).is_fatal());
}

#[test]
fn fatal_on_standby_fails_its_next_promotion() {
    let mut p = Pair::established();
    p.act(B, |e, now| e.handle_fatal(now));
    p.act(A, |e, now| e.switchover(now)).unwrap();
    p.run();
    assert_eq!(
        p.take_log(),
        vec![
            sent(A, B, nom("1 2", "b")),
            sent(B, A, asg("2 2", "b", "a")),
            sent(B, A, nom("2 102", "a")),
            sent(A, B, asg("3 102", "a", "b")),
        ]
    );
    assert!(
        !p.nodes[B].events.iter().any(|e| matches!(
            e,
            Event::SetComponents {
                role: Role::active,
                ..
            }
        )),
        "no component was asked to go active"
    );
    p.assert_converged(A);
    // Once cleared, b can take over again.
    p.act(B, |e, now| e.handle_fatal_cleared(now));
    p.act(A, |e, now| e.switchover(now)).unwrap();
    p.run();
    p.assert_converged(B);
}

#[test]
fn fatal_while_promoting_fails_the_promotion_f3() {
    let mut b = standby_b();
    b.handle_link_down(t(10), L1);
    assert_eq!(
        b.role(),
        NodeRole::Promoting,
        "standby detecting peer failure promotes"
    );
    b.handle_fatal(t(11));
    assert_eq!(b.role(), NodeRole::PromotionFailed);
    b.handle_components_done(t(12), b.generation());
    assert_eq!(b.role(), NodeRole::PromotionFailed);
    // [F3] the handover request goes out on the next link-up.
    b.handle_link_up(t(20), LinkId(2), Member(0));
    assert_eq!(transmits(&mut b), vec![nom("2 2", "a")]);
}

#[test]
fn demotion_completing_with_peer_down_promotes_f5() {
    let mut p = Pair::established();
    p.nodes[A].auto = false;
    p.act(A, |e, now| e.switchover(now)).unwrap();
    p.crash(B);
    p.components_done(A);
    assert_eq!(p.role(A), NodeRole::Promoting);
    p.components_done(A);
    assert_eq!(p.role(A), NodeRole::Active);
}

#[test]
fn peer_view_follows_the_assignment() {
    let mut p = Pair::established();
    assert_eq!(p.e(A).peer(), Some(Member(B)));
    assert_eq!(p.e(B).peer(), Some(Member(A)));
    let v = p.e(A).peer_view().expect("a pair has a peer");
    assert_eq!(v.member, Member(B));
    assert_eq!(v.name, "b");
    assert_eq!(v.link, Some(LinkId(1)));
    assert_eq!(v.role, Some(PeerRole::Standby));
    let b_view = p.e(B).peer_view().expect("a pair has a peer");
    assert_eq!(b_view.role, Some(PeerRole::Active));
    assert_eq!(p.e(A).peers().collect::<Vec<_>>(), [v]);
    p.crash(B);
    let v = p.e(A).peer_view().expect("a pair has a peer");
    assert_eq!((v.link, v.role), (None, None));
}

/// Quorum mode has no single peer: `peer()` and `peer_view()` are `None` for every member,
/// whatever its index (no underflow), and `peers()` lists the others in order.
#[test]
fn quorum_mode_has_no_single_peer() {
    let names = ["a", "b", "c", "d", "e"];
    for me in 0..names.len() {
        let e = Election::new(Config::quorum(&names, me), t(0)).unwrap();
        assert_eq!(e.peer(), None, "member {me}");
        assert_eq!(e.peer_view(), None, "member {me}");
        let others: Vec<Member> = e.peers().map(|v| v.member).collect();
        let expected: Vec<Member> = (0..names.len()).filter(|i| *i != me).map(Member).collect();
        assert_eq!(others, expected, "member {me}");
    }
}

#[test]
fn messages_on_unknown_links_are_ignored() {
    let mut b = standby_b();
    b.handle_message(t(5), LinkId(42), nom("0 9", "b"));
    assert!(transmits(&mut b).is_empty());
    assert_eq!(b.role(), NodeRole::Standby);
    b.handle_link_down(t(6), LinkId(42));
    assert_eq!(b.role(), NodeRole::Standby);
}

fn hash(e: &Election) -> u64 {
    let mut h = DefaultHasher::new();
    e.hash(&mut h);
    h.finish()
}

#[test]
fn state_is_clone_eq_hash_for_model_checking() {
    fn bounds<T: Clone + std::fmt::Debug + PartialEq + Eq + Hash>() {}
    bounds::<Election>();
    let a = Election::new(Config::pair(["a", "b"], 0), t(0)).unwrap();
    let mut b = a.clone();
    assert_eq!(a, b);
    assert_eq!(hash(&a), hash(&b));
    // Same role, different timer deadline: different states.
    let c = Election::new(Config::pair(["a", "b"], 0), t(1)).unwrap();
    assert_ne!(a, c);
    // Same everything but the next correlationId: different states.
    b.handle_link_up(t(0), L1, Member(1));
    b.handle_link_down(t(0), L1);
    transmits(&mut b);
    assert_ne!(a, b);
    let _ = message::description::NEGOTIATING;
}

/// Regression (found by `bash bench/suite.sh`, silent failures): a node whose promotion failed
/// on a fatal failure does NOT promote when the failure clears just because no peer link is
/// up. A SIGSTOPped active resumes to find its components' links closed (their watchdogs
/// stood them down), and its peer, which promoted meanwhile, has closed the silent link: "no
/// link" is not "peer down", and promoting here made two actives. It stays `PromotionFailed`
/// and sends nothing until a link comes up (its [F3] handover request then goes out).
#[test]
fn promotion_failed_with_no_peer_link_stays_when_the_fatal_failure_clears() {
    let mut b = standby_b();
    b.handle_link_down(t(10), L1);
    b.handle_fatal(t(11));
    assert_eq!(b.role(), NodeRole::PromotionFailed);
    events(&mut b);
    transmits(&mut b);
    b.handle_fatal_cleared(t(12));
    assert_eq!(b.role(), NodeRole::PromotionFailed);
    assert_eq!(events(&mut b), vec![], "no SetComponents(Active)");
    assert_eq!(transmits(&mut b), vec![]);
}
