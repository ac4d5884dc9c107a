//! The scale section. (Being written.)

use crate::report::Table;
use crate::Options;

/// Runs the section; returns its tables.
pub fn run(_opts: &Options) -> Result<Vec<Table>, String> {
    Err("not written yet".into())
}
