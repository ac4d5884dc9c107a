//! Quorum mode, the candidate and serving side (PROTOCOL 5.9.5 to 5.9.7): the tester plays
//! the other voters (a witness among them) on links it holds at once, withholds or gives its
//! grants and watches the implementation stand, win, renew, re-elect and stand down.
//!
//! The implementation is driven with the protocol alone: a voter lease it answers keeps it
//! from standing [Q8]; once that lease ended it stands, and the tester's answers decide what
//! becomes of each candidacy. Its role is read with `getStatus` on a peer link (PROTOCOL 4).

use super::played::{Answering, Played};
use super::session::{election_id, round_seq, Answer, Peer};
use super::{check, MemberSetup, QuorumSetup};
use crate::report::{Outcome, Report, Requirement};
use baton_codec::AnyMessage;
use baton_status::State;
use std::time::Duration;
use tokio::time::Instant;

requirements! {
    "The quorum-mode candidate and serving requirements, in the order the tests run.";
    TIMER = "quorum.no-candidacy-under-lease", "5.9.5", Must,
        "[Q8] no candidacy while a voter lease runs: renewals it answers by row 1 keep it from standing";
    CANDIDACY = "quorum.candidacy", "5.9.5", Must,
        "once the last voter lease ended it stands: nominationMsg{self} in round seen + 1 to every voter linked, not before the lease ended";
    TIMER_RANK = "quorum.election-timer-by-rank", "5.9.5", Must,
        "[Q8] the election timer fires election_timeout + one stagger per member before it (witnesses not counted; election_timeout for the member last known serving) after the last lease ended: not before, and within the patience after";
    OWN_GRANT = "quorum.own-grant", "5.9.3", Must,
        "[Q7] a candidacy is a grant to itself: another member's candidacy of that round is answered veto{self, self} carrying it";
    RETRY = "quorum.candidacy-retry", "5.9.5", Must,
        "a candidacy is sent again to a voter that has not granted it, with a fresh seq";
    VOID_VETO = "quorum.void-on-veto", "5.9.5", Must,
        "[Q4] a veto in a higher round voids the candidacy: nothing more in its round; the next candidacy is above the veto's round";
    VOID_LEASE = "quorum.void-after-active-lease", "5.9.5", Must,
        "[Q4] a candidacy without a win sends nothing after t_s + L_a";
    WIN = "quorum.win-promotes", "5.9.5", Must,
        "q grants, itself counted, win the round: the member promotes and is Active";
    RENEW = "quorum.renewals", "5.9.6", Must,
        "[Q9] a serving member renews in its round to every voter, a silent one included, every renew";
    REELECT = "quorum.reelect-higher-round", "5.9.7", Must,
        "[Q5] serving, another member's candidacy of a higher round is answered electionError{lease}; it re-elects in seen + 1 and stays Active";
    REELECT_VETO = "quorum.reelect-on-veto", "5.9.7", Must,
        "[Q5b] a renewal answered by a veto naming another member in its round: it re-elects in seen + 1 and stays Active";
    LEASE_END = "quorum.lease-end-demotes", "5.9.6", Must,
        "renewals no longer answered: it is no longer Active by L_a after the last one answered, and releases nothing";
    RELEASE_OTHER = "quorum.release-not-holder-refused", "5.9.7", Must,
        "a release + handover from a member whose grant it does not hold is answered electionError{lease}";
    HANDOVER = "quorum.handover-starts-candidacy", "5.9.7", Must,
        "a release + handover to it from the member whose grant it holds is answered assigment{self, self} carrying the grant's round; that lease ends and it stands at once";
    PERSISTED = "quorum.grant-persisted", "5.9.3", Must,
        "[Q1] [Q2] the grant is persisted before it is sent and binds again after a restart";
    RELEASE = "quorum.release-handover", "5.9.7", Must,
        "a failed promotion (its component refusing active) ends in a release + handover: nominationMsg{X} in the won round to every voter, X the highest-priority other member that may stand";
    FENCING = "quorum.fencing-before-promotion", "5.9.8", Must,
        "with fencing configured, a win over a member that may still serve fences it first, keeps renewing meanwhile and promotes only once fenced";
}

/// Why [`PERSISTED`] is not checked over the wire.
const PERSISTED_WHY: &str = "needs the implementation stopped and restarted with its state \
    directory: not reachable over a peer link";
