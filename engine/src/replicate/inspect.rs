//! Read access to the records a node holds, for checks from outside (the simulation's
//! replication check, issue 13): the active node's mirror or the standby node's repertory.

use crate::node::Node;
use baton_replication::Repertory;

impl Node {
    /// The records this node holds: its mirror when active, its repertory otherwise.
    pub fn replica(&self) -> &Repertory {
        self.replication.repertory()
    }
}
