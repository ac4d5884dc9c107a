//! The node's configuration file (TOML): reading, parsing and checking it into the engine's
//! [`Config`] (re-exported here), with errors that name the key and the line
//! ([`ConfigError`]). What a reload may change is the engine's [`Config::diff`].

mod address;
mod cluster;
mod components;
mod error;
mod etcd;
mod file;
mod quorum;
mod remote;
mod replication;
mod tls;
mod vip;
mod watchdog;
mod whole;

pub use address::{peer_addresses, reachable, resolve};
pub use baton_engine::{Config, FenceCommand, ScriptComponent};
pub use cluster::MAX_MEMBERS;
pub use error::ConfigError;
pub use tls::load_tls;
pub use vip::{commands as vip_commands, defaults as vip_defaults, parse_down as vip_of_down};
pub use whole::load_cluster;

use address::addr;
use baton_codec::Encoding;
use baton_election::Alone;
use baton_engine::{LogFormat, MemberConfig, NodeConfig};
use error::Ctx;
use file::File;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

fn ms(
    v: &Option<Spanned<u64>>,
    default: Duration,
    key: &str,
    cx: &Ctx<'_>,
) -> Result<Duration, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) if *s.get_ref() == 0 || *s.get_ref() > 3_600_000 => {
            Err(cx.err(Some(s.span()), key, "must be 1 to 3600000 milliseconds"))
        }
        Some(s) => Ok(Duration::from_millis(*s.get_ref())),
    }
}

/// What is wrong with a member name, if anything: 1 to 16 characters, no white space (the
/// rule `[[member]] name` follows; `baton certs` applies it to the names it certifies).
pub fn member_name_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if n == 0 || n > 16 {
        return Some(format!("{n} characters: 1 to 16 allowed"));
    }
    if name.chars().any(char::is_whitespace) {
        return Some(format!(
            "{name:?}: no white space (the status line names the peer as peer=<name>:<state>)"
        ));
    }
    None
}

/// Reads and checks a configuration file.
///
/// # Errors
/// The first problem found, with the file, line, column and key.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_owned(),
        at: None,
        key: None,
        message: format!("cannot read: {e}"),
    })?;
    parse(path, &text)
}