/// Why [`RELEASE`] is skipped without the component.
const RELEASE_WHY: &str = "needs the implementation's linked component played by the tester \
    (--component) to fail a promotion; an operator's switchover is not reachable over a peer link";
/// Why [`FENCING`] is not checked over the wire.
const FENCING_WHY: &str = "the fence command (PROTOCOL 5.10) runs on the implementation's \
    host: no link shows whether it ran or decides its outcome, so a promotion that waits for it \
    cannot be told from one that waits for its components (election/tests/quorum_checks.rs: \
    quorum_fencing_before_promotion)";

/// A nomination the implementation sent: which link, when it arrived, its round and nominee.
#[derive(Debug, Clone)]
struct Sent {
    link: usize,
    at: Instant,
    id: String,
    round: u64,
    nominee: String,
}

/// The voters the tester plays, one link each, read in turn.
struct Voters<'a> {
    peers: Vec<Peer<'a>>,
    names: Vec<String>,
    /// Links on which every nomination of the implementation is granted at once.
    granting: Vec<bool>,
    iut: String,
    /// Every nomination received, in order.
    sent: Vec<Sent>,
    /// When the latest grant went out.
    last_grant: Option<Instant>,
}

impl<'a> Voters<'a> {
    /// Reads every link for `within`, granting where asked; the nominations received.
    async fn pump(&mut self, within: Duration) -> Result<Vec<Sent>, String> {
        let deadline = Instant::now() + within;
        let mut got = Vec::new();
        loop {
            for i in 0..self.peers.len() {
                while let Some((id, nominee)) =
                    self.peers[i].nomination(Duration::from_millis(3)).await?
                {
                    let round = round_seq(&id).map_or(0, |(r, _)| r);
                    let s = Sent {
                        link: i,
                        at: Instant::now(),
                        id: id.clone(),
                        round,
                        nominee: nominee.clone(),
                    };
                    if self.granting[i] && nominee == self.iut {
                        let a = Answer::Assignment(self.iut.clone(), self.names[i].clone());
                        self.peers[i].answer(&id, round, &a).await?;
                        self.last_grant = Some(Instant::now());
                    }
                    self.sent.push(s.clone());
                    got.push(s);
                }
            }
            if Instant::now() >= deadline {
                return Ok(got);
            }
        }
    }

    /// Reads until the implementation nominates itself in a round above `above`.
    async fn candidacy_above(&mut self, above: u64, within: Duration) -> Result<Sent, String> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            for s in self.pump(Duration::from_millis(10)).await? {
                if s.nominee == self.iut && s.round > above {
                    return Ok(s);
                }
            }
        }
        Err(format!(
            "no nominationMsg{{{}}} in a round above {above} within {within:?}",
            self.iut
        ))
    }

    /// After a reason to re-elect: its candidacy above `above` must be in round `seen + 1`,
    /// and, granted, it must be Active again within `settle`; the new round.
    async fn reelected(
        &mut self,
        above: u64,
        seen: u64,
        within: Duration,
        settle: Duration,
    ) -> Result<u64, String> {
        let c = self.candidacy_above(above, within).await?;
        if c.round != seen + 1 {
            return Err(format!(
                "it re-elected in round {}, not seen + 1 = {}",
                c.round,
                seen + 1
            ));
        }
        self.pump(settle).await?;
        match self.state().await? {
            State::Active => Ok(c.round),
            st => Err(format!("re-elected, it is {st}, not Active")),
        }
    }

    /// Its state, asked on link 0, the other links read before and after.
    async fn state(&mut self) -> Result<State, String> {
        self.pump(Duration::from_millis(1)).await?;
        let s = self.peers[0].state().await;
        self.pump(Duration::from_millis(1)).await?;
        s
    }

    /// Asks the state until it is one of `want` or `within` passed; the last one seen.
    async fn until_state(&mut self, want: &[State], within: Duration) -> Result<State, String> {
        let deadline = Instant::now() + within;
        loop {
            let s = self.state().await?;
            if want.contains(&s) || Instant::now() >= deadline {
                return Ok(s);
            }
            self.pump(Duration::from_millis(20)).await?;
        }
    }

    /// Sends a request as voter `i` and waits for its answer, the other links read meanwhile.
    async fn ask(
        &mut self,
        i: usize,
        round: u64,
        seq: u64,
        nominee: &str,
        within: Duration,
    ) -> Result<Option<(u64, Answer)>, String> {
        let id = format!("{round} {seq}");
        self.peers[i].nominate_with_id(&id, nominee).await?;
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some((echo, a)) = self.peers[i]
                .answer_to(&id, Duration::from_millis(5))
                .await?
            {
                return Ok(Some((round_seq(&echo).map_or(u64::MAX, |(r, _)| r), a)));
            }
            self.pump(Duration::from_millis(1)).await?;
        }
        Ok(None)
    }
}

