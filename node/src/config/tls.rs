//! `[tls]`: where a member's TLS files are (a relative path is taken from the configuration
//! file's folder), and loading them ([`load_tls`]) with errors that name the key.

use super::error::Ctx;
use super::file::FileTls;
use super::{Config, ConfigError};
use crate::tls::{member_uri, Identity, TlsConfig, TlsError, TlsFiles};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The paths of `[tls]`, each checked non-empty and resolved from the file's folder.
pub(super) fn files(t: &FileTls, cx: &Ctx<'_>) -> Result<TlsFiles, ConfigError> {
    let one = |s: &Spanned<String>, key: &str| {
        if s.get_ref().is_empty() {
            return Err(cx.err(Some(s.span()), key, "an empty path"));
        }
        Ok(resolve(cx.path, s.get_ref()))
    };
    Ok(TlsFiles {
        ca: one(&t.ca, "tls.ca")?,
        cert: one(&t.cert, "tls.cert")?,
        key: one(&t.key, "tls.key")?,
    })
}

/// `path` as written when absolute, else from the folder of the configuration file `config`.
pub(super) fn resolve(config: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    match config.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_owned(),
    }
}

/// Loads the TLS files of `cfg`, if it has `[tls]`: they must load
/// ([`TlsConfig::load`]) and the certificate must speak for this member
/// (`baton:member:<name>`).
///
/// # Errors
/// What does not load, with the key of the file at fault (`tls.ca`, `tls.cert`, `tls.key`).
pub fn load_tls(cfg: &Config) -> Result<Option<TlsConfig>, ConfigError> {
    let Some(files) = &cfg.tls else {
        return Ok(None);
    };
    let error = |key: &str, message: String| ConfigError {
        path: cfg.path.clone(),
        at: None,
        key: Some(key.to_owned()),
        message,
    };
    let tls = TlsConfig::load(files).map_err(|e| error(key_of(files, &e), e.to_string()))?;
    let me = cfg
        .node
        .members
        .get(cfg.node.me)
        .map_or("", |m| m.name.as_str());
    match tls.identity() {
        Identity::Member(name) if name == me => Ok(Some(tls)),
        other => Err(error(
            "tls.cert",
            format!(
                "{}: the certificate speaks for {other}, not for this member {me:?} (it needs \
                 the subject alternative name URI {})",
                files.cert.display(),
                member_uri(me)
            ),
        )),
    }
}

/// The key of the file a [`TlsError`] is about.
fn key_of(files: &TlsFiles, e: &TlsError) -> &'static str {
    let by_path = |path: &Path| {
        if path == files.ca {
            "tls.ca"
        } else if path == files.cert {
            "tls.cert"
        } else {
            "tls.key"
        }
    };
    match e {
        TlsError::Unreadable { path, .. }
        | TlsError::Pem { path, .. }
        | TlsError::NoCertificate { path }
        | TlsError::NoKey { path, .. } => by_path(path),
        TlsError::KeyMismatch { .. } => "tls.key",
        TlsError::NoIdentity { .. } => "tls.cert",
        TlsError::CaInvalid { .. } => "tls.ca",
        TlsError::Other(_) => "tls",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_taken_from_the_configuration_folder() {
        let cfg = Path::new("/etc/baton/alpha.toml");
        assert_eq!(
            resolve(cfg, "certs/alpha.pem"),
            Path::new("/etc/baton/certs/alpha.pem")
        );
        assert_eq!(resolve(cfg, "/srv/ca.pem"), Path::new("/srv/ca.pem"));
        assert_eq!(
            resolve(Path::new("alpha.toml"), "a.pem"),
            Path::new("a.pem")
        );
    }
}
