//! The grant file of quorum mode (PROTOCOL 5.9): `state_dir/grant`, the last grant this voter
//! made, written before the grant (or a candidacy) is sent and read at start.
//!
//! Format: three lines, `baton-grant 1`, `round <R>`, `member <name>`. Written to
//! `grant.tmp`, fsynced, renamed over `grant`, then the folder fsynced, so that a crash
//! leaves the old grant or the new one, never a torn file. A missing file, or one that does
//! not read as above or names no configured member, is *unknown*: the voter then abstains
//! for one voter lease (PROTOCOL 5.9) and the driver logs why.

use crate::config::Config;
use baton_election::{Grant, Member, PersistedGrant, Round};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file's name in `state_dir`.
pub(crate) const GRANT_FILE: &str = "grant";
const TEMP_FILE: &str = "grant.tmp";
const HEADER: &str = "baton-grant 1";

/// What the grant file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stored {
    /// A grant: its round and the member's index in the configuration.
    Known {
        /// The round.
        round: u32,
        /// The member granted.
        member: usize,
    },
    /// No usable grant, and why (logged).
    Unknown(String),
}

/// At start, with `state_dir` configured: checks it is a writable folder and reads the grant
/// into the node's configuration (a missing or corrupt file: unknown, with a warning).
///
/// # Errors
/// `state_dir` is not a writable folder (the path and the OS error).
pub(crate) fn load(cfg: &mut Config) -> Result<(), String> {
    let Some(dir) = cfg.state_dir.clone() else {
        return Ok(());
    };
    check_writable(&dir)?;
    let names: Vec<&str> = cfg.node.members.iter().map(|m| m.name.as_str()).collect();
    cfg.node.persisted = match read(&dir, &names) {
        Stored::Known { round, member } => {
            tracing::info!(
                round,
                member = names[member],
                "grant read from {}",
                dir.display()
            );
            PersistedGrant::Known(Grant {
                round: Round(round),
                member: Member(member),
            })
        }
        Stored::Unknown(why) => {
            tracing::warn!("no usable grant ({why}): abstaining for one voter lease");
            PersistedGrant::Unknown
        }
    };
    Ok(())
}

/// Checks that `dir` is a folder this process can write (and fsync) a file in.
///
/// # Errors
/// A line naming the path and the OS error.
pub(crate) fn check_writable(dir: &Path) -> Result<(), String> {
    let named = |what: &str, e: io::Error| format!("state_dir {}: {what}: {e}", dir.display());
    let meta = fs::metadata(dir).map_err(|e| named("cannot use it", e))?;
    if !meta.is_dir() {
        return Err(format!("state_dir {}: not a directory", dir.display()));
    }
    let probe = dir.join(".baton-write-test");
    let written = File::create(&probe).and_then(|mut f| {
        f.write_all(b"ok\n")?;
        f.sync_all()
    });
    let _ = fs::remove_file(&probe);
    written.map_err(|e| named("not writable", e))
}

/// Reads `dir/grant`; `members` are the configured member names, in order.
pub(crate) fn read(dir: &Path, members: &[&str]) -> Stored {
    let path = dir.join(GRANT_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Stored::Unknown(format!("{} does not exist", path.display()))
        }
        Err(e) => return Stored::Unknown(format!("cannot read {}: {e}", path.display())),
    };
    match parse(&text, members) {
        Some((round, member)) => Stored::Known { round, member },
        None => Stored::Unknown(format!("{} is corrupt: {:?}", path.display(), short(&text))),
    }
}

fn parse(text: &str, members: &[&str]) -> Option<(u32, usize)> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let round = lines.next()?.strip_prefix("round ")?;
    if round.is_empty() || !round.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let round: u32 = round.parse().ok()?;
    let name = lines.next()?.strip_prefix("member ")?;
    let member = members.iter().position(|m| *m == name)?;
    if lines.next().is_some() || !text.ends_with('\n') {
        return None;
    }
    Some((round, member))
}

fn short(text: &str) -> String {
    text.chars().take(60).collect()
}

/// Writes the grant `(round, member)` to `dir/grant`: temp file, fsync, rename, fsync of the
/// folder.
///
/// # Errors
/// Any step's OS error (the caller stops the node: a grant is never sent unpersisted).
pub(crate) fn write(dir: &Path, round: u32, member: &str) -> io::Result<PathBuf> {
    let temp = dir.join(TEMP_FILE);
    let path = dir.join(GRANT_FILE);
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        f.write_all(format!("{HEADER}\nround {round}\nmember {member}\n").as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&temp, &path)?;
    File::open(dir)?.sync_all()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBERS: [&str; 3] = ["alpha", "beta", "gamma"];

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("baton-grant-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_written_grant_reads_back() {
        let d = dir("roundtrip");
        assert!(
            matches!(read(&d, &MEMBERS), Stored::Unknown(why) if why.ends_with("does not exist"))
        );
        write(&d, 7, "beta").unwrap();
        assert_eq!(
            read(&d, &MEMBERS),
            Stored::Known {
                round: 7,
                member: 1
            }
        );
        write(&d, 8, "gamma").unwrap();
        assert_eq!(
            read(&d, &MEMBERS),
            Stored::Known {
                round: 8,
                member: 2
            }
        );
        assert_eq!(
            fs::read_to_string(d.join(GRANT_FILE)).unwrap(),
            "baton-grant 1\nround 8\nmember gamma\n"
        );
        assert!(!d.join(TEMP_FILE).exists());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn corrupt_files_are_unknown() {
        let d = dir("corrupt");
        for text in [
            "",
            "garbage",
            "baton-grant 1\nround 7\n",
            "baton-grant 1\nround x\nmember beta\n",
            "baton-grant 1\nround -1\nmember beta\n",
            "baton-grant 1\nround 99999999999\nmember beta\n",
            "baton-grant 1\nround 7\nmember delta\n",
            "baton-grant 1\nround 7\nmember beta",
            "baton-grant 1\nround 7\nmember beta\nmore\n",
            "baton-grant 2\nround 7\nmember beta\n",
        ] {
            fs::write(d.join(GRANT_FILE), text).unwrap();
            assert!(
                matches!(read(&d, &MEMBERS), Stored::Unknown(why) if why.contains("is corrupt")),
                "{text:?}"
            );
        }
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn writability_is_checked() {
        let d = dir("writable");
        assert_eq!(check_writable(&d), Ok(()));
        let missing = d.join("missing");
        let e = check_writable(&missing).unwrap_err();
        assert!(
            e.starts_with(&format!("state_dir {}: cannot use it: ", missing.display())),
            "{e}"
        );
        assert!(e.contains("os error 2"), "{e}");
        fs::write(d.join("file"), "x").unwrap();
        assert_eq!(
            check_writable(&d.join("file")),
            Err(format!(
                "state_dir {}: not a directory",
                d.join("file").display()
            ))
        );
        assert!(write(&missing, 1, "alpha").is_err());
        fs::remove_dir_all(&d).unwrap();
    }
}
