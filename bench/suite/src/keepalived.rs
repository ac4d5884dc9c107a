//! The keepalived pair in two network namespaces. (Being written.)

use crate::report::Series;
use crate::Options;

/// Why no keepalived figures came out.
#[derive(Debug)]
pub enum Error {
    /// Not possible here (no root, no network namespaces, no keepalived): said, not failed.
    Skipped(String),
    /// Something went wrong while measuring.
    Failed(String),
}

/// Runs crash, silent and graceful stop at every interval.
pub fn run(_opts: &Options) -> Result<Vec<Series>, Error> {
    Err(Error::Skipped("not written yet".into()))
}
