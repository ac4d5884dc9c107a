//! What the suite prints: Markdown tables (pasted as they are into BENCHMARKS.md), and the
//! series they are made from.

use crate::stats::Summary;
use serde::Serialize;

/// Which implementation a series measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum System {
    /// A pair of `baton node` processes.
    Baton,
    /// The same pair with `[tls]`: mutual TLS on the peer links and the status listener.
    BatonTls,
    /// A pair of keepalived 2.2.7 VRRP instances in two network namespaces.
    Keepalived,
}

/// What was done to the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scenario {
    /// SIGKILL of the active (master) process.
    Crash,
    /// SIGSTOP of the active (master) process: a hung host.
    Silent,
    /// A planned handover: `baton switchover`; keepalived's nearest is a graceful stop of the
    /// master (it sends priority 0).
    Switchover,
}

impl Scenario {
    /// Its name in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Crash => "crash (SIGKILL)",
            Scenario::Silent => "silent (SIGSTOP)",
            Scenario::Switchover => "switchover",
        }
    }
}

/// One measured quantity over the trials of one scenario at one interval.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Who was measured.
    pub system: System,
    /// What was done.
    pub scenario: Scenario,
    /// Heartbeat (baton) or advert (keepalived) interval, ms.
    pub interval_ms: u64,
    /// What was timed, e.g. "standby active, components confirmed".
    pub metric: String,
    /// One sample per successful trial, ms from the fault (or command) to the event.
    pub samples_ms: Vec<f64>,
    /// Trials in which the event did not happen within the trial's time limit.
    pub missed: usize,
}

impl Series {
    /// The summary of its samples.
    pub fn summary(&self) -> Option<Summary> {
        Summary::of(&self.samples_ms)
    }
}

/// A Markdown table with a title and notes under it.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Printed as a `###` heading.
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Cells, one `Vec` per row.
    pub rows: Vec<Vec<String>>,
    /// Lines printed under the table.
    pub notes: Vec<String>,
}

impl Table {
    /// A table with these columns and no rows yet.
    pub fn new(title: impl Into<String>, header: &[&str]) -> Table {
        Table {
            title: title.into(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            ..Table::default()
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!("### {}\n\n", self.title);
        out += &format!("| {} |\n", self.header.join(" | "));
        out += &format!("|{}\n", "---|".repeat(self.header.len()));
        for r in &self.rows {
            out += &format!("| {} |\n", r.join(" | "));
        }
        for n in &self.notes {
            out += &format!("\n{n}\n");
        }
        out
    }
}

/// `min / median / max (n)` of a series, or what happened instead.
pub fn cell(series: Option<&Series>, decimals: usize) -> String {
    match series {
        None => "-".into(),
        Some(s) => match s.summary() {
            None => format!("no sample ({} missed)", s.missed),
            Some(sum) if s.missed == 0 => format!("{} ({})", sum.triple(decimals), sum.n),
            Some(sum) => format!("{} ({}, {} missed)", sum.triple(decimals), sum.n, s.missed),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_renders_as_markdown() {
        let mut t = Table::new("T", &["a", "b"]);
        t.row(vec!["1".into(), "2".into()]);
        t.notes.push("note".into());
        assert_eq!(
            t.markdown(),
            "### T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nnote\n"
        );
    }

    #[test]
    fn cells_count_runs_and_misses() {
        let mut s = Series {
            system: System::Baton,
            scenario: Scenario::Crash,
            interval_ms: 10,
            metric: "m".into(),
            samples_ms: vec![1.0, 3.0, 2.0],
            missed: 0,
        };
        assert_eq!(cell(Some(&s), 1), "1.0 / 2.0 / 3.0 (3)");
        s.missed = 1;
        assert_eq!(cell(Some(&s), 1), "1.0 / 2.0 / 3.0 (3, 1 missed)");
        s.samples_ms.clear();
        assert_eq!(cell(Some(&s), 1), "no sample (1 missed)");
        assert_eq!(cell(None, 1), "-");
    }
}

/// The metrics the comparison tables know, by the names the sections give their series.
pub mod metric {
    /// baton: from the fault (or command) to the new active node with every component having
    /// confirmed its `setRole` (for a switchover: roles swapped, every component confirmed).
    pub const ACTIVE_CONFIRMED: &str = "new active, components confirmed";
    /// baton: from the fault to a status client receiving the new active node's `active`.
    pub const STATUS_ACTIVE: &str = "status client told active";
    /// baton: from the fault to the last component of the failed node demoting itself.
    pub const OLD_DEMOTED: &str = "old active's components stood down";
    /// keepalived: from the fault (or stop) to the backup's MASTER notification.
    pub const NEW_MASTER: &str = "backup became master";
}
