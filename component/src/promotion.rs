//! The application's side of a promotion (seed 002: restoration, activation, auditing,
//! cleanup), which [`RoleRequest::promote`](crate::RoleRequest::promote) runs in that order.

use crate::replica::{Ack, RecordKey, ReplicateError, Restoration};
use crate::request::AnswerError;

/// The application's replicated state, as a promotion drives it (seed 002, PROTOCOL 6.11).
///
/// [`RoleRequest::promote`](crate::RoleRequest::promote) calls, for a `setRole{active}`:
/// [`restore`](Replica::restore), [`activate`](Replica::activate) (then answers the node),
/// [`audit`](Replica::audit), and, once the library replicated a `delete` of every orphan the
/// audit found, [`cleanup`](Replica::cleanup). Each runs on the caller's task or thread.
///
/// ```
/// use baton_component::{Record, RecordKey, Replica, Restoration};
/// use std::collections::BTreeMap;
///
/// #[derive(Default)]
/// struct Sessions {
///     open: BTreeMap<Vec<u8>, Vec<u8>>,
///     serving: bool,
/// }
///
/// impl Replica for Sessions {
///     fn restore(&mut self, restoration: Restoration) {
///         if let Restoration::Records(records) = restoration {
///             self.open = records.into_iter().map(|r| (r.key.key, r.value)).collect();
///         } // Streamed: `open` already holds the standby stream's state.
///     }
///     fn activate(&mut self) -> bool {
///         self.serving = true;
///         true
///     }
///     fn audit(&mut self) -> Vec<RecordKey> {
///         // Sessions whose peer is gone are orphans (here: empty values).
///         self.open
///             .iter()
///             .filter(|(_, v)| v.is_empty())
///             .map(|(k, _)| RecordKey::new("1", k.clone()))
///             .collect()
///     }
///     fn cleanup(&mut self, orphans: &[RecordKey]) {
///         for k in orphans {
///             self.open.remove(&k.key);
///         }
///     }
/// }
/// ```
pub trait Replica {
    /// **Restoration**: take `restoration` as the application's state: the records the
    /// node holds ([`Restoration::Records`], replacing what the application has) or, for a
    /// hot standby, what the standby stream delivered ([`Restoration::Streamed`]).
    fn restore(&mut self, restoration: Restoration);

    /// **Activation**: start serving from the restored state. `false`: the application
    /// cannot; the role is refused (the node's promotion fails, PROTOCOL 6.1).
    fn activate(&mut self) -> bool;

    /// **Auditing**: check the restored contexts against the application's resources and
    /// return the keys of the orphans (contexts whose resources are gone). Runs once the
    /// node was answered: the component is active.
    fn audit(&mut self) -> Vec<RecordKey>;

    /// **Cleanup**: the node acknowledged a `delete` of every orphan the audit returned;
    /// drop them from the application's state. Default: nothing.
    fn cleanup(&mut self, orphans: &[RecordKey]) {
        let _ = orphans;
    }
}

/// A promotion that completed: the component is active.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Promoted {
    /// The orphans the audit returned, deleted from the repertory.
    pub orphans: Vec<RecordKey>,
    /// The acknowledgements of their `delete` updates.
    pub acks: Vec<Ack>,
}

/// Why [`RoleRequest::promote`](crate::RoleRequest::promote) did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromoteError {
    /// The answer could not be sent: as [`AnswerError`] (the request was withdrawn or
    /// replaced, or the component closed). The application goes back to the role the
    /// component holds.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// [`Replica::activate`] returned `false`: the role was refused.
    #[error("the application did not activate: the role was refused")]
    NotActivated,
    /// The component is active, but a `delete` of an orphan was not acknowledged; the
    /// application may replicate the deletes again.
    #[error("cleanup of the orphans failed: {0}")]
    Cleanup(ReplicateError),
}
