//! Quorum mode (PROTOCOL 5.9): the tester plays the other voters (a witness among them if the
//! cluster has one) and checks the implementation's side as a voter: rounds on the wire and
//! the grant table of 5.9.4, row by row, with its voter lease [Q3].

use super::candidate::{seen_round, After};
use super::session::{round_seq, Answer, Peer};
use super::{check, MemberSetup, QuorumSetup};
use crate::report::{Outcome, Report};
use std::time::Duration;
use tokio::time::Instant;

requirements! {
    "The quorum-mode election requirements, in the order the tests run.";
    ROUND_ZERO = "quorum.round-zero-malformed", "5.9.2", Must,
        "a request of round 0 is answered electionError{malformed}";
    NOT_A_MEMBER = "quorum.not-a-member", "5.9.2", Must,
        "a nomination of no member is answered electionError{not a member}";
    WITNESS = "quorum.witness-not-candidate", "5.9.2", Must,
        "a witness's self-nomination is answered electionError{not a candidate}";
    GRANT = "quorum.grant", "5.9.4", Must,
        "row 2: a candidacy of a newer round, no other lease running, is granted: assigment{X, self} carrying its round";
    REPEATED = "quorum.grant-repeated", "5.9.4", Must,
        "row 1: the granted member's request of the granted round is granted again, carrying the grant's round";
    OLDER = "quorum.veto-older-round", "5.9.4", Must,
        "row 3: another member's candidacy of a round not newer than the grant: veto{g_m, self} carrying the grant's round";
    LEASE = "quorum.lease-binds", "5.9.4", Must,
        "[Q3] row 4: a newer candidacy while the voter lease for another member runs: electionError{lease}";
    AFTER_LEASE = "quorum.grant-after-lease", "5.9.4", Must,
        "once the voter lease ended, another member's newer candidacy is granted";
}

/// Sends `nominationMsg{nominee}` with `"<round> <seq>"` as member `who`; the answer.
async fn ask(
    peer: &mut Peer<'_>,
    round: u64,
    seq: u64,
    nominee: &str,
) -> Result<Option<(u64, Answer)>, String> {
    let id = format!("{round} {seq}");
    peer.nominate_with_id(&id, nominee).await?;
    Ok(peer
        .answer_to(&id, peer.setup.patience)
        .await?
        .map(|(echo, a)| (round_seq(&echo).map_or(u64::MAX, |(r, _)| r), a)))
}

fn expect(got: Option<(u64, Answer)>, want: &Answer, round: Option<u64>) -> Outcome {
    match got {
        None => Outcome::Fail("no answer".into()),
        Some((_, a)) if &a != want => Outcome::Fail(format!("answered {a}, not {want}")),
        Some((r, _)) if round.is_some_and(|w| w != r) => Outcome::Fail(format!(
            "answered {want} carrying round {r}, not {}",
            round.unwrap_or(0)
        )),
        Some(_) => Outcome::Pass,
    }
}

