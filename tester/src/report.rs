//! Requirements, outcomes and the report: h2spec-like text, JSON, the exit code.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::time::Duration;

/// How binding a requirement is (RFC 2119 words of PROTOCOL.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// MUST: a failure fails the run.
    Must,
    /// SHOULD: a failure fails the run only with `--strict`.
    Should,
}

impl Level {
    /// `MUST` or `SHOULD`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        }
    }
}

/// One requirement of PROTOCOL.md that a test checks: its id (as in section 10's
/// checklist), its section, its level and what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// Stable id, e.g. `hello.self-id`.
    pub id: &'static str,
    /// The PROTOCOL.md section, e.g. `4`.
    pub section: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// The requirement in a line.
    pub title: &'static str,
}

/// What a test found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The implementation did what the requirement says.
    Pass,
    /// It did not: what it did instead.
    Fail(String),
    /// The test could not run: why (never a pass).
    Skip(String),
}

/// A requirement and its test's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The requirement.
    pub requirement: Requirement,
    /// The outcome.
    pub outcome: Outcome,
    /// How long the test ran.
    pub took: Duration,
}

/// Counts of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Tests run.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed and counted (every MUST; SHOULDs with `strict`).
    pub failed: usize,
    /// Failed SHOULDs not counted (without `strict`).
    pub warnings: usize,
    /// Skipped.
    pub skipped: usize,
}

/// Every verdict of one run of a suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The suite: `member`, `status`, `node` or `component`.
    pub suite: String,
    /// What was tested (an address).
    pub target: String,
    /// The verdicts, in the order the tests ran.
    pub verdicts: Vec<Verdict>,
}

impl Report {
    /// An empty report.
    pub fn new(suite: &str, target: &str) -> Report {
        Report {
            suite: suite.to_owned(),
            target: target.to_owned(),
            verdicts: Vec::new(),
        }
    }

    /// Records `outcome` for `requirement`.
    pub fn record(&mut self, requirement: &Requirement, outcome: Outcome, took: Duration) {
        self.verdicts.push(Verdict {
            requirement: *requirement,
            outcome,
            took,
        });
    }

    /// The outcome of the test of `id`, if it ran.
    pub fn outcome(&self, id: &str) -> Option<&Outcome> {
        self.verdicts
            .iter()
            .find(|v| v.requirement.id == id)
            .map(|v| &v.outcome)
    }

    /// The ids of the failed tests (SHOULDs included).
    pub fn failed_ids(&self) -> Vec<&'static str> {
        self.verdicts
            .iter()
            .filter(|v| matches!(v.outcome, Outcome::Fail(_)))
            .map(|v| v.requirement.id)
            .collect()
    }

    /// The counts; with `strict`, a failed SHOULD counts as a failure.
    pub fn summary(&self, strict: bool) -> Summary {
        let mut s = Summary {
            total: self.verdicts.len(),
            ..Summary::default()
        };
        for v in &self.verdicts {
            match (&v.outcome, v.requirement.level) {
                (Outcome::Pass, _) => s.passed += 1,
                (Outcome::Skip(_), _) => s.skipped += 1,
                (Outcome::Fail(_), Level::Should) if !strict => s.warnings += 1,
                (Outcome::Fail(_), _) => s.failed += 1,
            }
        }
        s
    }

    /// The exit status: 0 when nothing counted failed, 1 otherwise.
    pub fn exit_code(&self, strict: bool) -> u8 {
        u8::from(self.summary(strict).failed > 0)
    }

    /// One line a requirement, h2spec-like, then the summary.
    pub fn text(&self, strict: bool) -> String {
        let mut out = format!("baton conformance {} {}\n\n", self.suite, self.target);
        for v in &self.verdicts {
            let r = &v.requirement;
            let (mark, note) = match (&v.outcome, r.level) {
                (Outcome::Pass, _) => ("ok  ", String::new()),
                (Outcome::Skip(why), _) => ("skip", format!("\n        skipped: {why}")),
                (Outcome::Fail(why), Level::Should) if !strict => {
                    ("warn", format!("\n        -> {why}"))
                }
                (Outcome::Fail(why), _) => ("FAIL", format!("\n        -> {why}")),
            };
            let _ = writeln!(
                out,
                "  {mark} {:<40} \u{a7} {:<9} {:<6} {}{note}",
                r.id,
                r.section,
                r.level.as_str(),
                r.title
            );
        }
        let s = self.summary(strict);
        let _ = writeln!(
            out,
            "\n{} tests, {} passed, {} failed, {} skipped{}",
            s.total,
            s.passed,
            s.failed,
            s.skipped,
            if s.warnings > 0 {
                format!(", {} SHOULD not met (counted with --strict)", s.warnings)
            } else {
                String::new()
            }
        );
        out
    }

    /// The report as one JSON document (`--json`).
    pub fn json(&self, strict: bool) -> Value {
        let s = self.summary(strict);
        let tests: Vec<Value> = self
            .verdicts
            .iter()
            .map(|v| {
                let (result, reason) = match &v.outcome {
                    Outcome::Pass => ("pass", None),
                    Outcome::Fail(w) => ("fail", Some(w.clone())),
                    Outcome::Skip(w) => ("skip", Some(w.clone())),
                };
                json!({
                    "id": v.requirement.id,
                    "section": v.requirement.section,
                    "level": v.requirement.level.as_str(),
                    "title": v.requirement.title,
                    "result": result,
                    "reason": reason,
                    "ms": v.took.as_millis() as u64,
                })
            })
            .collect();
        json!({
            "suite": self.suite,
            "target": self.target,
            "strict": strict,
            "summary": {
                "total": s.total, "passed": s.passed, "failed": s.failed,
                "skipped": s.skipped, "warnings": s.warnings,
            },
            "tests": tests,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MUST: Requirement = Requirement {
        id: "a.must",
        section: "4",
        level: Level::Must,
        title: "a must",
    };
    const SHOULD: Requirement = Requirement {
        id: "a.should",
        section: "6.9",
        level: Level::Should,
        title: "a should",
    };

    #[test]
    fn a_failed_should_counts_only_when_strict() {
        let mut r = Report::new("member", "127.0.0.1:1");
        r.record(&MUST, Outcome::Pass, Duration::ZERO);
        r.record(&SHOULD, Outcome::Fail("no".into()), Duration::ZERO);
        assert_eq!(r.exit_code(false), 0);
        assert_eq!(r.exit_code(true), 1);
        assert_eq!(r.summary(false).warnings, 1);
        assert!(r.text(false).contains("warn a.should"));
        assert!(r.text(true).contains("FAIL a.should"));
        assert_eq!(r.json(true)["summary"]["failed"], 1);
        assert_eq!(r.json(false)["tests"][1]["result"], "fail");
    }

    #[test]
    fn a_failed_must_fails_the_run_and_a_skip_says_why() {
        let mut r = Report::new("status", "x");
        r.record(&MUST, Outcome::Fail("closed".into()), Duration::ZERO);
        r.record(&SHOULD, Outcome::Skip("needs y".into()), Duration::ZERO);
        assert_eq!(r.exit_code(false), 1);
        assert_eq!(r.failed_ids(), vec!["a.must"]);
        let text = r.text(false);
        assert!(text.contains("-> closed"), "{text}");
        assert!(text.contains("skipped: needs y"), "{text}");
        assert!(
            text.contains("2 tests, 0 passed, 1 failed, 1 skipped"),
            "{text}"
        );
    }
}