/// Parses and checks configuration text (`path` is only used in errors).
///
/// # Errors
/// The first problem found, with the line, column and key.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let cx = Ctx { path, text };
    let file: File = toml::from_str(text).map_err(|e| ConfigError {
        path: path.to_owned(),
        at: e.span().map(|s| cx.line_col(s)),
        key: None,
        message: e.message().trim().to_owned(),
    })?;
    let heartbeat = ms(
        &file.timers.heartbeat_ms,
        Duration::from_millis(100),
        "timers.heartbeat_ms",
        &cx,
    )?;
    let mut node = NodeConfig::pair([("a", "1"), ("b", "2")], 0);
    node.heartbeat_interval = heartbeat;
    node.dead_interval = ms(
        &file.timers.dead_interval_ms,
        3 * heartbeat,
        "timers.dead_interval_ms",
        &cx,
    )?;
    node.startup_wait = ms(
        &file.timers.startup_wait_ms,
        node.dead_interval,
        "timers.startup_wait_ms",
        &cx,
    )?;
    node.retry_backoff = ms(
        &file.timers.retry_backoff_ms,
        heartbeat,
        "timers.retry_backoff_ms",
        &cx,
    )?;
    node.role_timeout = ms(
        &file.timers.role_timeout_ms,
        Duration::from_secs(1),
        "timers.role_timeout_ms",
        &cx,
    )?;
    node.query_interval = ms(
        &file.timers.query_interval_ms,
        heartbeat,
        "timers.query_interval_ms",
        &cx,
    )?;
    let hook_timeout = ms(
        &file.timers.hook_timeout_ms,
        Duration::from_secs(10),
        "timers.hook_timeout_ms",
        &cx,
    )?;
    if node.dead_interval <= heartbeat {
        let span = file.timers.dead_interval_ms.as_ref().map(Spanned::span);
        return Err(cx.err(
            span,
            "timers.dead_interval_ms",
            "must be longer than the heartbeat interval",
        ));
    }
    node.preempt = file.preempt;
    node.alone = match file
        .alone
        .as_ref()
        .map(|a| (a.get_ref().as_str(), a.span()))
    {
        None | Some(("promote", _)) => Alone::Promote,
        Some(("wait", _)) => Alone::Wait,
        Some((other, span)) => {
            return Err(cx.err(
                Some(span),
                "alone",
                format!("{other:?}: expected \"promote\" or \"wait\""),
            ))
        }
    };
    cluster::check_count(&file, &cx)?;
    node.members.clear();
    let mut addresses = Vec::new();
    for (i, m) in file.members.iter().enumerate() {
        let name = m.name.get_ref();
        if let Some(problem) = member_name_problem(name) {
            return Err(cx.err(Some(m.name.span()), format!("member[{i}].name"), problem));
        }
        let id = m.id.get_ref();
        if id.is_empty() || id.len() > 16 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(cx.err(
                Some(m.id.span()),
                format!("member[{i}].id"),
                format!("{id:?}: 1 to 16 digits"),
            ));
        }
        if let Some(j) = node
            .members
            .iter()
            .position(|o: &MemberConfig| &o.name == name)
        {
            return Err(cx.err(
                Some(m.name.span()),
                format!("member[{i}].name"),
                format!("same name as member[{j}]"),
            ));
        }
        if let Some(j) = node.members.iter().position(|o: &MemberConfig| &o.id == id) {
            return Err(cx.err(
                Some(m.id.span()),
                format!("member[{i}].id"),
                format!("same id as member[{j}]"),
            ));
        }
        addresses.push(addr(&m.address, &format!("member[{i}].address"), &cx)?);
        node.members.push(MemberConfig {
            name: name.clone(),
            id: id.clone(),
        });
    }
    let spans: Vec<_> = file.members.iter().map(|m| &m.address).collect();
    address::check_members(&addresses, &spans, &cx)?;
    node.me = node
        .members
        .iter()
        .position(|m| &m.name == file.name.get_ref())
        .ok_or_else(|| {
            cx.err(
                Some(file.name.span()),
                "name",
                format!("{:?} is not the name of a [[member]]", file.name.get_ref()),
            )
        })?;
    let encoding = match &file.encoding {
        None => Encoding::Der,
        Some(e) => e
            .get_ref()
            .parse()
            .map_err(|err| cx.err(Some(e.span()), "encoding", format!("{err}")))?,
    };
    let max_frame = match &file.max_frame {
        None => baton_codec::DEFAULT_MAX_FRAME,
        Some(m) if (64..=16 * 1024 * 1024).contains(m.get_ref()) => *m.get_ref() as usize,
        Some(m) => return Err(cx.err(Some(m.span()), "max_frame", "must be 64 to 16777216 bytes")),
    };
    let vips = vip::read(&file.vips, &mut node, hook_timeout, &cx)?;
    let vip_afters = vip::afters(&file.vips, &vips);
    components::read(&file.components, &vip_afters, &mut node, hook_timeout, &cx)?;
    let remote_check = remote::read(&file, &mut node, hook_timeout, &cx)?;
    replication::read(&file, &mut node, encoding, max_frame, &cx)?;
    // PROTOCOL 6.9: a component id this file does not list is refused.
    node.refuse_unknown_components = true;
    let cluster = cluster::cluster(&file, &mut node, &cx)?;
    node.validate()
        .map_err(|e| cx.err(None, "member", e.to_string()))?;
    let component_tcp = file
        .listen
        .component_tcp
        .as_ref()
        .map(|a| addr(a, "listen.component_tcp", &cx))
        .transpose()?;
    if let (Some(a), Some(s)) = (component_tcp, &file.listen.component_tcp) {
        if !a.ip().is_loopback() {
            return Err(cx.err(
                Some(s.span()),
                "listen.component_tcp",
                "components connect over loopback only",
            ));
        }
    }
    let status = file
        .listen
        .status
        .as_ref()
        .map(|a| addr(a, "listen.status", &cx))
        .transpose()?;
    let tls = file.tls.as_ref().map(|t| tls::files(t, &cx)).transpose()?;
    // With TLS every TCP link is authenticated: a peer link must carry a member's identity.
    node.authenticated = tls.is_some();
    let control_tcp = match &file.listen.control_tcp {
        Some(s) if tls.is_none() => {
            return Err(cx.err(
                Some(s.span()),
                "listen.control_tcp",
                "needs [tls]: remote control is served to admin client certificates only",
            ))
        }
        s => s
            .as_ref()
            .map(|a| addr(a, "listen.control_tcp", &cx))
            .transpose()?,
    };
    let metrics = file
        .listen
        .metrics
        .as_ref()
        .map(|a| addr(a, "listen.metrics", &cx))
        .transpose()?;
    let log_format = match &file.log_format {
        None => LogFormat::Text,
        Some(f) => match f.get_ref().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                let problem = format!("{other:?}: expected text or json");
                return Err(cx.err(Some(f.span()), "log_format", problem));
            }
        },
    };
    let realtime = realtime(&file, &cx)?;
    let span = |s: &Option<Spanned<String>>| s.as_ref().map(Spanned::span);
    let own = [
        (
            "listen.component_tcp",
            component_tcp,
            span(&file.listen.component_tcp),
        ),
        ("listen.status", status, span(&file.listen.status)),
        (
            "listen.control_tcp",
            control_tcp,
            span(&file.listen.control_tcp),
        ),
        ("listen.metrics", metrics, span(&file.listen.metrics)),
    ];
    let mut listeners = vec![(
        format!("member[{}].address", node.me),
        addresses[node.me],
        Some(file.members[node.me].address.span()),
    )];
    listeners.extend(
        own.into_iter()
            .filter_map(|(key, a, s)| a.map(|a| (key.to_owned(), a, s))),
    );
    address::check_listeners(&listeners, &cx)?;
    watchdog::check(&file, &node, &cx)?;
    Ok(Config {
        path: path.to_owned(),
        node,
        addresses,
        encoding,
        max_frame,
        log: file.log.unwrap_or_else(|| "info".to_owned()),
        component_socket: file.listen.component_socket,
        component_tcp,
        status,
        control_socket: file.listen.control_socket,
        control_tcp,
        tls,
        state_dir: cluster.state_dir,
        fence: cluster.fence,
        etcd: cluster.etcd,
        metrics,
        log_format,
        remote_check,
        realtime,
        vips,
    })
}

/// `realtime` and `realtime_priority`: the priority, or `None` for normal scheduling.
fn realtime(file: &File, cx: &Ctx<'_>) -> Result<Option<u8>, ConfigError> {
    let on = file.realtime.as_ref().is_some_and(|r| *r.get_ref());
    match &file.realtime_priority {
        None => Ok(on.then_some(crate::realtime::DEFAULT_PRIORITY)),
        Some(p) if !on => Err(cx.err(Some(p.span()), "realtime_priority", "needs realtime = true")),
        Some(p) => match u8::try_from(*p.get_ref()) {
            Ok(n @ 1..=99) => Ok(Some(n)),
            _ => Err(cx.err(
                Some(p.span()),
                "realtime_priority",
                format!("{}: must be 1 to 99 (SCHED_FIFO)", p.get_ref()),
            )),
        },
    }
}

#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
mod etcd_tests;
#[cfg(test)]
mod ops_tests;
#[cfg(test)]
mod order_tests;
#[cfg(test)]
mod remote_tests;
#[cfg(test)]
mod replication_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vip_tests;
#[cfg(test)]
mod whole_tests;
