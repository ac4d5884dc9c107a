//! `baton certs init` and `baton certs client`: the cluster CA and the certificates signed by
//! it, as PEM files readable by their owner only (mode 0600 from creation).

use crate::Failure;
use baton_node::config::member_name_problem;
use baton_node::tls::make::{Ca, Issued, Validity};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Arguments of `baton certs`.
#[derive(clap::Args)]
pub struct CertsArgs {
    #[command(subcommand)]
    command: CertsCommand,
}

#[derive(clap::Subcommand)]
enum CertsCommand {
    /// Make a cluster CA (DIR/ca.pem, DIR/ca.key) and a certificate and key per member
    /// (DIR/NAME.pem, DIR/NAME.key; SAN URI baton:member:NAME), every file mode 0600.
    Init(InitArgs),
    /// Make a client certificate signed by DIR/ca.pem and DIR/ca.key (DIR/NAME.pem,
    /// DIR/NAME.key; SAN URI baton:client:NAME): read-only (getStatus, watch) unless --admin.
    Client(ClientArgs),
}

/// Arguments of `baton certs init`.
#[derive(clap::Args)]
struct InitArgs {
    /// The directory to write to (created with mode 0700 if missing).
    dir: PathBuf,
    /// The members' names, 2 to 9 (each as in `[[member]] name`: 1 to 16 characters, no
    /// white space).
    #[arg(required = true, value_name = "NAME")]
    names: Vec<String>,
    /// Days the certificates are valid (1 to 36500).
    #[arg(long, default_value_t = 3650)]
    days: u32,
    /// Replace files that already exist.
    #[arg(long)]
    force: bool,
}

/// Arguments of `baton certs client`.
#[derive(clap::Args)]
struct ClientArgs {
    /// The directory holding the CA (ca.pem, ca.key); the client's files are written there.
    dir: PathBuf,
    /// The client's name (1 to 16 characters, no white space).
    name: String,
    /// Also allow a switchover (SAN URI baton:admin); without it the client may only read.
    #[arg(long)]
    admin: bool,
    /// Days the certificate is valid (1 to 36500).
    #[arg(long, default_value_t = 3650)]
    days: u32,
    /// Replace files that already exist.
    #[arg(long)]
    force: bool,
}

/// `baton certs init|client`.
pub fn run(args: &CertsArgs) -> Result<(), Failure> {
    match &args.command {
        CertsCommand::Init(a) => init(a),
        CertsCommand::Client(a) => client(a),
    }
}

fn init(args: &InitArgs) -> Result<(), Failure> {
    let validity = validity(args.days)?;
    if !(2..=9).contains(&args.names.len()) {
        return Err(Failure::invalid(format!(
            "{} member names: 2 to 9 allowed",
            args.names.len()
        )));
    }
    for (i, name) in args.names.iter().enumerate() {
        check_name(name)?;
        if args.names[..i].contains(name) {
            return Err(Failure::invalid(format!("name {name:?} given twice")));
        }
    }
    let mut files = vec![args.dir.join("ca.pem"), args.dir.join("ca.key")];
    for name in &args.names {
        files.extend(pair_paths(&args.dir, name));
    }
    refuse_existing(&files, args.force)?;

    let (ca, ca_files) = Ca::generate(validity).map_err(|e| failed(e.to_string()))?;
    let mut issued = vec![ca_files];
    for name in &args.names {
        issued.push(
            ca.member(name, validity)
                .map_err(|e| failed(e.to_string()))?,
        );
    }
    create_dir(&args.dir)?;
    for (paths, issued) in files.chunks(2).zip(&issued) {
        write_pair(paths, issued, args.force)?;
    }
    Ok(())
}

fn client(args: &ClientArgs) -> Result<(), Failure> {
    let validity = validity(args.days)?;
    check_name(&args.name)?;
    let (ca_pem, ca_key) = (args.dir.join("ca.pem"), args.dir.join("ca.key"));
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::invalid(format!("cannot read the CA: {}: {e}", path.display())))
    };
    let ca = Ca::from_pem(&read(&ca_pem)?, &read(&ca_key)?)
        .map_err(|e| Failure::invalid(format!("{}: {e}", ca_pem.display())))?;
    let files = pair_paths(&args.dir, &args.name);
    refuse_existing(&files, args.force)?;
    let issued = ca
        .client(&args.name, args.admin, validity)
        .map_err(|e| failed(e.to_string()))?;
    write_pair(&files, &issued, args.force)
}

fn validity(days: u32) -> Result<Validity, Failure> {
    if !(1..=36_500).contains(&days) {
        return Err(Failure::invalid(format!(
            "--days {days}: 1 to 36500 allowed"
        )));
    }
    Ok(Validity::days(now(), days))
}

/// The wall clock, in seconds since the Unix epoch: a certificate is dated from it.
#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // certificates carry wall-clock dates
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The member name rule of the configuration file, and a name that can name a file in DIR
/// without clashing with the CA's.
fn check_name(name: &str) -> Result<(), Failure> {
    if let Some(problem) = member_name_problem(name) {
        return Err(Failure::invalid(format!("name {name:?}: {problem}")));
    }
    if name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(Failure::invalid(format!(
            "name {name:?}: cannot be a file name"
        )));
    }
    if name == "ca" {
        return Err(Failure::invalid(
            "name \"ca\": reserved for the CA's files (ca.pem, ca.key)",
        ));
    }
    Ok(())
}

fn pair_paths(dir: &Path, name: &str) -> [PathBuf; 2] {
    [
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    ]
}

fn refuse_existing(files: &[PathBuf], force: bool) -> Result<(), Failure> {
    match files
        .iter()
        .find(|p| !force && p.symlink_metadata().is_ok())
    {
        Some(p) => Err(Failure::invalid(format!(
            "{} exists (--force replaces it)",
            p.display()
        ))),
        None => Ok(()),
    }
}

fn create_dir(dir: &Path) -> Result<(), Failure> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))
}

fn write_pair(paths: &[PathBuf], issued: &Issued, force: bool) -> Result<(), Failure> {
    for (path, text) in paths.iter().zip([&issued.cert_pem, &issued.key_pem]) {
        write_private(path, text, force)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Writes a new file with mode 0600 from its creation (never readable by others, not even
/// for a moment); with `force` an existing file (or link) is removed first.
fn write_private(path: &Path, text: &str, force: bool) -> Result<(), Failure> {
    if force {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(failed(format!("cannot replace {}: {e}", path.display()))),
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                Failure::invalid(format!("{} exists (--force replaces it)", path.display()))
            }
            _ => failed(format!("cannot create {}: {e}", path.display())),
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))
}

fn failed(message: String) -> Failure {
    Failure { message, status: 1 }
}
