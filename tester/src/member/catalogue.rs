//! The requirements the member suite checks: PROTOCOL.md section 10's index for peer links.

requirements! {
    "Every requirement of the member suite, in the order the tests run.";
    FRAME_LAYOUT = "frame.layout", "3.2", Must,
        "a frame is L (4 bytes, big-endian), the interface id, the message in the link's rule";
    FRAME_OVERSIZE = "frame.oversize-refused", "3.1, 9", Must,
        "a declared L over the maximum frame size closes the link";
    FRAME_EMPTY = "frame.empty-refused", "9", Must,
        "L = 0 closes the link";
    FRAME_INTERFACE = "frame.unknown-interface-refused", "9", Must,
        "an interface id of 0 or 6 closes the link";
    FRAME_UNDECODABLE = "frame.undecodable-refused", "9", Must,
        "a message that does not decode (truncated, trailing bytes, bad lengths, unknown choice) closes the link";
    FRAME_CONSTRAINT = "frame.constraint-refused", "2.2, 9", Must,
        "a message breaking a SIZE or alphabet constraint closes the link";
    HELLO_AT_ONCE = "hello.sent-at-once", "4", Must,
        "the hello is sent as the link opens, without waiting for the peer's";
    HELLO_FIRST = "hello.first-frame", "4", Must,
        "the first frame is a heartBeat{ok} naming the sender's member id";
    HELLO_NOT_HEARTBEAT = "hello.refuse-not-heartbeat", "4, 9", Must,
        "a first HealthMonitor message that is not a heartBeat closes the link";
    HELLO_SELF = "hello.refuse-self", "4, 9", Must,
        "a hello naming the receiver itself closes the link";
    HELLO_UNKNOWN = "hello.refuse-unknown", "4, 9", Must,
        "a hello naming no configured member closes the link";
    HELLO_NONE = "hello.refuse-none", "4, 9", Must,
        "no hello within the dead interval closes the link";
    HELLO_ELECTION_FIRST = "hello.refuse-election-first", "4, 9", Must,
        "an Election message before the hello closes the link";
    PEER_ROLE = "peer.role-closes", "1.5, 9", Must,
        "a Role message on a peer link closes it";
    PEER_GET_STATUS = "peer.get-status", "4, 6.5", Must,
        "a getStatus on the peer link is answered with the status line, echoing its id";
    HELLO_DUPLICATE = "hello.duplicate-settled", "4", Must,
        "a new link of a member heard on its settled link is refused; the settled link stays";
    BEAT_INTERVAL = "heartbeat.interval", "4", Must,
        "heartBeat{ok} naming the member keep coming, never a dead interval apart";
    BEAT_FRESH = "heartbeat.fresh-ids", "4", Must,
        "each heartBeat carries a fresh correlationId";
    BEAT_QUERY = "heartbeat.query-answered", "4, 2.3", Must,
        "a peer's healthQuery is answered healthQueryResponse{ok}, echoing its correlationId";
    BEAT_QUERY_LIFE = "heartbeat.query-is-life", "4", Must,
        "healthQuery alone keeps a peer link alive";
    BEAT_DEAD = "heartbeat.dead-interval", "4", Must,
        "a peer silent for the dead interval is taken for dead: its link is closed";
    BEAT_OTHER_ID = "heartbeat.other-id-no-life", "4", Must,
        "a heartBeat naming another member than the peer is no sign of life";
    BEAT_NOT_ELECTION = "heartbeat.election-no-life", "4", Must,
        "Election and ServiceStatus traffic is no sign of life";
    ELECTION_ID_FORM = "election.id-form", "2.3", Must,
        "Election correlationIds are \"<round> <seq>\"";
    ELECTION_LINK_UP = "election.link-up-nomination", "5.3", Must,
        "a Negotiating or Active node self-nominates on link-up";
    ELECTION_MALFORMED_ID = "election.malformed-id", "5.5", Must,
        "a nomination whose id is not \"<round> <seq>\" is answered electionError{malformed}, echoing it";
    ELECTION_NOT_MEMBER = "election.not-a-member", "5.5", Must,
        "a nomination of no member is answered electionError{not a member}; nothing changes";
    ELECTION_ANSWER_ONCE = "election.answer-once", "5.5", Must,
        "every nomination on an up link is answered exactly once, echoing its correlationId's seq";
    ELECTION_RETRY = "election.retry-after-error", "5.3, 5.6", Must,
        "after electionError the same nomination comes again after the retry back-off, with a fresh seq";
    ELECTION_STALE = "election.stale-answer-ignored", "5.4", Must,
        "[F7] an answer to an earlier send or to no nomination changes nothing";
    NEG_OUTRANKING = "election.negotiating.outranking", "5.5", Must,
        "[F1] Negotiating, outranking a self-nominating peer: electionError{negotiating}, stay";
    NEG_OUTRANKED = "election.negotiating.outranked", "5.5", Must,
        "Negotiating, outranked by a self-nominating peer: assigment{P, self}, go Standby";
    NEG_HANDOVER = "election.negotiating.handover", "5.5", Must,
        "[F10] Negotiating, asked to take over: assigment{self, P}, promote";
    ACTIVE_SELF = "election.active.self-nomination", "5.5", Must,
        "Active, a peer self-nominates: veto{self, P} and stay (preempt: yield)";
    ACTIVE_HANDOVER = "election.active.handover", "5.5", Must,
        "Active, asked to take over: assigment{self, P}, stay";
    F2_OLDER = "election.f2.older-veto-kept", "5.6, 5.11", Must,
        "[F2] an Active vetoed by a peer of an older round keeps the service";
    F2_NEWER = "election.f2.newer-veto-demotes", "5.6, 5.11", Must,
        "[F2] an Active vetoed by a peer of a newer round goes Demoting, then Standby";
    STANDBY_SELF = "election.standby.self-nomination", "5.5", Must,
        "Standby, a peer self-nominates: assigment{P, self}, stay";
    STANDBY_FAILURE = "election.standby.peer-failure", "5.6", Must,
        "a Standby whose peer falls silent promotes";
    STANDBY_HANDOVER = "election.standby.handover", "5.5, 5.6", Must,
        "Standby, asked to take over (a planned switchover): assigment{self, P}, promote";
    F3_HANDS_OVER = "election.f3.failed-hands-over", "5.3, 5.6", Must,
        "[F3] a node whose promotion failed sends a handover request to its peer";
    DEMOTING_ROWS = "election.demoting", "5.5", Must,
        "[F8] Demoting: electionError{demoting} to either nomination";
    FAILED_ROWS = "election.promotion-failed", "5.5", Must,
        "[F9] PromotionFailed: assigment{P, self} to a self-nomination; a handover request by rank";
}