/// The election timer of the implementation once the last lease ended (5.9.5): one
/// `election_timeout`, and per member before it (witnesses not counted) a `stagger`, or an
/// `election_timeout` for `serving`, the member it last knew serving.
fn timer_wait(s: &MemberSetup, q: &QuorumSetup, serving: usize) -> Duration {
    (0..s.iut)
        .filter(|i| !q.witnesses.contains(i))
        .map(|i| {
            if i == serving {
                q.election_timeout
            } else {
                q.stagger
            }
        })
        .fold(q.election_timeout, |sum, d| sum + d)
}

/// The highest round in the Election ids the implementation sent on `peer`.
pub(super) fn seen_round(peer: &Peer<'_>) -> u64 {
    peer.link
        .log
        .iter()
        .filter_map(|(_, m)| match m {
            AnyMessage::Election(e) => round_seq(&election_id(e)).map(|(r, _)| r),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// What the voter tests leave behind: the round the implementation granted member `holder`
/// (its voter lease for it runs from about now) and the highest round either side used.
#[derive(Debug, Clone, Copy)]
pub(super) struct After {
    /// The member holding the implementation's grant.
    pub holder: usize,
    /// The grant's round.
    pub round: u64,
    /// The highest round seen on the links so far.
    pub seen: u64,
}

fn skip_from(report: &mut Report, from: &Requirement, why: &str) {
    let start = REQUIREMENTS
        .iter()
        .position(|r| r.id == from.id)
        .unwrap_or(0);
    for r in &REQUIREMENTS[start..] {
        let why = match r.id {
            id if id == PERSISTED.id => PERSISTED_WHY,
            id if id == FENCING.id => FENCING_WHY,
            _ => why,
        };
        report.record(r, Outcome::Skip(why.into()), Duration::ZERO);
    }
}

fn fail_from(report: &mut Report, from: &Requirement, why: &str) {
    let start = REQUIREMENTS
        .iter()
        .position(|r| r.id == from.id)
        .unwrap_or(0);
    for r in &REQUIREMENTS[start..] {
        let outcome = match r.id {
            id if id == PERSISTED.id => Outcome::Skip(PERSISTED_WHY.into()),
            id if id == FENCING.id => Outcome::Skip(FENCING_WHY.into()),
            _ => Outcome::Fail(why.into()),
        };
        report.record(r, outcome, Duration::ZERO);
    }
}

/// Runs the candidate and serving tests after the voter tests; `after`: where they left it
/// (`None`: they could not grant, and these tests are skipped).
pub(super) async fn run(
    s: &MemberSetup,
    q: &QuorumSetup,
    after: Option<After>,
    report: &mut Report,
) {
    let Some(after) = after else {
        skip_from(
            report,
            &TIMER,
            "the voter tests reached no grant to start from",
        );
        return;
    };
    if q.witnesses.contains(&s.iut) {
        skip_from(
            report,
            &TIMER,
            "the implementation is a witness: it never stands",
        );
        return;
    }
    let iut = s.iut().name.clone();
    // Every other voter, the holder of the grant first.
    let mut order: Vec<usize> = (0..s.members.len()).filter(|&i| i != s.iut).collect();
    order.sort_by_key(|&i| i != after.holder);
    let quorum = s.members.len() / 2 + 1;
    if order.len() + 1 < quorum + 1 {
        skip_from(
            report,
            &TIMER,
            "needs a voter the tester keeps silent besides a quorum it grants with",
        );
        return;
    }
    // The implementation's component, played from the start when given (the release test
    // fails a promotion with it).
    let played = match &s.component {
        Some(c) => match Played::start(c, s).await {
            Ok(p) => Some(p),
            Err(e) => return fail_from(report, &TIMER, &e),
        },
        None => None,
    };
    let mut peers = Vec::new();
    for &i in &order {
        match Peer::up_as(s, i).await {
            Ok(p) => peers.push(p),
            Err(e) => return fail_from(report, &TIMER, &e),
        }
    }
    let names: Vec<String> = order.iter().map(|&i| s.members[i].name.clone()).collect();
    let n = peers.len();
    let mut v = Voters {
        peers,
        names,
        granting: vec![false; n],
        iut: iut.clone(),
        sent: Vec::new(),
        last_grant: None,
    };
    // Link 0 holds the grant; the silent voter is link 0 too once it stops renewing, the
    // granting ones are the last quorum - 1 links.
    let granters: Vec<usize> = (n + 1 - quorum..n).collect();
    let p = s.patience;
    let l_v = q.voter_lease;
    let retry = s.retry_backoff;
    let mut seq = 1000;

    // [Q8]: renew the holder's grant (row 1) for two voter leases.
    let mut last_renewal = Instant::now();
    check(report, &TIMER, async {
        let until = Instant::now() + l_v * 2;
        while Instant::now() < until {
            seq += 1;
            last_renewal = Instant::now();
            let holder = v.names[0].clone();
            match v.ask(0, after.round, seq, &holder, p).await {
                Ok(Some((_, Answer::Assignment(a, b)))) if a == holder && b == iut => {}
                Ok(got) => return Outcome::Fail(format!("renewal answered {got:?}")),
                Err(e) => return Outcome::Fail(e),
            }
            if let Err(e) = v.pump(q.renew).await {
                return Outcome::Fail(e);
            }
            if let Some(c) = v.sent.iter().find(|c| c.nominee == iut) {
                return Outcome::Fail(format!(
                    "it stood ({:?}) while its voter lease for {holder} ran",
                    c.id
                ));
            }
        }
        Outcome::Pass
    })
    .await;

    let seen = after.seen.max(after.round);
    let mut first = None;
    check(report, &CANDIDACY, async {
        let within = l_v * 2 + p * 2;
        let c = match v.candidacy_above(0, within).await {
            Ok(c) => c,
            Err(e) => return Outcome::Fail(e),
        };
        first = Some(c.clone());
        if c.round != seen + 1 {
            return Outcome::Fail(format!(
                "it stood in round {}, not seen + 1 = {}",
                c.round,
                seen + 1
            ));
        }
        let lease_end = last_renewal + l_v - l_v / 50;
        if c.at < lease_end {
            return Outcome::Fail(format!(
                "it stood {:?} after the last renewal it answered, inside its voter lease",
                c.at - last_renewal
            ));
        }
        // Every linked voter gets it.
        let deadline = Instant::now() + retry + p;
        loop {
            let missing: Vec<&String> = (0..n)
                .filter(|&i| {
                    !v.sent
                        .iter()
                        .any(|x| x.link == i && x.round == c.round && x.nominee == iut)
                })
                .map(|i| &v.names[i])
                .collect();
            if missing.is_empty() {
                return Outcome::Pass;
            }
            if Instant::now() >= deadline {
                return Outcome::Fail(format!("no nomination of round {} to {missing:?}", c.round));
            }
            if let Err(e) = v.pump(Duration::from_millis(10)).await {
                return Outcome::Fail(e);
            }
        }
    })
    .await;
    let Some(first) = first else {
        return fail_from(report, &TIMER_RANK, "no candidacy to start from");
    };
    check(report, &TIMER_RANK, async {
        // The holder's renewals were answered by row 1: it is the member last known serving.
        let wait = timer_wait(s, q, after.holder);
        let lease_end = last_renewal + l_v;
        let (earliest, latest) = (lease_end + wait - l_v / 50, lease_end + wait + p);
        let after_end = first.at.saturating_duration_since(lease_end);
        if first.at < earliest {
            return Outcome::Fail(format!(
                "it stood {after_end:?} after its last voter lease ended, before its timer of {wait:?}"
            ));
        }
        if first.at > latest {
            return Outcome::Fail(format!(
                "it stood {after_end:?} after its last voter lease ended: its timer is {wait:?}, patience {p:?}"
            ));
        }
        Outcome::Pass
    })
    .await;
    let r = first.round;
    let other = v.names[0].clone();
    check(report, &OWN_GRANT, async {
        seq += 1;
        match v.ask(0, r, seq, &other, p).await {
            Ok(Some((round, Answer::Veto(a, b)))) if a == iut && b == iut => {
                if round == r {
                    Outcome::Pass
                } else {
                    Outcome::Fail(format!("the veto carries round {round}, not {r}"))
                }
            }
            Ok(got) => Outcome::Fail(format!("answered {got:?}, not veto{{{iut}, {iut}}}")),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(report, &RETRY, async {
        let deadline = Instant::now() + retry * 3 + p;
        loop {
            let on = |i: usize| -> Vec<&Sent> {
                v.sent
                    .iter()
                    .filter(|x| x.link == i && x.round == r && x.nominee == iut)
                    .collect()
            };
            let again = on(n - 1);
            if again.len() >= 2 {
                return if again[0].id != again[1].id {
                    Outcome::Pass
                } else {
                    Outcome::Fail(format!("sent again with the same id {:?}", again[0].id))
                };
            }
            if Instant::now() >= deadline {
                return Outcome::Fail(format!(
                    "sent once to {} in round {r}, not again within {:?}",
                    v.names[n - 1],
                    retry * 3 + p
                ));
            }
            if let Err(e) = v.pump(Duration::from_millis(10)).await {
                return Outcome::Fail(e);
            }
        }
    })
    .await;
    check(report, &VOID_VETO, async {
        // Answer a nomination of round r with a veto of round r + 1 (the voter stands in it).
        let Some(to) = v
            .sent
            .iter()
            .rev()
            .find(|x| x.round == r && x.nominee == iut)
            .cloned()
        else {
            return Outcome::Fail("no nomination to answer".into());
        };
        let voter = v.names[to.link].clone();
        let veto = Answer::Veto(voter.clone(), voter);
        if let Err(e) = v.peers[to.link].answer(&to.id, r + 1, &veto).await {
            return Outcome::Fail(e);
        }
        let vetoed = Instant::now();
        // What was in flight may still come; then nothing of round r for half a voter lease.
        let drain = retry * 2;
        if let Err(e) = v.pump(l_v / 2).await {
            return Outcome::Fail(e);
        }
        let late = v
            .sent
            .iter()
            .find(|x| x.round == r && x.at > vetoed + drain)
            .map(|late| {
                Outcome::Fail(format!(
                    "it still sent {:?} {:?} after the veto",
                    late.id,
                    late.at - vetoed
                ))
            });
        // The next candidacy, waited for even after a failure: the tests after this one
        // start from it.
        let next = v.candidacy_above(r, l_v * 2 + p * 2).await;
        if let Some(fail) = late {
            return fail;
        }
        match next {
            Ok(c) if c.round > r + 1 => Outcome::Pass,
            Ok(c) => Outcome::Fail(format!(
                "its next candidacy is in round {}, not above the veto's {}",
                c.round,
                r + 1
            )),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    let Some(r2) = v.sent.iter().map(|x| x.round).max().filter(|&x| x > r) else {
        return fail_from(report, &VOID_LEASE, "no second candidacy");
    };
    check(report, &VOID_LEASE, async {
        let Some(t_s) = v.sent.iter().find(|x| x.round == r2).map(|x| x.at) else {
            return Outcome::Fail("no candidacy".into());
        };
        let slack = retry * 2;
        let end = t_s + q.active_lease + slack;
        let watch = (end + retry * 4).saturating_duration_since(Instant::now());
        if let Err(e) = v.pump(watch).await {
            return Outcome::Fail(e);
        }
        match v.sent.iter().find(|x| x.round == r2 && x.at > end) {
            Some(late) => Outcome::Fail(format!(
                "it sent {:?} {:?} after its first send of the round",
                late.id,
                late.at - t_s
            )),
            None => Outcome::Pass,
        }
    })
    .await;

    // From now on the granting links grant every nomination of the implementation.
    for &g in &granters {
        v.granting[g] = true;
    }
    let mut won = None;
    check(report, &WIN, async {
        let c = match v.candidacy_above(r2, l_v * 2 + p * 2).await {
            Ok(c) => c,
            Err(e) => return Outcome::Fail(e),
        };
        won = Some(c.round);
        match v
            .until_state(&[State::Active], p * 2 + q.active_lease)
            .await
        {
            Ok(State::Active) => Outcome::Pass,
            Ok(st) => Outcome::Fail(format!(
                "granted round {} by {} voters, it is {st}",
                c.round,
                granters.len() + 1
            )),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    let Some(r3) = won else {
        return fail_from(report, &RENEW, "no win to start from");
    };
    check(report, &RENEW, async {
        let from = v.sent.len();
        let window = q.renew * 10;
        if let Err(e) = v.pump(window).await {
            return Outcome::Fail(e);
        }
        for i in 0..n {
            let got: Vec<&Sent> = v.sent[from..]
                .iter()
                .filter(|x| x.link == i && x.nominee == iut)
                .collect();
            if let Some(bad) = got.iter().find(|x| x.round != r3) {
                return Outcome::Fail(format!("a renewal in round {}, not {r3}", bad.round));
            }
            if got.len() < 5 {
                return Outcome::Fail(format!(
                    "{} renewals to {} in {window:?}, renew {:?}",
                    got.len(),
                    v.names[i],
                    q.renew
                ));
            }
        }
        match v.state().await {
            Ok(State::Active) => Outcome::Pass,
            Ok(st) => Outcome::Fail(format!("its renewals answered, it is {st}")),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    let mut serving = r3;
    check(report, &REELECT, async {
        let higher = r3 + 5;
        seq += 1;
        let silent = v.names[0].clone();
        match v.ask(0, higher, seq, &silent, p).await {
            Ok(Some((round, Answer::Error(d)))) if d == "lease" && round == r3 => {}
            Ok(got) => {
                return Outcome::Fail(format!(
                    "answered {got:?}, not electionError{{lease}} carrying {r3}"
                ))
            }
            Err(e) => return Outcome::Fail(e),
        }
        match v.reelected(r3, higher, p + q.renew * 2, q.renew * 3).await {
            Ok(round) => {
                serving = round;
                Outcome::Pass
            }
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(report, &REELECT_VETO, async {
        let g = granters[0];
        v.granting[g] = false;
        let from = v.sent.len();
        let deadline = Instant::now() + q.renew * 2 + p;
        let to = loop {
            if let Some(x) = v.sent[from..]
                .iter()
                .find(|x| x.link == g && x.nominee == iut && x.round == serving)
            {
                break x.clone();
            }
            if Instant::now() >= deadline {
                return Outcome::Fail(format!("no renewal in round {serving}"));
            }
            if let Err(e) = v.pump(Duration::from_millis(5)).await {
                return Outcome::Fail(e);
            }
        };
        let other = v.names[0].clone();
        let veto = Answer::Veto(other, v.names[g].clone());
        if let Err(e) = v.peers[g].answer(&to.id, serving, &veto).await {
            return Outcome::Fail(e);
        }
        v.granting[g] = true;
        match v
            .reelected(serving, serving, p + q.renew * 2, q.renew * 3)
            .await
        {
            Ok(round) => {
                serving = round;
                Outcome::Pass
            }
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(report, &LEASE_END, async {
        for g in v.granting.iter_mut() {
            *g = false;
        }
        let from = v.sent.len();
        let last = v.last_grant.unwrap_or_else(Instant::now);
        let bound = q.active_lease + p;
        let st = match v
            .until_state(&[State::Standby, State::Demoting], bound)
            .await
        {
            Ok(st) => st,
            Err(e) => return Outcome::Fail(e),
        };
        let took = last.elapsed();
        if !matches!(st, State::Standby | State::Demoting) {
            return Outcome::Fail(format!(
                "still {st} {took:?} after the last renewal answered (L_a {:?})",
                q.active_lease
            ));
        }
        if let Some(rel) = v.sent[from..].iter().find(|x| x.nominee != iut) {
            return Outcome::Fail(format!(
                "it released to {} ({:?}) instead of demoting silently",
                rel.nominee, rel.id
            ));
        }
        Outcome::Pass
    })
    .await;
    // A member S the implementation grants, then S's release to it (5.9.7).
    let s_link = granters[0];
    let mut held = None;
    check(report, &RELEASE_OTHER, async {
        let r = v
            .sent
            .iter()
            .map(|x| x.round)
            .max()
            .unwrap_or(0)
            .max(serving)
            + 5;
        seq += 1;
        let name = v.names[s_link].clone();
        match v.ask(s_link, r, seq, &name, p).await {
            Ok(Some((round, Answer::Assignment(a, b)))) if a == name && b == iut && round == r => {
                held = Some((r, Instant::now()));
            }
            Ok(got) => {
                return Outcome::Fail(format!(
                    "{name}'s candidacy of round {r} answered {got:?}, not a grant"
                ))
            }
            Err(e) => return Outcome::Fail(e),
        }
        seq += 1;
        match v.ask(0, r, seq, &iut, p).await {
            Ok(Some((_, Answer::Error(d)))) if d == "lease" => Outcome::Pass,
            Ok(got) => Outcome::Fail(format!(
                "{}'s release to {iut} answered {got:?}, not electionError{{lease}}",
                v.names[0]
            )),
            Err(e) => Outcome::Fail(e),
        }
    })
    .await;
    check(report, &HANDOVER, async {
        let Some((r, granted)) = held else {
            return Outcome::Fail("no grant to a member to release from".into());
        };
        seq += 1;
        match v.ask(s_link, r, seq, &iut, p).await {
            Ok(Some((round, Answer::Assignment(a, b)))) if a == iut && b == iut && round == r => {}
            Ok(got) => {
                return Outcome::Fail(format!(
                    "the release answered {got:?}, not assigment{{{iut}, {iut}}} carrying {r}"
                ))
            }
            Err(e) => return Outcome::Fail(e),
        }
        // Its lease for S would have run until `granted + L_v`: it must stand well before.
        let c = match v.candidacy_above(r, l_v / 2).await {
            Ok(c) => c,
            Err(e) => {
                return Outcome::Fail(format!("{e}: it did not stand at once on the release"))
            }
        };
        if c.round != r + 1 {
            return Outcome::Fail(format!("it stood in round {}, not {}", c.round, r + 1));
        }
        if c.at >= granted + l_v - l_v / 50 {
            return Outcome::Fail("it stood only once the released lease had run out".into());
        }
        Outcome::Pass
    })
    .await;
    report.record(
        &PERSISTED,
        Outcome::Skip(PERSISTED_WHY.into()),
        Duration::ZERO,
    );
    check(report, &RELEASE, async {
        let Some(played) = &played else {
            return Outcome::Skip(RELEASE_WHY.into());
        };
        played.mode(Answering::FailActive);
        for &g in &granters {
            v.granting[g] = true;
        }
        // X: the highest-priority member other than the implementation that may stand.
        let Some(x) = (0..s.members.len()).find(|&i| i != s.iut && !q.witnesses.contains(&i))
        else {
            return Outcome::Fail("no member to hand over to".into());
        };
        let x = s.members[x].name.clone();
        let from = v.sent.len();
        let deadline = Instant::now() + l_v * 2 + p * 3;
        let release = loop {
            let stood = |round: u64| v.sent.iter().any(|y| y.round == round && y.nominee == iut);
            if let Some(r) = v.sent[from..]
                .iter()
                .find(|y| y.nominee != iut && stood(y.round))
            {
                break r.clone();
            }
            if Instant::now() >= deadline {
                return Outcome::Fail(format!(
                    "granted, its promotion failed (the component refused active): no release \
                     within {:?}",
                    l_v * 2 + p * 3
                ));
            }
            if let Err(e) = v.pump(Duration::from_millis(10)).await {
                return Outcome::Fail(e);
            }
        };
        if release.nominee != x {
            return Outcome::Fail(format!(
                "it released to {}, not {x}, the highest-priority member that may stand",
                release.nominee
            ));
        }
        let until = Instant::now() + retry + p;
        loop {
            let missing: Vec<&String> = (0..n)
                .filter(|&i| {
                    !v.sent[from..]
                        .iter()
                        .any(|y| y.link == i && y.round == release.round && y.nominee == x)
                })
                .map(|i| &v.names[i])
                .collect();
            if missing.is_empty() {
                return Outcome::Pass;
            }
            if Instant::now() >= until {
                return Outcome::Fail(format!(
                    "its release of round {} did not reach {missing:?}",
                    release.round
                ));
            }
            if let Err(e) = v.pump(Duration::from_millis(10)).await {
                return Outcome::Fail(e);
            }
        }
    })
    .await;
    report.record(&FENCING, Outcome::Skip(FENCING_WHY.into()), Duration::ZERO);
}
