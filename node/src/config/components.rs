//! `[[component]]` tables. A linked component (an application with a link of its own) takes
//! `id`, `severity` and `dead_interval_ms`; a script component (commands the node runs) takes
//! `id`, `severity`, its commands and `timeout_ms` / `check_interval_ms`. A table with keys of
//! both kinds, a zero interval, or a `major` severity the node cannot carry out is refused
//! (issue 15: B3, B6). Either kind may name the components it takes its role after
//! (`after`, PROTOCOL 6.1): unknown names, itself and cycles are refused.

use super::error::Ctx;
use super::file::FileComponent;
use super::{ms, ConfigError, ScriptComponent};
use baton_engine::NodeConfig;
use baton_monitor::{ComponentPolicy, Severity};
use baton_role::{ComponentOrder, OrderError};
use std::time::Duration;
use toml::Spanned;

/// Reads the `[[component]]` tables into `node.components` and `node.scripts`; a script
/// hook's timeout defaults to `hook_timeout`.
pub(super) fn read(
    tables: &[FileComponent],
    vips: &[Afters<'_>],
    node: &mut NodeConfig,
    hook_timeout: Duration,
    cx: &Ctx<'_>,
) -> Result<(), ConfigError> {
    for (i, c) in tables.iter().enumerate() {
        let key = |k: &str| format!("component[{i}].{k}");
        let id = c.id.get_ref();
        if id.is_empty() || id.len() > 16 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(cx.err(
                Some(c.id.span()),
                key("id"),
                format!("{id:?}: 1 to 16 digits"),
            ));
        }
        if node.components.contains_key(id) {
            return Err(cx.err(Some(c.id.span()), key("id"), "listed twice"));
        }
        let severity = match &c.severity {
            None => Severity::Minor,
            Some(s) => s.get_ref().parse().map_err(|_| {
                cx.err(
                    Some(s.span()),
                    key("severity"),
                    format!("{:?}: expected minor, major or fatal", s.get_ref()),
                )
            })?,
        };
        let commands = [
            ("check", &c.check),
            ("activate", &c.activate),
            ("deactivate", &c.deactivate),
            ("start", &c.start),
            ("stop", &c.stop),
        ];
        let is_script = commands.iter().any(|(_, h)| h.is_some());
        mixed_kinds(c, id, is_script, &key, cx)?;
        let dead_interval = opt_ms(&c.dead_interval_ms, &key("dead_interval_ms"), cx)?;
        let timeout = opt_ms(&c.timeout_ms, &key("timeout_ms"), cx)?;
        let check_interval = opt_ms(&c.check_interval_ms, &key("check_interval_ms"), cx)?;
        if let (Severity::Major, true, Some(s)) = (severity, is_script, &c.severity) {
            let missing: Vec<&str> = [("start", &c.start), ("stop", &c.stop)]
                .iter()
                .filter(|(_, h)| h.is_none())
                .map(|(name, _)| *name)
                .collect();
            if !missing.is_empty() {
                return Err(cx.err(
                    Some(s.span()),
                    key("severity"),
                    format!(
                        "\"major\" restarts the component (stop, then start) and script \
                         component {id} has no {}: give it start and stop, or use severity \
                         minor (log) or fatal (hand over)",
                        missing.join(" and no ")
                    ),
                ));
            }
        }
        node.components.insert(
            id.clone(),
            ComponentPolicy {
                severity,
                dead_interval,
            },
        );
        if is_script {
            let text = |h: &Option<Spanned<String>>| h.as_ref().map(|s| s.get_ref().clone());
            node.scripts.push(ScriptComponent {
                id: id.clone(),
                check: text(&c.check),
                activate: text(&c.activate),
                deactivate: text(&c.deactivate),
                start: text(&c.start),
                stop: text(&c.stop),
                timeout: timeout.unwrap_or(hook_timeout),
                check_interval: check_interval.unwrap_or(Duration::from_secs(1)),
            });
        }
    }
    node.component_order = order(tables, vips, node, cx)?;
    Ok(())
}

