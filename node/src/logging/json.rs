//! `log_format = "json"`: one JSON object a line: `timestamp` (RFC 3339, UTC), `level`,
//! `message`, each field by its name (strings as given, other values by their text), and
//! `spans` (the names and fields of the spans the event is in, outermost first) when there
//! are any; a count of a repeating warning adds `repeated`.

use super::repeats::{Fields, Summary, Value};
use super::time;
use serde_json::{Map, Value as Json};
use std::fmt;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The object of an event's fields, with its time and level.
fn object(at: std::time::Duration, level: Level, fields: &Fields) -> Map<String, Json> {
    let mut o = Map::new();
    o.insert("timestamp".into(), time::rfc3339(at).into());
    o.insert("level".into(), level.as_str().into());
    o.insert("message".into(), fields.message.clone().into());
    for (name, value) in &fields.others {
        let v = match value {
            Value::Str(s) | Value::Text(s) => s.clone(),
        };
        o.insert((*name).to_owned(), v.into());
    }
    o
}

/// Writes `event` as one JSON line.
pub(super) fn event<S, N>(
    ctx: &FmtContext<'_, S, N>,
    mut w: Writer<'_>,
    event: &Event<'_>,
) -> fmt::Result
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let mut fields = Fields::default();
    event.record(&mut fields);
    let mut o = object(time::now(), *event.metadata().level(), &fields);
    if let Some(scope) = ctx.event_scope() {
        let spans: Vec<Json> = scope
            .from_root()
            .map(|span| {
                let ext = span.extensions();
                let text = ext
                    .get::<FormattedFields<N>>()
                    .map(|f| f.fields.clone())
                    .unwrap_or_default();
                serde_json::json!({"name": span.name(), "fields": text})
            })
            .collect();
        o.insert("spans".into(), spans.into());
    }
    writeln!(w, "{}", Json::Object(o))
}

/// Writes the count of a repeating warning as one JSON line.
pub(super) fn summary(w: &mut Writer<'_>, s: &Summary) -> fmt::Result {
    let mut o = object(s.at, s.level, &s.fields);
    o.insert("repeated".into(), s.repeated.into());
    writeln!(w, "{}", Json::Object(o))
}
