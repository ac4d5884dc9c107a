//! Election tests (PROTOCOL 5.3 to 5.6, 5.11): the responder table row by row and the
//! nominator's rules, the implementation driven from role to role by the protocol alone:
//! `Negotiating` (if it still is), `Active`, `Standby` (a veto of a newer round, [F2]),
//! `Active` again (its peer falls silent), `Standby`, `Active` (a planned switchover).

use super::catalogue::*;
use super::played::{Answering, Played};
use super::session::{round_seq, Answer, Peer};
use super::{check, MemberSetup};
use crate::report::{Outcome, Report, Requirement};
use baton_status::State;
use std::time::Duration;
use tokio::time::Instant;

/// The roles in which a node claims the service.
const SERVING: [State; 3] = [State::Active, State::Degraded, State::Promoting];
/// The word of a node that serves, confirmed.
const ACTIVE: [State; 2] = [State::Active, State::Degraded];

/// What the tests found out along the way.
struct Run<'a> {
    s: &'a MemberSetup,
    report: &'a mut Report,
    /// Requirements already recorded.
    done: Vec<&'static str>,
}

impl Run<'_> {
    async fn record(&mut self, r: &Requirement, outcome: Outcome) {
        if self.done.contains(&r.id) {
            return;
        }
        self.done.push(r.id);
        check(self.report, r, async { outcome }).await;
    }

    async fn skip_rest(&mut self, why: &str) {
        for r in REQUIREMENTS
            .iter()
            .filter(|r| r.id.starts_with("election."))
        {
            self.record(r, Outcome::Skip(why.to_owned())).await;
        }
    }
}

/// Runs the election tests; every `election.*` requirement gets a verdict.
pub(super) async fn run(s: &MemberSetup, report: &mut Report) {
    let mut run = Run {
        s,
        report,
        done: Vec::new(),
    };
    if let Err(e) = script(&mut run).await {
        run.skip_rest(&format!("an earlier step failed: {e}")).await;
    }
    run.skip_rest("not reached on this run's path through the roles")
        .await;
}

/// Shorthand: the outcome of a check that is true or says why not.
fn verdict(ok: bool, why: impl FnOnce() -> String) -> Outcome {
    if ok {
        Outcome::Pass
    } else {
        Outcome::Fail(why())
    }
}

/// Sends `nominee` as a nomination; waits for its answer; checks it with `want` and then the
/// state with `states` (within `settle`). The answer if it came.
async fn row(
    peer: &mut Peer<'_>,
    nominee: &str,
    want: &Answer,
    states: &[State],
    settle: Duration,
) -> Result<Outcome, String> {
    let id = peer.nominate(nominee).await?;
    let Some((echo, got)) = peer.answer_to(&id, peer.setup.patience).await? else {
        return Ok(Outcome::Fail(format!(
            "no answer to nominationMsg{{{nominee}}} ({id:?}) within {:?}",
            peer.setup.patience
        )));
    };
    if &got != want {
        return Ok(Outcome::Fail(format!("answered {got}, not {want}")));
    }
    if round_seq(&echo).map(|(_, s)| s) != round_seq(&id).map(|(_, s)| s) {
        return Ok(Outcome::Fail(format!(
            "the answer's id {echo:?} does not echo the seq of {id:?}"
        )));
    }
    let st = peer.until_state(states, settle).await?;
    Ok(verdict(states.contains(&st), || {
        format!(
            "answered {got} as it should, but is now {} (expected {})",
            st.as_str(),
            words(states)
        )
    }))
}

