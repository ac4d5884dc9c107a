//! `baton check-config A.toml B.toml [C.toml ...]`: every file checked alone, then the files
//! together as one cluster (issue 15, item 5): one file per member, and in every file the same
//! members (names, ids, addresses, witnesses) in the same order, the same election mode,
//! encoding, largest frame, `[tls]` or none, and the same cluster timers (heartbeat, dead
//! interval, the quorum timers). Each mismatch names the file, line and key, and where the
//! first file says otherwise.

use super::error::Ctx;
use super::file::{File, FileMember, FileTimers};
use super::{Config, ConfigError};
use baton_election::Mode;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// A file that passed the checks of one file: its text and tables (for the spans) and what
/// they mean.
struct Parsed {
    path: PathBuf,
    text: String,
    file: File,
    cfg: Config,
}

impl Parsed {
    fn cx(&self) -> Ctx<'_> {
        Ctx {
            path: &self.path,
            text: &self.text,
        }
    }

    /// `A.toml:12:6` where the span is, `A.toml (not written: the default)` when the key is
    /// not written.
    fn at(&self, span: Option<Range<usize>>, key: &str) -> String {
        match span.map(|s| self.cx().line_col(s)) {
            Some((line, col)) => format!("{}:{line}:{col}", self.path.display()),
            None if key == "tls" => format!("{}", self.path.display()),
            None => format!("{} (not written: the default)", self.path.display()),
        }
    }
}

