//! Fault severities (PROTOCOL 6.4).

use std::fmt;

/// What a component's failure means for the node (PROTOCOL 6.4). Ordered from the
/// least to the most severe, so the worst of several is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Log and keep going: the service is degraded.
    Minor,
    /// Restart the component (the composer does), then treat it as minor if it comes back.
    Major,
    /// The node cannot serve: if Active it hands over as a planned switchover does; if
    /// Standby its next promotion fails.
    Fatal,
}

impl Severity {
    /// The configuration word: `minor`, `major` or `fatal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Fatal => "fatal",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    /// Parses `minor`, `major` or `fatal`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "minor" => Ok(Severity::Minor),
            "major" => Ok(Severity::Major),
            "fatal" => Ok(Severity::Fatal),
            other => Err(format!(
                "unknown severity {other:?} (minor, major or fatal)"
            )),
        }
    }
}