/// The `after` list of a table that is not a `[[component]]` (a `[[vip]]`): its id, its key
/// (`vip[0]`) and the list.
pub(super) type Afters<'a> = (String, String, &'a Spanned<Vec<Spanned<String>>>);

/// The `after` lists: each name a component of this file, not the component itself, and no
/// cycle (the error names the table of the cycle's first component).
fn order(
    tables: &[FileComponent],
    vips: &[Afters<'_>],
    node: &NodeConfig,
    cx: &Ctx<'_>,
) -> Result<ComponentOrder, ConfigError> {
    let mut lists: Vec<Afters<'_>> = tables
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let after = c.after.as_ref()?;
            Some((c.id.get_ref().clone(), format!("component[{i}]"), after))
        })
        .collect();
    lists.extend(vips.iter().cloned());
    let mut pairs = Vec::new();
    for (id, table, after) in &lists {
        for (j, a) in after.get_ref().iter().enumerate() {
            let key = format!("{table}.after[{j}]");
            let name = a.get_ref();
            if name == id {
                return Err(cx.err(
                    Some(a.span()),
                    key,
                    format!("component {id} cannot be after itself"),
                ));
            }
            if !node.components.contains_key(name) {
                return Err(cx.err(
                    Some(a.span()),
                    key,
                    format!("{name:?} is not the id of a [[component]] or [[vip]] of this file"),
                ));
            }
        }
        pairs.push((
            id.clone(),
            after.get_ref().iter().map(|a| a.get_ref().clone()),
        ));
    }
    ComponentOrder::new(pairs).map_err(|e| {
        let first = match &e {
            OrderError::SelfReference(id) => id.clone(),
            OrderError::Cycle(ids) => ids.first().cloned().unwrap_or_default(),
        };
        let at = lists.iter().find(|(id, _, _)| *id == first);
        cx.err(
            at.map(|(_, _, after)| after.span()),
            at.map_or_else(
                || "component[0].after".to_owned(),
                |(_, t, _)| format!("{t}.after"),
            ),
            e.to_string(),
        )
    })
}

/// An interval key that has no default here: 1 ms to an hour when given.
fn opt_ms(
    v: &Option<Spanned<u64>>,
    key: &str,
    cx: &Ctx<'_>,
) -> Result<Option<Duration>, ConfigError> {
    match v {
        None => Ok(None),
        Some(_) => ms(v, Duration::ZERO, key, cx).map(Some),
    }
}

/// A table with keys of the other kind: a linked component's `dead_interval_ms` beside
/// commands, a script component's timers without commands, `check_interval_ms` without
/// `check`.
fn mixed_kinds(
    c: &FileComponent,
    id: &str,
    is_script: bool,
    key: &dyn Fn(&str) -> String,
    cx: &Ctx<'_>,
) -> Result<(), ConfigError> {
    if is_script {
        if let Some(d) = &c.dead_interval_ms {
            return Err(cx.err(
                Some(d.span()),
                key("dead_interval_ms"),
                format!(
                    "a linked component's key, and component {id} is a script component (it \
                     has commands; its check's exit status is its health): remove it, or the \
                     commands"
                ),
            ));
        }
        if let (Some(i), None) = (&c.check_interval_ms, &c.check) {
            return Err(cx.err(
                Some(i.span()),
                key("check_interval_ms"),
                format!("script component {id} has no check to run at this interval"),
            ));
        }
        return Ok(());
    }
    for (name, v) in [
        ("timeout_ms", &c.timeout_ms),
        ("check_interval_ms", &c.check_interval_ms),
    ] {
        if let Some(v) = v {
            return Err(cx.err(
                Some(v.span()),
                key(name),
                format!(
                    "a script component's key, and component {id} is a linked component (no \
                     check, activate, deactivate, start or stop command)"
                ),
            ));
        }
    }
    Ok(())
}