fn words(states: &[State]) -> String {
    states
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// How long a role change may take: the patience plus the components' role timeout
/// (unknown to the tester: the patience again).
fn settle(s: &MemberSetup) -> Duration {
    s.patience * 3
}

async fn script(run: &mut Run<'_>) -> Result<(), String> {
    let s = run.s;
    let iut = s.iut().name.clone();
    let me = s.tester().name.clone();
    let played = match &s.component {
        Some(c) => Some(Played::start(c, s).await?),
        None => None,
    };
    let mut peer = Peer::up(s).await?;
    let st0 = peer.state().await?;

    // Link-up: a Negotiating or Active node self-nominates (5.3).
    let mut pending = None;
    if st0 == State::Standby {
        run.record(
            &ELECTION_LINK_UP,
            Outcome::Skip("the implementation is Standby at link-up".into()),
        )
        .await;
    } else {
        match peer.nomination(s.patience).await? {
            Some((id, nominee)) if nominee == iut => {
                run.record(&ELECTION_LINK_UP, Outcome::Pass).await;
                run.record(
                    &ELECTION_ID_FORM,
                    verdict(round_seq(&id).is_some(), || {
                        format!("its nomination's id is {id:?}")
                    }),
                )
                .await;
                pending = Some(id);
            }
            Some((id, nominee)) => {
                run.record(
                    &ELECTION_LINK_UP,
                    Outcome::Fail(format!("it nominated {nominee:?} ({id:?}), not itself")),
                )
                .await;
            }
            None => {
                run.record(
                    &ELECTION_LINK_UP,
                    Outcome::Fail(format!(
                        "no nomination within {:?} of link-up while {}",
                        s.patience,
                        st0.as_str()
                    )),
                )
                .await;
            }
        }
    }

    // Retry after electionError, then a stale and an unknown answer, on whatever it is now.
    if let Some(first) = pending.clone() {
        let (round, _) = round_seq(&first).unwrap_or((0, 0));
        peer.answer(&first, 0, &Answer::Error("negotiating".into()))
            .await?;
        let sent = Instant::now();
        match peer.nomination(s.retry_backoff + s.patience).await? {
            Some((id, nominee)) => {
                let waited = sent.elapsed();
                let o = if nominee != iut {
                    Outcome::Fail(format!("the retry nominates {nominee:?}"))
                } else if round_seq(&id).map(|(_, q)| q) == round_seq(&first).map(|(_, q)| q) {
                    Outcome::Fail(format!("the retry {id:?} has the seq of {first:?}"))
                } else if waited + s.heartbeat / 2 < s.retry_backoff {
                    Outcome::Fail(format!(
                        "the retry came after {waited:?}, before the back-off ({:?})",
                        s.retry_backoff
                    ))
                } else {
                    Outcome::Pass
                };
                run.record(&ELECTION_RETRY, o).await;
            }
            None => {
                run.record(
                    &ELECTION_RETRY,
                    Outcome::Fail(format!(
                        "no new nomination within {:?} of electionError",
                        s.retry_backoff + s.patience
                    )),
                )
                .await;
            }
        }
        let before = peer.state().await?;
        // An answer that would move it, to the earlier send and to no nomination at all.
        let moving = if before == State::Negotiating {
            Answer::Assignment(me.clone(), iut.clone())
        } else {
            Answer::Veto(me.clone(), iut.clone())
        };
        peer.answer(&first, round + 1, &moving).await?;
        peer.answer_with_id(
            baton_election::message::correlation_id(&format!("{} 9999", round + 1)),
            &moving,
        )
        .await?;
        let _ = peer.link.wait(s.patience, |_| false).await?;
        let after = peer.state().await?;
        run.record(&ELECTION_STALE, verdict(after == before, || {
            format!("{moving} answering an earlier send ({first:?}) and an unknown id moved it from {} to {}", before.as_str(), after.as_str())
        })).await;
    }

    // Answers of the responder, whatever its role: malformed ids, strangers, exactly once.
    let before = peer.state().await?;
    peer.nominate_with_id("7", &me).await?;
    let o = match peer.answer_to("7", s.patience).await? {
        Some((echo, Answer::Error(d))) if d == "malformed" && echo == "7" => Outcome::Pass,
        Some((echo, a)) => Outcome::Fail(format!("answered {a} with id {echo:?}")),
        None => Outcome::Fail(format!("no answer within {:?}", s.patience)),
    };
    run.record(&ELECTION_MALFORMED_ID, o).await;
    let stranger = stranger(s);
    let id = peer.nominate(&stranger).await?;
    let o = match peer.answer_to(&id, s.patience).await? {
        Some((_, Answer::Error(d))) if d == "not a member" => {
            let after = peer.state().await?;
            verdict(after == before, || {
                format!("it moved from {} to {}", before.as_str(), after.as_str())
            })
        }
        Some((_, a)) => Outcome::Fail(format!("answered {a}")),
        None => Outcome::Fail(format!("no answer within {:?}", s.patience)),
    };
    run.record(&ELECTION_NOT_MEMBER, o).await;
    let _ = peer.link.wait(s.patience, |_| false).await?;
    let (a, b) = (peer.answers_seen("7"), peer.answers_seen(&id));
    run.record(
        &ELECTION_ANSWER_ONCE,
        verdict(a == 1 && b == 1, || {
            format!("answers seen: {a} to \"7\", {b} to {id:?}")
        }),
    )
    .await;

    // The Negotiating rows [F1] [F10].
    let st = peer.state().await?;
    if st == State::Negotiating {
        if s.tester_outranks() {
            let o = row(
                &mut peer,
                &me,
                &Answer::Assignment(me.clone(), iut.clone()),
                &[State::Standby],
                settle(s),
            )
            .await?;
            run.record(&NEG_OUTRANKED, o).await;
            let why = "the implementation is outranked by the member the tester plays: run again with it as the higher-priority member";
            run.record(&NEG_OUTRANKING, Outcome::Skip(why.into())).await;
            run.record(&NEG_HANDOVER, Outcome::Skip(why.into())).await;
        } else {
            let o = row(
                &mut peer,
                &me,
                &Answer::Error("negotiating".into()),
                &[State::Negotiating],
                Duration::ZERO,
            )
            .await?;
            run.record(&NEG_OUTRANKING, o).await;
            let o = row(
                &mut peer,
                &iut,
                &Answer::Assignment(iut.clone(), me.clone()),
                &ACTIVE,
                settle(s),
            )
            .await?;
            run.record(&NEG_HANDOVER, o).await;
            run.record(&NEG_OUTRANKED, Outcome::Skip("the implementation outranks the member the tester plays: run again with it as the lower-priority member".into())).await;
        }
    } else {
        let why = format!("the implementation is {}, not Negotiating: start it with alone = \"wait\" and run this suite before it meets a peer", st.as_str());
        for r in [&NEG_OUTRANKED, &NEG_OUTRANKING, &NEG_HANDOVER] {
            run.record(r, Outcome::Skip(why.clone())).await;
        }
    }

    // Standby now: its rows, then drive it back to Active through a planned switchover.
    if peer.state().await? == State::Standby {
        let o = row(
            &mut peer,
            &me,
            &Answer::Assignment(me.clone(), iut.clone()),
            &[State::Standby],
            Duration::ZERO,
        )
        .await?;
        run.record(&STANDBY_SELF, o).await;
        let o = row(
            &mut peer,
            &iut,
            &Answer::Assignment(iut.clone(), me.clone()),
            &ACTIVE,
            settle(s),
        )
        .await?;
        run.record(&STANDBY_HANDOVER, o).await;
    }
    drop(peer);

    // Active: a fresh link, its self-nomination, the Active rows and [F2].
    let (mut peer, nomination) = active_link(s).await?;
    if s.preempt && s.tester_outranks() {
        let o = row(
            &mut peer,
            &me,
            &Answer::Assignment(me.clone(), iut.clone()),
            &[State::Standby],
            settle(s),
        )
        .await?;
        run.record(&ACTIVE_SELF, o).await;
        drop(peer);
        return Err(
            "with preempt the implementation yielded to the tester: the rest needs preempt = false"
                .into(),
        );
    }
    let o = row(
        &mut peer,
        &me,
        &Answer::Veto(iut.clone(), me.clone()),
        &ACTIVE,
        Duration::ZERO,
    )
    .await?;
    run.record(&ACTIVE_SELF, o).await;
    let o = row(
        &mut peer,
        &iut,
        &Answer::Assignment(iut.clone(), me.clone()),
        &ACTIVE,
        Duration::ZERO,
    )
    .await?;
    run.record(&ACTIVE_HANDOVER, o).await;
    let (round, _) = round_seq(&nomination).unwrap_or((0, 0));
    if round == 0 {
        run.record(
            &F2_OLDER,
            Outcome::Skip(format!(
                "its round is 0 ({nomination:?}): no older round exists"
            )),
        )
        .await;
    } else {
        peer.answer(
            &nomination,
            round - 1,
            &Answer::Veto(me.clone(), iut.clone()),
        )
        .await?;
        let _ = peer.link.wait(s.patience, |_| false).await?;
        let st = peer.state().await?;
        run.record(
            &F2_OLDER,
            verdict(ACTIVE.contains(&st), || {
                format!(
                    "a veto of round {} (its own: {round}) made it {}",
                    round - 1,
                    st.as_str()
                )
            }),
        )
        .await;
    }
    drop(peer);
    let mut peer = to_standby(s, run, played.as_ref()).await?;

    // Standby: a self-nomination, then silence: it must promote.
    let o = row(
        &mut peer,
        &me,
        &Answer::Assignment(me.clone(), iut.clone()),
        &[State::Standby],
        Duration::ZERO,
    )
    .await?;
    run.record(&STANDBY_SELF, o).await;
    peer.link.keep_alive(None);
    let closed = peer.link.closed_within(s.dead_interval + s.patience).await;
    drop(peer);
    let o = match closed {
        None => Outcome::Fail(format!(
            "the silent link is still open {:?} later",
            s.dead_interval + s.patience
        )),
        Some(_) => {
            let mut again = Peer::up(s).await?;
            let st = again.until_state(&ACTIVE, settle(s)).await?;
            verdict(ACTIVE.contains(&st), || {
                format!("after its peer fell silent it is {}", st.as_str())
            })
        }
    };
    run.record(&STANDBY_FAILURE, o).await;

    // A planned switchover back: Standby again, then asked to take over.
    let mut peer = to_standby(s, run, played.as_ref()).await?;
    let o = row(
        &mut peer,
        &iut,
        &Answer::Assignment(iut.clone(), me.clone()),
        &ACTIVE,
        settle(s),
    )
    .await?;
    run.record(&STANDBY_HANDOVER, o).await;
    drop(peer);
    let Some(played) = played else {
        let why = "needs the implementation held Demoting or with a failed promotion: give the tester its component (--component)";
        for r in [&DEMOTING_ROWS, &F3_HANDS_OVER, &FAILED_ROWS] {
            run.record(r, Outcome::Skip(why.into())).await;
        }
        return Ok(());
    };

    // A failed promotion: Standby, asked to take over, its component refuses active.
    let mut peer = to_standby(s, run, Some(&played)).await?;
    played.mode(Answering::FailActive);
    let id = peer.nominate(&iut).await?;
    let _ = peer.answer_to(&id, s.patience).await?;
    let st = peer.until_state(&[State::Failed], settle(s)).await?;
    if st != State::Failed {
        return Err(format!(
            "its component refused active, and it is {}, not failed",
            st.as_str()
        ));
    }
    let o = match peer.nomination(s.patience).await? {
        Some((_, nominee)) if nominee == me => Outcome::Pass,
        Some((id, nominee)) => Outcome::Fail(format!(
            "after its failed promotion it nominated {nominee:?} ({id:?})"
        )),
        None => Outcome::Fail(format!(
            "no handover request within {:?} of its failed promotion",
            s.patience
        )),
    };
    run.record(&F3_HANDS_OVER, o).await;
    played.mode(Answering::Success);
    let o = if s.tester_outranks() {
        // [F9] outranked: not now; a self-nomination of the tester it agrees to.
        match row(
            &mut peer,
            &iut,
            &Answer::Error("promotion failed".into()),
            &[State::Failed],
            Duration::ZERO,
        )
        .await?
        {
            Outcome::Pass => {
                row(
                    &mut peer,
                    &me,
                    &Answer::Assignment(me.clone(), iut.clone()),
                    &[State::Standby],
                    settle(s),
                )
                .await?
            }
            other => other,
        }
    } else {
        // [F9] outranking: it promotes again.
        row(
            &mut peer,
            &iut,
            &Answer::Assignment(iut.clone(), me.clone()),
            &ACTIVE,
            settle(s),
        )
        .await?
    };
    run.record(&FAILED_ROWS, o).await;
    Ok(())
}

/// A fresh link to an Active implementation and its link-up self-nomination's id.
async fn active_link(s: &MemberSetup) -> Result<(Peer<'_>, String), String> {
    let mut peer = Peer::up(s).await?;
    let st = peer.until_state(&ACTIVE, settle(s)).await?;
    if !SERVING.contains(&st) {
        return Err(format!("the implementation is {}, not Active", st.as_str()));
    }
    match peer.nomination(s.patience).await? {
        Some((id, _)) => Ok((peer, id)),
        None => Err("the Active implementation did not self-nominate on link-up".into()),
    }
}

/// From Active to Standby: its self-nomination answered by a veto of a newer round [F2].
/// With its component played, the first time: the standby answer held, the Demoting rows
/// [F8] on the way.
async fn to_standby<'a>(
    s: &'a MemberSetup,
    run: &mut Run<'_>,
    played: Option<&Played>,
) -> Result<Peer<'a>, String> {
    let (mut peer, nomination) = active_link(s).await?;
    let (round, _) = round_seq(&nomination).unwrap_or((0, 0));
    let veto = Answer::Veto(s.tester().name.clone(), s.iut().name.clone());
    let hold = played.filter(|_| !run.done.contains(&DEMOTING_ROWS.id));
    if let Some(p) = hold {
        p.mode(Answering::HoldStandby);
    }
    peer.answer(&nomination, round + 1, &veto).await?;
    if let Some(p) = hold {
        let (iut, me) = (s.iut().name.clone(), s.tester().name.clone());
        let st = peer.until_state(&[State::Demoting], settle(s)).await?;
        let o = if st != State::Demoting {
            Outcome::Fail(format!(
                "its component holds the standby answer, and it is {}, not demoting",
                st.as_str()
            ))
        } else {
            let demoting = Answer::Error("demoting".into());
            match row(
                &mut peer,
                &me,
                &demoting,
                &[State::Demoting],
                Duration::ZERO,
            )
            .await?
            {
                Outcome::Pass => {
                    row(
                        &mut peer,
                        &iut,
                        &demoting,
                        &[State::Demoting],
                        Duration::ZERO,
                    )
                    .await?
                }
                other => other,
            }
        };
        run.record(&DEMOTING_ROWS, o).await;
        p.release();
    }
    let st = peer.until_state(&[State::Standby], settle(s)).await?;
    let ok = st == State::Standby;
    run.record(
        &F2_NEWER,
        verdict(ok, || {
            format!(
                "a veto of round {} (its own: {round}) left it {}",
                round + 1,
                st.as_str()
            )
        }),
    )
    .await;
    if ok {
        Ok(peer)
    } else {
        Err("the implementation could not be made Standby".into())
    }
}

/// A name no member has.
fn stranger(s: &MemberSetup) -> String {
    let mut n = String::from("stranger");
    while s.members.iter().any(|m| m.name == n) {
        n.push('x');
    }
    n
}
