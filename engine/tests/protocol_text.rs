//! Issue 17: where an implementation written from docs/PROTOCOL.md alone found the node and
//! the text apart, or the text silent. Each test pins the behaviour the text now states.

mod support;

use baton_codec::AnyMessage;
use baton_core::{LinkId, NodeRole::*};
use baton_election::message::{correlation_id, error, veto};
use baton_engine::{CloseReason, Notice};
use support::*;

/// alpha Active, beta Standby on link `PEER` (alpha dialled it), no components; records
/// cleared at 1 s.
fn settled() -> Pair {
    let mut p = Pair::new();
    p.connect();
    p.run_until(ms(1000));
    assert_eq!([p.nodes[0].role(), p.nodes[1].role()], [Active, Standby]);
    p.clear_events();
    p
}

/// beta closes `PEER` for misbehaviour: alpha sent a Role message on a peer link.
fn beta_closes_for_misbehaviour(p: &mut Pair) {
    let role = baton_role::set_role("5", baton_role::Role::active);
    let now = p.now;
    p.nodes[BETA].handle_frame(now, PEER, AnyMessage::Role(role));
    p.flush();
    assert!(matches!(
        p.closed(BETA)[..],
        [(PEER, CloseReason::NotAllowed { .. })]
    ));
}

/// PROTOCOL 4, *Closing a peer link*, and 6.7: a link this node closes for misbehaviour is
/// a peer failure only if no link to the peer is up within the dead interval; the status
/// says `down` from the close.
#[test]
fn a_link_closed_for_misbehaviour_is_a_peer_failure_after_the_dead_interval_only() {
    let mut p = settled();
    beta_closes_for_misbehaviour(&mut p);
    assert_eq!(
        p.statuses(BETA),
        [(ms(1000), "standby peer=alpha:down".to_owned())]
    );
    p.run_until(ms(1299));
    assert_eq!(p.roles_of(BETA), []);
    p.run_until(ms(1400));
    assert_eq!(
        p.roles_of(BETA),
        [(ms(1300), Promoting), (ms(1300), Active)]
    );
}

#[test]
fn a_link_closed_for_misbehaviour_and_replaced_in_time_is_no_peer_failure() {
    let mut p = settled();
    beta_closes_for_misbehaviour(&mut p);
    p.run_until(ms(1100));
    p.connect_on(LinkId(7));
    p.run_until(ms(2000));
    assert_eq!(p.roles_of(BETA), []);
    assert_eq!(p.roles_of(ALPHA), []);
    assert_eq!(
        p.statuses(BETA),
        [
            (ms(1000), "standby peer=alpha:down".to_owned()),
            (ms(1100), "standby peer=alpha:active".to_owned()),
        ]
    );
}

/// PROTOCOL 5.4 and 9: an answer that does not count is ignored and logged as a typed
/// notice, naming the peer, the answer and its `correlationId`.
#[test]
fn stale_answers_are_ignored_and_logged() {
    let mut p = settled();
    let now = p.now;
    let stale_veto = veto(correlation_id("0 999"), "beta", "alpha");
    let stale_error = error(correlation_id("7 3"), "demoting");
    p.nodes[ALPHA].handle_frame(now, PEER, AnyMessage::Election(stale_veto));
    p.nodes[ALPHA].handle_frame(now, PEER, AnyMessage::Election(stale_error));
    p.run_until(ms(2000));
    let stale = |answer, id: &str| Notice::StaleAnswer {
        peer: "beta".into(),
        answer,
        correlation_id: id.into(),
    };
    assert_eq!(
        p.notices(ALPHA),
        [stale("veto", "0 999"), stale("electionError", "7 3")]
    );
    assert_eq!(
        stale("veto", "0 999").to_string(),
        "peer beta: stale veto ignored: correlationId \"0 999\" answers no nomination pending"
    );
    assert_eq!(p.roles_of(ALPHA), []);
    assert_eq!(p.closed(ALPHA), []);
}

/// PROTOCOL 6.5: the status line is the node's state once it has handled an input; a role
/// entered and left while handling one input (no component to wait for) is not announced,
/// though the role changes are reported (and logged).
#[test]
fn a_node_without_components_announces_no_zero_length_promoting_or_demoting() {
    let mut p = Pair::new();
    p.run_until(ms(1000));
    assert_eq!(p.roles_of(ALPHA), [(ms(300), Promoting), (ms(300), Active)]);
    let words: Vec<String> = p.statuses(ALPHA).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        words,
        ["negotiating peer=beta:unknown", "active peer=beta:unknown"]
    );
    p.connect();
    p.run_until(ms(2000));
    p.clear_events();
    p.switchover(ALPHA).expect("alpha is active, its peer up");
    p.run_until(ms(3000));
    assert_eq!(
        p.roles_of(ALPHA),
        [(ms(2000), Demoting), (ms(2000), Standby)]
    );
    let words: Vec<String> = p.statuses(ALPHA).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        words,
        ["standby peer=beta:standby", "standby peer=beta:active"]
    );
}

