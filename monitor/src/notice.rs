//! Link notices (PROTOCOL 6.9): what a node and a component tell each other on a component
//! link beyond queries and heartbeats, carried by ordinary HealthMonitor messages whose
//! `correlationId` has the reserved form `"0 <code>"` or `"0 <code> <value>"`.
//!
//! A counter's ids (PROTOCOL 2.3) are digits without a space, so no ordinary query or
//! heartbeat id is ever a notice. The node sends its notices as `healthQuery`s, which every
//! component answers (PROTOCOL 6.4): a component that does not know them answers them as
//! queries and is otherwise unaffected. A component sends its notice (the planned leave) as a
//! `heartBeat`, which every node takes.

use std::fmt;
use std::time::Duration;

/// A link notice (PROTOCOL 6.9), by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkNotice {
    /// Code 0, component to node (a `heartBeat`): the component leaves on purpose; the
    /// node forgets it as not registered, without a failure (PROTOCOL 6.9).
    Leaving,
    /// Code 1, node to component: the component is `major` and failed; the node asks the
    /// application to restart it (PROTOCOL 6.4).
    RestartRequested,
    /// Code 2, node to component: the node's configuration lists no component of this id;
    /// the node closes the link right after this notice.
    UnknownComponent,
    /// Codes 3 to 6, node to component: one of the node's timers, in milliseconds, sent
    /// once right after registration.
    Timer(NodeTimer, Duration),
}

/// A timer the node tells a registering component (PROTOCOL 6.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeTimer {
    /// Code 3: how long the node waits for a `setRoleResponse` (the role timeout, PROTOCOL
    /// 6.1).
    RoleTimeout,
    /// Code 4: the silence after which the node fails this component (its dead interval,
    /// PROTOCOL 6.4).
    ComponentDeadInterval,
    /// Code 5: the interval of the node's `healthQuery`s (PROTOCOL 6.4).
    QueryInterval,
    /// Code 6: the largest watchdog the rule of PROTOCOL 6.3 allows: `W + G` at most
    /// `D - H - 2 ms` (the peer dead interval minus the heartbeat interval minus the
    /// smallest margin).
    WatchdogBound,
}

impl NodeTimer {
    /// Every timer, in the order the node sends them.
    pub const ALL: [NodeTimer; 4] = [
        NodeTimer::RoleTimeout,
        NodeTimer::ComponentDeadInterval,
        NodeTimer::QueryInterval,
        NodeTimer::WatchdogBound,
    ];

    const fn code(self) -> u8 {
        match self {
            NodeTimer::RoleTimeout => 3,
            NodeTimer::ComponentDeadInterval => 4,
            NodeTimer::QueryInterval => 5,
            NodeTimer::WatchdogBound => 6,
        }
    }
}

/// The largest value a timer notice carries: 4294967295 ms (its 10 digits keep the id within
/// 16 characters).
const MAX_MS: u64 = u32::MAX as u64;

impl LinkNotice {
    /// Reads a `correlationId`: `Some` only for the exact forms of PROTOCOL 6.9 (`"0 0"`,
    /// `"0 1"`, `"0 2"`, `"0 <3..6> <ms>"`, decimal, single spaces, no leading zeros but the
    /// first `0`).
    pub fn parse(id: &str) -> Option<LinkNotice> {
        let rest = id.strip_prefix("0 ")?;
        let mut parts = rest.split(' ');
        let code = parts.next()?;
        let value = parts.next();
        if parts.next().is_some() {
            return None;
        }
        let notice = match (code, value) {
            ("0", None) => LinkNotice::Leaving,
            ("1", None) => LinkNotice::RestartRequested,
            ("2", None) => LinkNotice::UnknownComponent,
            (code, Some(ms)) => {
                let timer = NodeTimer::ALL
                    .into_iter()
                    .find(|t| code.len() == 1 && code.as_bytes()[0] == b'0' + t.code())?;
                let canonical = !ms.is_empty()
                    && ms.bytes().all(|b| b.is_ascii_digit())
                    && (ms == "0" || !ms.starts_with('0'));
                if !canonical {
                    return None;
                }
                let ms: u64 = ms.parse().ok().filter(|&v| v <= MAX_MS)?;
                LinkNotice::Timer(timer, Duration::from_millis(ms))
            }
            _ => return None,
        };
        Some(notice)
    }

    /// Whether `id` has the reserved form `"0 ..."` (a notice, known or not): the node takes
    /// an answer echoing such an id as a sign of life that settles no query.
    pub fn is_reserved(id: &[u8]) -> bool {
        id.starts_with(b"0 ")
    }
}

impl fmt::Display for LinkNotice {
    /// The `correlationId` (at most 16 characters; a timer is capped at 4294967295 ms).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkNotice::Leaving => f.write_str("0 0"),
            LinkNotice::RestartRequested => f.write_str("0 1"),
            LinkNotice::UnknownComponent => f.write_str("0 2"),
            LinkNotice::Timer(t, d) => {
                let ms = u64::try_from(d.as_millis()).unwrap_or(MAX_MS).min(MAX_MS);
                write!(f, "0 {} {ms}", t.code())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_renders_and_parses_back() {
        let notices = [
            LinkNotice::Leaving,
            LinkNotice::RestartRequested,
            LinkNotice::UnknownComponent,
            LinkNotice::Timer(NodeTimer::RoleTimeout, Duration::from_secs(1)),
            LinkNotice::Timer(NodeTimer::ComponentDeadInterval, Duration::from_millis(300)),
            LinkNotice::Timer(NodeTimer::QueryInterval, Duration::ZERO),
            LinkNotice::Timer(NodeTimer::WatchdogBound, Duration::from_millis(u64::MAX)),
        ];
        let ids: Vec<String> = notices.iter().map(ToString::to_string).collect();
        assert_eq!(
            ids,
            [
                "0 0",
                "0 1",
                "0 2",
                "0 3 1000",
                "0 4 300",
                "0 5 0",
                "0 6 4294967295"
            ]
        );
        for (n, id) in notices.iter().zip(&ids) {
            assert!(id.len() <= 16);
            let back = LinkNotice::parse(id).expect("parses");
            if let LinkNotice::Timer(t, _) = n {
                assert_eq!(
                    back,
                    LinkNotice::Timer(
                        *t,
                        Duration::from_millis(
                            id.rsplit(' ')
                                .next()
                                .and_then(|v| v.parse().ok())
                                .unwrap_or(0)
                        )
                    )
                );
            } else {
                assert_eq!(back, *n);
            }
        }
    }

    #[test]
    fn other_ids_are_no_notice() {
        for id in [
            "",
            "0",
            "1",
            "10 1",
            "0  1",
            "0 1 5",
            "0 3",
            "0 3 01",
            "0 7 5",
            "0 3 4294967296",
            "0 9",
            "00 1",
            "0 3 1 2",
            "0 33 1",
        ] {
            assert_eq!(LinkNotice::parse(id), None, "{id:?}");
        }
        assert!(LinkNotice::is_reserved(b"0 9"));
        assert!(!LinkNotice::is_reserved(b"1"));
    }
}
