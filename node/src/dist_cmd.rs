//! `baton man DIR` and `baton completions SHELL` (hidden; for packagers): the manual pages
//! (`clap_mangen`) and shell completions (`clap_complete`) generated from the command line
//! itself, so they never go stale. `dist/deb.sh` packages them (OPERATIONS "Install").

use crate::Failure;
use std::path::PathBuf;

/// Arguments of `baton man`.
#[derive(clap::Args)]
pub struct ManArgs {
    /// The folder to write into (created): `baton.1`, and `baton-SUBCOMMAND.1` for each
    /// subcommand.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Arguments of `baton completions`.
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Writes the manual pages of `cmd` (the whole command line) into the folder.
pub fn man(args: &ManArgs, cmd: clap::Command) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure {
        message: format!("{}: {e}", args.dir.display()),
        status: 1,
    };
    std::fs::create_dir_all(&args.dir).map_err(fail)?;
    clap_mangen::generate_to(cmd, &args.dir).map_err(fail)
}

/// Prints the completion script of `cmd` for the shell on stdout.
pub fn completions(args: &CompletionsArgs, mut cmd: clap::Command) -> Result<(), Failure> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "baton", &mut out);
    std::io::Write::write_all(&mut std::io::stdout(), &out).map_err(|e| Failure {
        message: format!("cannot write the completions: {e}"),
        status: 1,
    })
}