/// Reads and checks `paths` one by one ([`super::load`]), then together.
///
/// # Errors
/// Every problem found: the first of each file that fails alone; when all pass, every
/// difference between a file and the first one, and two files for one member.
pub fn load_cluster(paths: &[PathBuf]) -> Result<Vec<Config>, Vec<ConfigError>> {
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match read(path) {
            Ok(p) => parsed.push(p),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if let Some((first, rest)) = parsed.split_first() {
        for (k, p) in rest.iter().enumerate() {
            if let Some(twin) = parsed[..=k]
                .iter()
                .find(|o| o.file.name.get_ref() == p.file.name.get_ref())
            {
                errors.push(p.cx().err(
                    Some(p.file.name.span()),
                    "name",
                    format!(
                        "{:?} here and in {}: one file per member",
                        p.file.name.get_ref(),
                        twin.at(Some(twin.file.name.span()), "name")
                    ),
                ));
            }
            compare(first, p, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(parsed.into_iter().map(|p| p.cfg).collect())
    } else {
        Err(errors)
    }
}

fn read(path: &Path) -> Result<Parsed, ConfigError> {
    let cfg = super::load(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_owned(),
        at: None,
        key: None,
        message: format!("cannot read: {e}"),
    })?;
    // It parsed a moment ago: a file changed meanwhile is reported as any parse error.
    let file: File = toml::from_str(&text).map_err(|e| ConfigError {
        path: path.to_owned(),
        at: None,
        key: None,
        message: e.message().trim().to_owned(),
    })?;
    Ok(Parsed {
        path: path.to_owned(),
        text,
        file,
        cfg,
    })
}

/// One difference: `key` says `here` in `p` and `there` in `first`.
struct Diff<'a> {
    key: String,
    here: String,
    there: String,
    span: Option<Range<usize>>,
    first_span: Option<Range<usize>>,
    why: &'a str,
}

const SAME: &str = "every file of the cluster must say the same";
const MEMBERS: &str =
    "every file lists the same members in the same order (highest priority first)";

fn compare(first: &Parsed, p: &Parsed, errors: &mut Vec<ConfigError>) {
    let mut diffs = Vec::new();
    let (a, b) = (&first.cfg, &p.cfg);
    let (fa, fb) = (&first.file.members, &p.file.members);
    if fa.len() != fb.len() {
        diffs.push(Diff {
            key: "member".to_owned(),
            here: format!("{} [[member]] tables", fb.len()),
            there: format!("{}", fa.len()),
            span: fb.last().map(|m| m.name.span()),
            first_span: fa.last().map(|m| m.name.span()),
            why: MEMBERS,
        });
    }
    for (i, (ma, mb)) in fa.iter().zip(fb).enumerate() {
        let member = |key: &str, va: String, vb: String, sa: Range<usize>, sb: Range<usize>| Diff {
            key: format!("member[{i}].{key}"),
            here: vb,
            there: va,
            span: Some(sb),
            first_span: Some(sa),
            why: MEMBERS,
        };
        let quoted = |s: &Spanned<String>| format!("{:?}", s.get_ref());
        if ma.name.get_ref() != mb.name.get_ref() {
            diffs.push(member(
                "name",
                quoted(&ma.name),
                quoted(&mb.name),
                ma.name.span(),
                mb.name.span(),
            ));
        } else if ma.id.get_ref() != mb.id.get_ref() {
            diffs.push(member(
                "id",
                quoted(&ma.id),
                quoted(&mb.id),
                ma.id.span(),
                mb.id.span(),
            ));
        } else if a.addresses.get(i) != b.addresses.get(i) {
            let shown = |s: &Spanned<String>, r: Option<&std::net::SocketAddr>| match r {
                Some(r) if r.to_string() != *s.get_ref() => format!("{:?} ({r})", s.get_ref()),
                _ => format!("{:?}", s.get_ref()),
            };
            let (sa, sb) = (ma.address.span(), mb.address.span());
            let (va, vb) = (
                shown(&ma.address, a.addresses.get(i)),
                shown(&mb.address, b.addresses.get(i)),
            );
            diffs.push(member("address", va, vb, sa, sb));
        } else if a.node.witnesses.contains(&i) != b.node.witnesses.contains(&i) {
            let w = |m: &FileMember| m.witness.as_ref().map(Spanned::span);
            let yes = |x: bool| if x { "witness = true" } else { "no witness" };
            diffs.push(Diff {
                key: format!("member[{i}].witness"),
                here: yes(b.node.witnesses.contains(&i)).to_owned(),
                there: yes(a.node.witnesses.contains(&i)).to_owned(),
                span: w(mb).or(Some(mb.name.span())),
                first_span: w(ma).or(Some(ma.name.span())),
                why: MEMBERS,
            });
        }
    }
    let (ta, tb) = (&first.file, &p.file);
    let mode = |m: Mode| match m {
        Mode::Pair => "pair",
        Mode::Quorum => "quorum",
        Mode::Etcd => "etcd",
    };
    let span = |s: &Option<Spanned<String>>| s.as_ref().map(Spanned::span);
    let mut setting = |key: &str, va: String, vb: String, sa, sb| {
        if va != vb {
            diffs.push(Diff {
                key: key.to_owned(),
                here: vb,
                there: va,
                span: sb,
                first_span: sa,
                why: SAME,
            });
        }
    };
    setting(
        "election",
        mode(a.node.mode).into(),
        mode(b.node.mode).into(),
        span(&ta.election),
        span(&tb.election),
    );
    setting(
        "encoding",
        a.encoding.to_string(),
        b.encoding.to_string(),
        span(&ta.encoding),
        span(&tb.encoding),
    );
    let frame = |f: &File| f.max_frame.as_ref().map(Spanned::span);
    setting(
        "max_frame",
        a.max_frame.to_string(),
        b.max_frame.to_string(),
        frame(ta),
        frame(tb),
    );
    let tls = |c: &Config| if c.tls.is_some() { "[tls]" } else { "no [tls]" }.to_owned();
    let ca = |f: &File| f.tls.as_ref().map(|t| t.ca.span());
    setting("tls", tls(a), tls(b), ca(ta), ca(tb));
    for (key, va, vb, sa, sb) in timers(first, p) {
        setting(key, va, vb, sa, sb);
    }
    for d in diffs {
        // A key this file does not write has no line: say why its value is what it is.
        let unwritten = match (&d.span, d.key.as_str()) {
            (None, "tls") => "",
            (None, _) => " (not written: the default)",
            _ => "",
        };
        let message = format!(
            "{}{unwritten} here, {} in {}: {}",
            d.here,
            d.there,
            first.at(d.first_span, &d.key),
            d.why
        );
        errors.push(p.cx().err(d.span, d.key, message));
    }
}

type Timer = (
    &'static str,
    String,
    String,
    Option<Range<usize>>,
    Option<Range<usize>>,
);
type Pick = fn(&FileTimers) -> Option<&Spanned<u64>>;

/// The cluster timers of both files, as `(key, first's, this one's, spans)`.
fn timers(first: &Parsed, p: &Parsed) -> Vec<Timer> {
    let (a, b) = (&first.cfg.node, &p.cfg.node);
    let (qa, qb) = (&a.quorum, &b.quorum);
    // A dead interval not written is three heartbeats: the heartbeat's line says why.
    let rows: [(&'static str, Pick, Duration, Duration); 8] = [
        (
            "timers.heartbeat_ms",
            |t| t.heartbeat_ms.as_ref(),
            a.heartbeat_interval,
            b.heartbeat_interval,
        ),
        (
            "timers.dead_interval_ms",
            |t| t.dead_interval_ms.as_ref().or(t.heartbeat_ms.as_ref()),
            a.dead_interval,
            b.dead_interval,
        ),
        (
            "timers.voter_lease_ms",
            |t| t.voter_lease_ms.as_ref(),
            qa.voter_lease,
            qb.voter_lease,
        ),
        (
            "timers.active_lease_ms",
            |t| t.active_lease_ms.as_ref(),
            qa.active_lease,
            qb.active_lease,
        ),
        (
            "timers.renew_ms",
            |t| t.renew_ms.as_ref(),
            qa.renew,
            qb.renew,
        ),
        (
            "timers.election_timeout_ms",
            |t| t.election_timeout_ms.as_ref(),
            qa.election_timeout,
            qb.election_timeout,
        ),
        (
            "timers.stagger_ms",
            |t| t.stagger_ms.as_ref(),
            qa.stagger,
            qb.stagger,
        ),
        (
            "timers.demotion_bound_ms",
            |t| t.demotion_bound_ms.as_ref(),
            qa.demotion_bound,
            qb.demotion_bound,
        ),
    ];
    let span = |f: &File, pick: Pick| pick(&f.timers).map(Spanned::span);
    let ms = |d: Duration| format!("{} ms", d.as_millis());
    let mut all: Vec<Timer> = rows
        .into_iter()
        .map(|(key, pick, va, vb)| {
            (
                key,
                ms(va),
                ms(vb),
                span(&first.file, pick),
                span(&p.file, pick),
            )
        })
        .collect();
    let drift: Pick = |t| t.clock_drift_ppm.as_ref();
    all.push((
        "timers.clock_drift_ppm",
        format!("{} ppm", qa.clock_drift_ppm),
        format!("{} ppm", qb.clock_drift_ppm),
        span(&first.file, drift),
        span(&p.file, drift),
    ));
    all
}
