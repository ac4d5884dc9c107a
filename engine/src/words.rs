//! The machines' own reasons in plain words, for the operator's log (the machines' enums
//! carry no `Display` of their own, and their `Debug` text is not for operators).

use std::fmt;

/// A machine's reason, rendered in plain words.
pub(crate) struct Words<'a, T>(pub(crate) &'a T);

impl fmt::Display for Words<'_, baton_monitor::IgnoredReason> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use baton_monitor::IgnoredReason as R;
        match self.0 {
            R::UnknownLink => f.write_str("the link is not known"),
            R::NotRegistered => f.write_str("the first message was not a heartBeat"),
            R::EmptyComponentId => f.write_str("a registration with an empty componentId"),
            R::ComponentIdMismatch { expected, got } => {
                write!(f, "componentId {got}, but the link carries {expected}")
            }
            R::UnexpectedMessage => f.write_str("a message this side never receives"),
            R::UnknownCorrelation(c) => write!(f, "no query outstanding with correlationId {c}"),
        }
    }
}

impl fmt::Display for Words<'_, baton_monitor::FailureReason> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use baton_monitor::FailureReason as R;
        f.write_str(match self.0 {
            R::ReportedFailed => "it reported status failed",
            R::Silent => "nothing from it for its dead interval",
            R::LinkClosed => "its link closed",
        })
    }
}

impl fmt::Display for Words<'_, baton_monitor::HelloRefusal> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use baton_monitor::HelloRefusal as R;
        match self.0 {
            R::NotAHeartBeat => f.write_str("the first message was not a heartBeat"),
            R::SelfId => f.write_str(
                "the hello names this node itself (its own member id: is this node's own \
                 address configured for a peer, or do two members share an id?)",
            ),
            R::UnknownMember(id) => write!(
                f,
                "the hello names id {id}, no configured member (member id mismatch: both \
                 configurations must list the same members with the same ids)"
            ),
            R::NoHello => f.write_str("no hello within the dead interval"),
            R::Duplicate { member } => write!(f, "another link to member id {member} stays"),
            R::AlreadyUp { member } => {
                write!(f, "member id {member} is up and heard on another link")
            }
        }
    }
}

impl fmt::Display for Words<'_, baton_role::FailureReason> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use baton_role::FailureReason as R;
        f.write_str(match self.0 {
            R::Refused => "it answered failure",
            R::TimedOut => "no answer within the role timeout",
            R::LinkClosed => "its link closed before it answered",
        })
    }
}

impl fmt::Display for Words<'_, baton_role::IgnoredReason> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use baton_role::IgnoredReason as R;
        match self.0 {
            R::UnregisteredLink => f.write_str("no component is registered on the link"),
            R::UnexpectedSetRole => f.write_str("a component sent setRole"),
            R::UnknownCorrelation(c) => {
                write!(f, "no setRole outstanding with correlationId {c}")
            }
        }
    }
}

impl fmt::Display for Words<'_, baton_role::Role> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use baton_role::Role as R;
        f.write_str(match self.0 {
            R::active => "active",
            R::standby => "standby",
        })
    }
}

impl fmt::Display for Words<'_, baton_status::ServerIgnoredReason> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use baton_status::ServerIgnoredReason as R;
        f.write_str(match self.0 {
            R::UnexpectedMessage => "a statusIndication or getStatusResponse sent to the node",
        })
    }
}

impl fmt::Display for Words<'_, std::time::Duration> {
    /// Whole milliseconds (every timer of the configuration is in milliseconds).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0.as_millis())
    }
}
