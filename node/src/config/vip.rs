//! `[[vip]]` tables (PROTOCOL 6.10): a built-in virtual IP component. Each becomes a
//! component policy and a script component of the same id, whose commands are this
//! executable's `baton vip up|down|check` (what the guard runs when the node dies; the node
//! itself carries them out in-process), and a [`VipConfig`].

use super::error::Ctx;
use super::file::FileVip;
use super::{ms, ConfigError, ScriptComponent};
use baton_engine::{NodeConfig, VipConfig};
use baton_monitor::{ComponentPolicy, Severity};
use std::net::IpAddr;
use std::time::Duration;
use toml::Spanned;

/// The defaults of a `[[vip]]`'s keys.
pub mod defaults {
    /// Gratuitous ARPs or unsolicited advertisements sent at each activation.
    pub const ANNOUNCE_COUNT: u32 = 3;
    /// Milliseconds between two announcements.
    pub const ANNOUNCE_INTERVAL_MS: u64 = 10;
    /// Milliseconds a VIP waits for another host answering for its address (0: no probe).
    pub const PROBE_MS: u64 = 1;
}

/// Reads the `[[vip]]` tables into `node.components` and `node.scripts`.
pub(super) fn read(
    tables: &[FileVip],
    node: &mut NodeConfig,
    hook_timeout: Duration,
    cx: &Ctx<'_>,
) -> Result<Vec<VipConfig>, ConfigError> {
    let mut vips: Vec<VipConfig> = Vec::new();
    for (i, v) in tables.iter().enumerate() {
        let key = |k: &str| format!("vip[{i}].{k}");
        let id = match &v.id {
            None => format!("{}", 9001 + i),
            Some(s) => {
                let id = s.get_ref();
                if id.is_empty() || id.len() > 16 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(cx.err(
                        Some(s.span()),
                        key("id"),
                        format!("{id:?}: 1 to 16 digits"),
                    ));
                }
                id.clone()
            }
        };
        if node.components.contains_key(&id) {
            let span = v.id.as_ref().map(Spanned::span);
            return Err(cx.err(span, key("id"), format!("{id} is listed twice")));
        }
        let (address, prefix) = address(&v.address, &key("address"), cx)?;
        if let Some(j) = vips.iter().position(|o| o.address == address) {
            return Err(cx.err(
                Some(v.address.span()),
                key("address"),
                format!("{address} is vip[{j}]'s address too"),
            ));
        }
        let interface = v.interface.get_ref();
        if interface.is_empty()
            || interface.len() > 15
            || interface
                .chars()
                .any(|c| c == '/' || c == '\'' || c.is_whitespace() || c.is_control())
        {
            return Err(cx.err(
                Some(v.interface.span()),
                key("interface"),
                format!(
                    "{interface:?}: an interface name, 1 to 15 characters, no '/', quote or space"
                ),
            ));
        }
        let severity = match &v.severity {
            None => Severity::Fatal,
            Some(s) => match s.get_ref().as_str() {
                "minor" => Severity::Minor,
                "fatal" => Severity::Fatal,
                other => {
                    return Err(cx.err(
                        Some(s.span()),
                        key("severity"),
                        format!(
                            "{other:?}: expected minor (log) or fatal (hand over); a VIP has \
                             nothing to restart for major"
                        ),
                    ))
                }
            },
        };
        let announce_count = match &v.announce_count {
            None => defaults::ANNOUNCE_COUNT,
            Some(n) if (1..=100).contains(n.get_ref()) => *n.get_ref() as u32,
            Some(n) => {
                return Err(cx.err(Some(n.span()), key("announce_count"), "must be 1 to 100"))
            }
        };
        let announce_interval = ms(
            &v.announce_interval_ms,
            Duration::from_millis(defaults::ANNOUNCE_INTERVAL_MS),
            &key("announce_interval_ms"),
            cx,
        )?;
        let probe = match &v.probe_ms {
            None => Duration::from_millis(defaults::PROBE_MS),
            Some(p) if *p.get_ref() <= 1000 => Duration::from_millis(*p.get_ref()),
            Some(p) => {
                return Err(cx.err(
                    Some(p.span()),
                    key("probe_ms"),
                    "must be 0 (no probe) to 1000",
                ))
            }
        };
        let timeout = ms(&v.timeout_ms, hook_timeout, &key("timeout_ms"), cx)?;
        let check_interval = ms(
            &v.check_interval_ms,
            Duration::from_secs(1),
            &key("check_interval_ms"),
            cx,
        )?;
        let vip = VipConfig {
            id: id.clone(),
            address,
            prefix,
            interface: interface.clone(),
            announce_count,
            announce_interval,
            probe,
        };
        node.components.insert(
            id.clone(),
            ComponentPolicy {
                severity,
                dead_interval: None,
            },
        );
        let [check, activate, deactivate] = commands(&vip);
        node.scripts.push(ScriptComponent {
            id,
            check: Some(check),
            activate: Some(activate),
            deactivate: Some(deactivate),
            start: None,
            stop: None,
            timeout,
            check_interval,
        });
        vips.push(vip);
    }
    Ok(vips)
}

