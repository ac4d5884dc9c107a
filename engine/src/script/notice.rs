//! What the script adapter tells the operator: [`ScriptNotice`].

use super::JobId;
use crate::close::CloseReason;
use baton_component::engine::IgnoredFrame;
use std::fmt;

/// Something about a script component worth a log line; its `Display` is the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptNotice {
    /// The hooks for a `setRole` finished after a newer request replaced it, or after its
    /// link closed: their result is dropped (a newer request is answered by its own job).
    Superseded {
        /// The component id.
        component: String,
        /// The job.
        job: JobId,
    },
    /// A frame from the node that the script component has no use for.
    Ignored {
        /// The component id.
        component: String,
        /// What it was.
        frame: IgnoredFrame,
    },
    /// The node closed the script component's link (as it would a linked component's): the
    /// component connects again at once and registers anew.
    LinkClosed {
        /// The component id.
        component: String,
        /// Why the node closed it.
        reason: CloseReason,
    },
    /// The driver reported the end of a job the node does not know (already done).
    UnknownJob {
        /// The job.
        job: JobId,
    },
}

impl fmt::Display for ScriptNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptNotice::Superseded { component, job } => write!(
                f,
                "component {component}: hooks for a superseded setRole finished ({job}): result dropped"
            ),
            ScriptNotice::Ignored { component, frame } => {
                write!(f, "component {component}: ignored ")?;
                match frame {
                    IgnoredFrame::RoleAnswer { correlation } => {
                        write!(f, "a setRoleResponse (correlationId {correlation})")
                    }
                    IgnoredFrame::Health(reason) => {
                        write!(f, "a health message: {}", crate::words::Words(reason))
                    }
                    IgnoredFrame::Interface(interface) => write!(f, "a {interface} message"),
                }
            }
            ScriptNotice::LinkClosed { component, reason } => write!(
                f,
                "component {component}: link closed ({reason}): it connects again"
            ),
            ScriptNotice::UnknownJob { job } => {
                write!(f, "hooks done for an unknown {job}: ignored")
            }
        }
    }
}
