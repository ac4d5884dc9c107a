//! A warning that repeats is written once, then counted: a failing check every 200 ms is one
//! line, not five a second.
//!
//! A warning (or error) is known by where it is logged and its fields other than the message
//! (`component=1001 hook=check`): its *site*. The first one of a site is written; the same
//! message again at that site is counted, not written. The count is written, as the last
//! occurrence with `repeated=N` (N occurrences not written), when:
//! - the message at that site changes (then the new one is written);
//! - the site goes quiet (nothing for three times its usual gap, at least a second): with
//!   the next line logged;
//! - a minute passed since the site's last written line: at its next occurrence.
//!
//! Information and debug lines are never counted. At most [`MAX_SITES`] sites are followed
//! (the least recent is dropped, its count written).

use super::json;
use super::time;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tracing::callsite::Identifier;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How many sites are followed at most.
pub const MAX_SITES: usize = 64;
/// The longest a repeating warning goes unwritten.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The shortest quiet after which a site's count is written.
pub const QUIET_MIN: Duration = Duration::from_secs(1);

/// A field's value: a string as given, or another value's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A `&str` field (quoted in text lines, as `tracing` writes them).
    Str(String),
    /// Any other field, by its `Debug` (a `%` field: its `Display`).
    Text(String),
}

/// An event's message and other fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// The message.
    pub message: String,
    /// The other fields, in order.
    pub others: Vec<(&'static str, Value)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.others
                .push((field.name(), Value::Str(value.to_owned())));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.others
                .push((field.name(), Value::Text(format!("{value:?}"))));
        }
    }
}

impl Fields {
    /// The other fields as a text line writes them: `component=1001 hook="check"`.
    pub fn others_text(&self) -> String {
        let mut s = String::new();
        for (name, value) in &self.others {
            let _ = match value {
                Value::Str(v) => write!(s, " {name}={v:?}"),
                Value::Text(v) => write!(s, " {name}={v}"),
            };
        }
        s.trim_start().to_owned()
    }
}

/// A count to write: the last occurrence of a warning not written, and how many were not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// When it last occurred (since the Unix epoch).
    pub at: Duration,
    /// Its level.
    pub level: Level,
    /// Its message and fields.
    pub fields: Fields,
    /// How many occurrences were not written.
    pub repeated: u64,
}

/// What is followed of one site.
#[derive(Debug)]
struct Seen {
    level: Level,
    fields: Fields,
    /// When a line of this site was last written.
    written: Duration,
    /// When it last occurred.
    last: Duration,
    /// Occurrences not written since.
    count: u64,
}

impl Seen {
    fn summary(&self, at: Duration, repeated: u64) -> Summary {
        Summary {
            at,
            level: self.level,
            fields: self.fields.clone(),
            repeated,
        }
    }

    /// Whether it went quiet by `now`: nothing for three times its usual gap (a second at
    /// least) while some occurrences are not written.
    fn quiet(&self, now: Duration) -> bool {
        let n = u32::try_from(self.count.max(1)).unwrap_or(u32::MAX);
        let gap = self.last.saturating_sub(self.written) / n;
        self.count > 0 && now.saturating_sub(self.last) > (3 * gap).max(QUIET_MIN)
    }
}

/// The sites followed: where a warning is logged (`K`: its callsite), and its fields but
/// the message.
#[derive(Debug)]
pub struct Repeats<K = Identifier> {
    sites: HashMap<(K, String), Seen>,
}

impl<K> Default for Repeats<K> {
    fn default() -> Self {
        Repeats {
            sites: HashMap::new(),
        }
    }
}

impl<K: Clone + Eq + std::hash::Hash> Repeats<K> {
    /// An event at `now`: the counts to write first, and whether to write the event. `site`
    /// is `None` for lines that are never counted (information, debug).
    pub fn observe(
        &mut self,
        now: Duration,
        site: Option<K>,
        level: Level,
        fields: Fields,
    ) -> (Vec<Summary>, bool) {
        let mut out = self.quiet(now);
        let Some(site) = site else {
            return (out, true);
        };
        let key = (site, fields.others_text());
        let write = match self.sites.get_mut(&key) {
            Some(seen) if seen.fields.message == fields.message => {
                seen.last = now;
                if now.saturating_sub(seen.written) < WINDOW {
                    seen.count += 1;
                    false
                } else {
                    seen.written = now;
                    if seen.count > 0 {
                        out.push(seen.summary(now, seen.count + 1));
                        seen.count = 0;
                        false
                    } else {
                        true
                    }
                }
            }
            Some(seen) => {
                if seen.count > 0 {
                    out.push(seen.summary(seen.last, seen.count));
                }
                *seen = Seen {
                    level,
                    fields,
                    written: now,
                    last: now,
                    count: 0,
                };
                true
            }
            None => {
                if self.sites.len() >= MAX_SITES {
                    out.extend(self.evict());
                }
                let seen = Seen {
                    level,
                    fields,
                    written: now,
                    last: now,
                    count: 0,
                };
                self.sites.insert(key, seen);
                true
            }
        };
        (out, write)
    }

    /// The counts of the sites gone quiet by `now`, which are forgotten.
    fn quiet(&mut self, now: Duration) -> Vec<Summary> {
        let mut out: Vec<Summary> = Vec::new();
        self.sites.retain(|_, seen| {
            if seen.quiet(now) {
                out.push(seen.summary(seen.last, seen.count));
                false
            } else {
                true
            }
        });
        out.sort_by_key(|s| s.at);
        out
    }

    /// Drops the least recent site; its count, if any.
    fn evict(&mut self) -> Option<Summary> {
        let key = self
            .sites
            .iter()
            .min_by_key(|(_, s)| s.last)
            .map(|(k, _)| k.clone())?;
        let seen = self.sites.remove(&key)?;
        (seen.count > 0).then(|| seen.summary(seen.last, seen.count))
    }
}

/// The event format of the node's log: text (as `tracing`'s default, without targets) or
/// JSON, with repeating warnings counted ([`Repeats`]).
pub struct Counted {
    json: bool,
    text: Format<Full, SystemTime>,
    repeats: Mutex<Repeats>,
}

impl Counted {
    /// Text lines, or JSON objects with `json`.
    pub fn new(json: bool) -> Counted {
        Counted {
            json,
            text: Format::default().with_target(false),
            repeats: Mutex::new(Repeats::default()),
        }
    }

    /// Writes the count `s` as one line.
    pub(crate) fn summary(&self, w: &mut Writer<'_>, s: &Summary) -> fmt::Result {
        if self.json {
            return json::summary(w, s);
        }
        let others = s.fields.others_text();
        let sep = if others.is_empty() { "" } else { " " };
        writeln!(
            w,
            "{} {:>5} {} {others}{sep}repeated={}",
            time::rfc3339(s.at),
            s.level.as_str(),
            s.fields.message,
            s.repeated
        )
    }
}

impl<S, N> FormatEvent<S, N> for Counted
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let counted = *meta.level() <= Level::WARN;
        let mut fields = Fields::default();
        if counted {
            event.record(&mut fields);
        }
        let site = counted.then(|| meta.callsite());
        let (summaries, write) = self
            .repeats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .observe(time::now(), site, *meta.level(), fields);
        for s in &summaries {
            self.summary(&mut writer, s)?;
        }
        match (write, self.json) {
            (false, _) => Ok(()),
            (true, true) => json::event(ctx, writer, event),
            (true, false) => self.text.format_event(ctx, writer, event),
        }
    }
}
