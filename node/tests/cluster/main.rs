//! Clusters with real `baton node` processes on loopback (issue 11; PROTOCOL 5.9, 5.10,
//! 6.7): three members in quorum mode electing the highest priority and, when the active is
//! killed, the next in priority order taking over; two members and a witness; fencing
//! succeeding (the command's marker file) and failing (the standby stays standby and says
//! `fencing=<name>`); a corrupt grant file (the voter abstains, then joins); and what is
//! refused at start or by `baton check-config` (an unwritable `state_dir`, timers breaking
//! the lease inequality, a witness with components).
//!
//! Every wait is bounded; every process is killed by its own pid (and process group) on
//! drop.

#[path = "../support/mod.rs"]
mod support;

mod fence;
mod forged;
mod harness;
mod quorum;
mod refused;