/// `ADDRESS[/PREFIX]`: the prefix defaults to the whole address (32 or 128 bits).
fn address(text: &Spanned<String>, key: &str, cx: &Ctx<'_>) -> Result<(IpAddr, u8), ConfigError> {
    let bad = |why: &str| {
        cx.err(
            Some(text.span()),
            key,
            format!("{:?}: {why}", text.get_ref()),
        )
    };
    let (a, p) = match text.get_ref().split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text.get_ref().as_str(), None),
    };
    let address: IpAddr = a.parse().map_err(|_| {
        bad("expected an IPv4 or IPv6 address, as 192.0.2.10/24 or 2001:db8::10/64")
    })?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match p {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => return Err(bad(&format!("the prefix length must be 1 to {max}"))),
        },
    };
    let unusable = address.is_unspecified()
        || address.is_multicast()
        || address.is_loopback()
        || matches!(address, IpAddr::V4(a) if a.is_broadcast());
    if unusable {
        return Err(bad(
            "not an address a host can hold (unspecified, loopback, multicast or broadcast)",
        ));
    }
    Ok((address, prefix))
}

/// The commands of the VIP's script component: `check`, `activate`, `deactivate`, each
/// `baton vip ...` with this executable (what the guard runs, PROTOCOL 6.3).
pub fn commands(vip: &VipConfig) -> [String; 3] {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .filter(|p| !p.contains('\''))
        .unwrap_or_else(|| "baton".to_owned());
    let target = format!(
        "--interface '{}' {}/{}",
        vip.interface, vip.address, vip.prefix
    );
    [
        format!("'{exe}' vip check {target}"),
        format!(
            "'{exe}' vip up --announce-count {} --announce-interval-ms {} --probe-ms {} {target}",
            vip.announce_count,
            vip.announce_interval.as_millis(),
            vip.probe.as_millis()
        ),
        format!("'{exe}' vip down {target}"),
    ]
}

/// The `after` lists of the `[[vip]]` tables, for the component order.
pub(super) fn afters<'a>(
    tables: &'a [FileVip],
    vips: &[VipConfig],
) -> Vec<super::components::Afters<'a>> {
    tables
        .iter()
        .zip(vips)
        .enumerate()
        .filter_map(|(i, (t, v))| Some((v.id.clone(), format!("vip[{i}]"), t.after.as_ref()?)))
        .collect()
}

/// The VIP that `command` removes, if it is exactly a `deactivate` command of [`commands`]
/// (any executable): the guard then removes the address itself instead of starting a process
/// (PROTOCOL 6.10). Only what removing needs is read; the other keys take their defaults.
pub fn parse_down(id: &str, command: &str) -> Option<VipConfig> {
    let rest = command.strip_prefix('\'')?;
    let (_exe, rest) = rest.split_once("' vip down --interface '")?;
    let (interface, target) = rest.split_once("' ")?;
    let (address, prefix) = target.split_once('/')?;
    let address: IpAddr = address.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let plain = |s: &str| !s.is_empty() && !s.contains(['\'', ' ', '/']);
    (plain(interface) && (1..=max).contains(&prefix)).then(|| VipConfig {
        id: id.to_owned(),
        address,
        prefix,
        interface: interface.to_owned(),
        announce_count: defaults::ANNOUNCE_COUNT,
        announce_interval: Duration::from_millis(defaults::ANNOUNCE_INTERVAL_MS),
        probe: Duration::from_millis(defaults::PROBE_MS),
    })
}