/// PROTOCOL 6.7: after a link is replaced (racing links, PROTOCOL 4), the peer's state is
/// the one it last reported, until it answers the `getStatus` sent on the new link: never
/// `unknown` or `down` in between.
#[test]
fn the_peers_state_survives_a_link_replacement() {
    let mut p = Pair::new();
    p.connect();
    p.run_until(ms(100));
    p.clear_events();
    // alpha dials again within the dead interval: of two links alpha dialled, the newer
    // stays on both nodes.
    p.connect_on(LinkId(7));
    p.run_until(ms(1000));
    let duplicate = |peer: &str| CloseReason::DuplicatePeerLink { peer: peer.into() };
    assert_eq!(p.closed(ALPHA), [(PEER, duplicate("beta"))]);
    assert_eq!(p.closed(BETA), [(PEER, duplicate("alpha"))]);
    assert_eq!(p.statuses(ALPHA), []);
    assert_eq!(p.statuses(BETA), []);
    assert_eq!(
        p.nodes[ALPHA].status().to_string(),
        "active peer=beta:standby"
    );
    assert_eq!(
        p.nodes[BETA].status().to_string(),
        "standby peer=alpha:active"
    );
}

/// PROTOCOL 5.6, *Peer failure*: with `alone = "wait"`, a peer failure while `Negotiating`
/// does not start `startup_wait` again: the node waits for the next link-up. With
/// `alone = "promote"` it does.
#[test]
fn with_alone_wait_a_peer_failure_while_negotiating_promotes_nobody() {
    use baton_election::{Alone, Config, Election, Member};
    for (alone, expected) in [(Alone::Wait, Negotiating), (Alone::Promote, Promoting)] {
        let mut c = Config::pair(["a", "b"], 0);
        c.alone = alone;
        let mut e = Election::new(c, ms(0)).expect("a valid configuration");
        e.handle_link_up(ms(10), LinkId(1), Member(1));
        e.handle_link_down(ms(20), LinkId(1));
        e.handle_timeout(ms(10_000));
        assert_eq!(e.role(), expected, "{alone:?}");
    }
}

/// PROTOCOL 5.5 [F10]: a handover request answered with `electionError` and waiting for its
/// retry is still pending: the lower member asked to take over meanwhile answers
/// `electionError{handover pending}`.
#[test]
fn a_handover_request_waiting_to_retry_is_still_pending_for_f10() {
    use baton_asn1::election::{ElectionMessageMessage as M, ElectionResult as R};
    use baton_election::message::nomination;
    use baton_election::{Config, Election, Generation, Member};
    let link = LinkId(1);
    // b (the lower member) alone promotes, then hands over to a once a is linked.
    let mut b = Election::new(Config::pair(["a", "b"], 1), ms(0)).expect("valid");
    b.handle_timeout(ms(300));
    b.handle_components_done(ms(300), Generation(1));
    assert_eq!(b.role(), Active);
    b.handle_link_up(ms(400), link, Member(0));
    b.switchover(ms(400)).expect("b is active, its peer up");
    b.handle_components_done(ms(400), Generation(2));
    assert_eq!(b.role(), Standby);
    let sent: Vec<_> = std::iter::from_fn(|| b.poll_transmit()).collect();
    let handover = sent.last().expect("the handover request").message.clone();
    assert!(matches!(&handover.message, M::nominationMsg(n) if n.nominee.0 == "a"));
    // a answers "not now": b backs off, its request waiting to be sent again.
    b.handle_message(ms(401), link, error(handover.correlation_id, "demoting"));
    assert!(b.nomination_pending());
    // a asks b to take over meanwhile (crossing requests): a outranks b, so b refuses.
    b.handle_message(ms(402), link, nomination("0 9", "b"));
    let answers: Vec<_> = std::iter::from_fn(|| b.poll_transmit()).collect();
    let [answer] = &answers[..] else {
        panic!("one answer: {answers:?}")
    };
    assert!(
        matches!(&answer.message.message,
            M::electionResult(R::electionError(e)) if e.description == "handover pending"),
        "{answer:?}"
    );
    assert_eq!(b.role(), Standby);
}

/// PROTOCOL 2.3: a receiver MUST accept leading zeros in `"<round> <seq>"`.
#[test]
fn an_election_correlation_id_with_leading_zeros_is_accepted() {
    use baton_election::{Round, WireId};
    assert_eq!(WireId::parse("007 0012"), Ok(WireId::new(Round(7), 12)));
}
