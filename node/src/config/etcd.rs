//! `[etcd]` (PROTOCOL 5.12): the endpoints (`http://` or, with `[tls]`, `https://`), the key
//! prefix, the lease TTL and the round-trip bound, checked against the inequality of
//! PROTOCOL 5.12.4 with the `demotion_bound_ms` and `clock_drift_ppm` of `[timers]`.

use super::error::Ctx;
use super::file::File;
use super::ConfigError;
use baton_election::{EtcdTimers, Mode};
use baton_engine::{EtcdSettings, NodeConfig};

/// Reads `[etcd]` into `node.etcd` in etcd mode; refuses it in the other modes.
pub(super) fn read(
    file: &File,
    node: &mut NodeConfig,
    cx: &Ctx<'_>,
) -> Result<Option<EtcdSettings>, ConfigError> {
    let Some(e) = &file.etcd else {
        if node.mode == Mode::Etcd {
            return Err(cx.err(
                file.election.as_ref().map(toml::Spanned::span),
                "etcd",
                "election = \"etcd\" needs an [etcd] table with endpoints and prefix",
            ));
        }
        return Ok(None);
    };
    if node.mode != Mode::Etcd {
        return Err(cx.err(
            Some(e.prefix.span()),
            "etcd",
            "an [etcd] table needs election = \"etcd\"",
        ));
    }
    let endpoints = e.endpoints.get_ref();
    if endpoints.is_empty() {
        return Err(cx.err(Some(e.endpoints.span()), "etcd.endpoints", "no endpoint"));
    }
    for url in endpoints {
        let (tls, rest) = match url.split_once("://") {
            Some(("http", rest)) => (false, rest),
            Some(("https", rest)) => (true, rest),
            _ => {
                return Err(cx.err(
                    Some(e.endpoints.span()),
                    "etcd.endpoints",
                    format!("{url:?}: expected http://HOST:PORT or https://HOST:PORT"),
                ))
            }
        };
        let hostport = rest.trim_end_matches('/');
        let port_ok = hostport
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
        if !port_ok || hostport.contains('/') {
            return Err(cx.err(
                Some(e.endpoints.span()),
                "etcd.endpoints",
                format!("{url:?}: expected http://HOST:PORT or https://HOST:PORT"),
            ));
        }
        if tls && file.tls.is_none() {
            return Err(cx.err(
                Some(e.endpoints.span()),
                "etcd.endpoints",
                format!("{url:?}: https needs [tls] (its CA, certificate and key are used)"),
            ));
        }
    }
    let prefix = e.prefix.get_ref();
    if !prefix.starts_with('/') || prefix.ends_with('/') || prefix.len() > 200 {
        return Err(cx.err(
            Some(e.prefix.span()),
            "etcd.prefix",
            format!("{prefix:?}: a path such as \"/baton/web\" (leading /, no trailing /)"),
        ));
    }
    let d = EtcdTimers::default();
    let ttl = super::ms(&e.ttl_ms, d.ttl, "etcd.ttl_ms", cx)?;
    let request_timeout = super::ms(
        &e.request_timeout_ms,
        d.request_timeout,
        "etcd.request_timeout_ms",
        cx,
    )?;
    let t = EtcdTimers {
        ttl,
        request_timeout,
    };
    let q = &node.quorum;
    if let Err(err) = t.check(q.demotion_bound, q.clock_drift_ppm) {
        let span = e.ttl_ms.as_ref().map(toml::Spanned::span);
        return Err(cx.err(span, "etcd.ttl_ms", err.to_string()));
    }
    node.etcd = t;
    Ok(Some(EtcdSettings {
        endpoints: endpoints.clone(),
        prefix: prefix.clone(),
    }))
}
