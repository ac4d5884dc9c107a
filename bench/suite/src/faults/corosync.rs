//! corosync 3.1.7 votequorum beside baton's quorum mode.

use super::Sample;
use crate::report::Table;
use crate::Options;
use std::path::Path;

/// Runs the comparison; its tables.
pub fn run(
    _opts: &Options,
    _ip: &Path,
    _root: &Path,
    _runtime: &tokio::runtime::Runtime,
    _samples: &[Sample],
) -> Vec<Table> {
    Vec::new()
}
