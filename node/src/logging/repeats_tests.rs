//! [`Repeats`](super::repeats::Repeats) on explicit times: what is written, what is counted,
//! and when the counts come out.

use super::repeats::{Counted, Fields, Repeats, Summary, Value, MAX_SITES};
use std::time::Duration;
use tracing::Level;
use tracing_subscriber::fmt::format::Writer;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn check(message: &str) -> Fields {
    Fields {
        message: message.to_owned(),
        others: vec![
            ("component", Value::Text("1001".into())),
            ("hook", Value::Text("check".into())),
        ],
    }
}

fn summary(at: u64, message: &str, repeated: u64) -> Summary {
    Summary {
        at: ms(at),
        level: Level::WARN,
        fields: check(message),
        repeated,
    }
}

/// A warning every 200 ms: written once, then counted; when its message changes the count
/// is written (at its last occurrence), then the new message.
#[test]
fn a_repeating_warning_is_written_once_then_counted_until_it_changes() {
    let mut r: Repeats<&str> = Repeats::default();
    let failed = "failed: exit status: 1";
    let at = |r: &mut Repeats<&str>, t: u64, m: &str| {
        r.observe(ms(t), Some("hooks.rs:192"), Level::WARN, check(m))
    };
    assert_eq!(at(&mut r, 0, failed), (vec![], true));
    for t in 1..=10 {
        assert_eq!(at(&mut r, 200 * t, failed), (vec![], false), "at {t}");
    }
    let timed_out = "timed out after 200 ms: killed";
    assert_eq!(
        at(&mut r, 2200, timed_out),
        (vec![summary(2000, failed, 10)], true)
    );
    // Other fields are another site: written.
    let other = Fields {
        others: vec![("component", Value::Text("1002".into()))],
        ..check(failed)
    };
    assert_eq!(
        r.observe(ms(2300), Some("hooks.rs:192"), Level::WARN, other),
        (vec![], true)
    );
}

/// The count of a warning that stopped is written with the next line logged, once three
/// of its gaps (at least a second) passed; then it is new again.
#[test]
fn the_count_of_a_warning_that_stopped_comes_with_the_next_line() {
    let mut r: Repeats<&str> = Repeats::default();
    let failed = "failed: exit status: 1";
    let site = Some("hooks.rs:192");
    for t in 0..5 {
        let written = t == 0;
        let got = r.observe(ms(200 * t), site, Level::WARN, check(failed));
        assert_eq!(got, (vec![], written));
    }
    let info = Fields::default();
    // 0.9 s after the last: not yet quiet (a second at least).
    assert_eq!(
        r.observe(ms(1700), None, Level::INFO, info.clone()),
        (vec![], true)
    );
    assert_eq!(
        r.observe(ms(1900), None, Level::INFO, info),
        (vec![summary(800, failed, 4)], true)
    );
    assert_eq!(
        r.observe(ms(5000), site, Level::WARN, check(failed)),
        (vec![], true)
    );
}

/// A warning that goes on is written with its count once a minute.
#[test]
fn a_warning_that_goes_on_is_written_with_its_count_every_minute() {
    let mut r: Repeats<&str> = Repeats::default();
    let failed = "failed: exit status: 1";
    let site = Some("hooks.rs:192");
    let mut written = Vec::new();
    for t in 0..=650 {
        let (summaries, write) = r.observe(ms(200 * t), site, Level::WARN, check(failed));
        if write {
            written.push(summary(200 * t, failed, 0));
        }
        written.extend(summaries);
    }
    assert_eq!(
        written,
        [
            summary(0, failed, 0),
            summary(60_000, failed, 300),
            summary(120_000, failed, 300)
        ]
    );
}

/// At most [`MAX_SITES`] sites: the least recent goes, its count written.
#[test]
fn sites_are_bounded() {
    let mut r: Repeats<usize> = Repeats::default();
    let failed = "failed";
    assert!(r.observe(ms(0), Some(0), Level::WARN, check(failed)).1);
    assert!(!r.observe(ms(1), Some(0), Level::WARN, check(failed)).1);
    for site in 1..MAX_SITES {
        let got = r.observe(ms(1 + site as u64), Some(site), Level::WARN, check(failed));
        assert_eq!(got, (vec![], true));
    }
    let got = r.observe(ms(100), Some(MAX_SITES), Level::WARN, check(failed));
    assert_eq!(got, (vec![summary(1, failed, 1)], true));
}

/// A count as a text line (the event as `tracing` writes it, `repeated=N` last) and as JSON.
#[test]
fn a_count_is_written_as_its_warning_with_repeated() {
    let s = summary(2000, "failed: exit status: 1", 10);
    let line = |json: bool| {
        let mut out = String::new();
        let written = Counted::new(json).summary(&mut Writer::new(&mut out), &s);
        assert!(written.is_ok());
        out
    };
    assert_eq!(
        line(false),
        "1970-01-01T00:00:02.000000Z  WARN failed: exit status: 1 component=1001 hook=check \
         repeated=10\n"
    );
    assert_eq!(
        line(true),
        "{\"component\":\"1001\",\"hook\":\"check\",\"level\":\"WARN\",\
         \"message\":\"failed: exit status: 1\",\"repeated\":10,\
         \"timestamp\":\"1970-01-01T00:00:02.000000Z\"}\n"
    );
}