/// Runs the quorum tests; where they leave the implementation: the member it granted last
/// and the round (`None`: no grant was reached).
pub(super) async fn run(s: &MemberSetup, q: &QuorumSetup, report: &mut Report) -> Option<After> {
    let others: Vec<usize> = (0..s.members.len())
        .filter(|&i| i != s.iut && !q.witnesses.contains(&i))
        .collect();
    let witness = q.witnesses.iter().copied().find(|&i| i != s.iut);
    let p = s.patience;
    let (Some(&x), Some(&y)) = (others.first(), others.get(1)) else {
        for r in REQUIREMENTS {
            let why = "needs two other members that may stand (not witnesses)";
            report.record(r, Outcome::Skip(why.into()), Duration::ZERO);
        }
        return None;
    };
    let (xn, yn, iut) = (
        s.members[x].name.clone(),
        s.members[y].name.clone(),
        s.iut().name.clone(),
    );
    let mut px = match Peer::up_as(s, x).await {
        Ok(peer) => peer,
        Err(e) => {
            for r in REQUIREMENTS {
                report.record(r, Outcome::Fail(e.clone()), Duration::ZERO);
            }
            return None;
        }
    };
    check(report, &ROUND_ZERO, async {
        match ask(&mut px, 0, 1, &xn).await {
            Ok(got) => expect(got, &Answer::Error("malformed".into()), None),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(report, &NOT_A_MEMBER, async {
        match ask(&mut px, 1, 2, "stranger").await {
            Ok(got) => expect(got, &Answer::Error("not a member".into()), None),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(report, &WITNESS, async {
        let Some(w) = witness else {
            return Outcome::Skip("the configuration has no witness".into());
        };
        let r = async {
            let mut pw = Peer::up_as(s, w).await?;
            let name = s.members[w].name.clone();
            Ok::<_, String>(expect(
                ask(&mut pw, 1, 1, &name).await?,
                &Answer::Error("not a candidate".into()),
                None,
            ))
        };
        r.await.unwrap_or_else(Outcome::Fail)
    })
    .await;

    // Row 2: X stands in a round above anything seen, until the implementation's abstention
    // or its own lease (at most a voter lease or two) is over.
    let mut granted = None;
    let mut seq = 10;
    check(report, &GRANT, async {
        let deadline = Instant::now() + q.voter_lease * 3 + p;
        let mut last = None;
        while Instant::now() < deadline {
            let round = seen_round(&px) + 5;
            seq += 1;
            match ask(&mut px, round, seq, &xn).await {
                Ok(Some((r, Answer::Assignment(a, b)))) if a == xn && b == iut => {
                    granted = Some(round);
                    return if r == round {
                        Outcome::Pass
                    } else {
                        Outcome::Fail(format!("the grant carries round {r}, not {round}"))
                    };
                }
                Ok(Some((_, Answer::Error(d)))) if d == "lease" => {
                    last = Some(Answer::Error(d));
                    let _ = px.link.wait(q.voter_lease / 8, |_| false).await;
                }
                Ok(got) => return Outcome::Fail(format!("answered {got:?}")),
                Err(e) => return Outcome::Fail(e),
            }
        }
        Outcome::Fail(format!(
            "no grant within three voter leases; last answer {last:?}"
        ))
    })
    .await;
    let Some(round) = granted else {
        for r in &REQUIREMENTS[4..] {
            let why = "no grant to start from";
            report.record(r, Outcome::Skip(why.into()), Duration::ZERO);
        }
        return None;
    };
    check(report, &REPEATED, async {
        match ask(&mut px, round, 100, &xn).await {
            Ok(got) => expect(
                got,
                &Answer::Assignment(xn.clone(), iut.clone()),
                Some(round),
            ),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    // Row 1 re-armed the voter lease for X: it runs a voter lease from about now.
    let granted_at = Instant::now();
    let mut seen = seen_round(&px).max(round);
    drop(px);
    let mut py = match Peer::up_as(s, y).await {
        Ok(peer) => peer,
        Err(e) => {
            for r in &REQUIREMENTS[5..] {
                report.record(r, Outcome::Fail(e.clone()), Duration::ZERO);
            }
            return None;
        }
    };
    check(report, &OLDER, async {
        match ask(&mut py, round, 1, &yn).await {
            Ok(got) => expect(got, &Answer::Veto(xn.clone(), iut.clone()), Some(round)),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(report, &LEASE, async {
        // Half the lease left at least, for the request to arrive inside it.
        if granted_at.elapsed() > q.voter_lease / 2 {
            return Outcome::Skip("the voter lease ended before the test could run".into());
        }
        match ask(&mut py, round + 1, 2, &yn).await {
            Ok(got) => expect(got, &Answer::Error("lease".into()), Some(round)),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    let mut last = None;
    check(report, &AFTER_LEASE, async {
        let wait = (granted_at + q.voter_lease + q.voter_lease / 4)
            .saturating_duration_since(Instant::now());
        if let Err(e) = py.link.wait(wait, |_| false).await {
            return Outcome::Fail(e);
        }
        let later = seen_round(&py).max(round) + 5;
        let got = ask(&mut py, later, 3, &yn).await;
        if matches!(&got, Ok(Some((_, Answer::Assignment(..))))) {
            last = Some(later);
        }
        match got {
            Ok(got) => expect(
                got,
                &Answer::Assignment(yn.clone(), iut.clone()),
                Some(later),
            ),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    seen = seen.max(seen_round(&py));
    last.map(|round| After {
        holder: y,
        round,
        seen: seen.max(round),
    })
}
