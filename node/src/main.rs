//! `baton`: the failover toolkit's command-line tool.
//!
//! Exit status: 0 on success, 2 on any invalid input (one line on stderr), 1 on other failures;
//! `baton status` says the node's state by its exit status (see its help).
#![forbid(unsafe_code)]

mod certs_cmd;
mod codec_cmd;
mod conformance_cmd;
mod demo;
mod dist_cmd;
mod node_cmd;
mod status_cmd;
mod switchover_cmd;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// baton: active/standby failover over four ASN.1 interfaces.
#[derive(Parser)]
#[command(name = "baton", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a value as JER (X.697 JSON) on stdin and print its encoding as lower-case hex.
    Encode(codec_cmd::EncodeArgs),
    /// Decode HEX (or stdin with `-`) and print the value as JER (X.697 JSON).
    Decode(codec_cmd::DecodeArgs),
    /// Run a node: `baton node --config FILE.toml`.
    Node(node_cmd::NodeArgs),
    /// Check a node configuration file and report the first error with its line and key;
    /// with the files of every member, also check them together as one cluster.
    CheckConfig(node_cmd::CheckArgs),
    /// Ask a node for its service status (getStatus); with --watch, print every change.
    ///
    /// Exit status: 0 active, 3 standby, 4 degraded, 5 negotiating, 6 promoting, 7
    /// demoting, 8 failed; 1 when the node gave no answer, 2 on invalid input.
    Status(status_cmd::StatusArgs),
    /// Ask the active node to hand the service over to its standby (planned switchover);
    /// with --wait, return when the handover completed (exit 1 if it failed or timed out).
    Switchover(switchover_cmd::SwitchoverArgs),
    /// Test an implementation of the protocol against PROTOCOL.md, requirement by
    /// requirement (h2spec-like): `member ADDR --config FILE` (a node's peer listener),
    /// `node [ADDR] --config FILE` (its component listener), `component --listen ADDR` (a
    /// component that connects), `status ADDR` (its status listener).
    ///
    /// Exit status: 0 every requirement met (SHOULDs only with --strict), 1 some failed, 2
    /// invalid input or the implementation unreachable.
    Conformance(conformance_cmd::ConformanceArgs),
    /// Start a real pair of nodes on loopback, fail over, switch over, and print the timeline.
    Demo(demo::DemoArgs),
    /// Make the cluster's TLS files: `certs init DIR NAME...` (the CA and each member's),
    /// `certs client DIR NAME [--admin]` (a status client's).
    Certs(certs_cmd::CertsArgs),
    /// The script guard a node starts for its script components (PROTOCOL 6.3); not for
    /// operators.
    #[command(hide = true)]
    Guard(baton_node::guard::GuardArgs),
    /// Write the manual pages (roff) into DIR: baton.1 and one per subcommand (packaging).
    #[command(hide = true)]
    Man(dist_cmd::ManArgs),
    /// Print the shell completions for SHELL (bash, zsh, fish, ...) (packaging).
    #[command(hide = true)]
    Completions(dist_cmd::CompletionsArgs),
}

/// A failure to report: the message and the exit status.
pub struct Failure {
    /// One line for stderr.
    pub message: String,
    /// 2 for invalid input, 1 otherwise.
    pub status: u8,
}

impl Failure {
    /// Invalid input: exit status 2.
    pub fn invalid(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            status: 2,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Encode(args) => codec_cmd::run_encode(&args),
        Command::Decode(args) => codec_cmd::run_decode(&args),
        Command::Node(args) => node_cmd::run(&args),
        Command::CheckConfig(args) => node_cmd::check(&args),
        // The state's exit status, the status line printed.
        Command::Status(args) => match status_cmd::status(&args) {
            Ok(code) => return ExitCode::from(code),
            Err(f) => Err(f),
        },
        Command::Switchover(args) => switchover_cmd::switchover(&args),
        Command::Conformance(args) => match conformance_cmd::run(&args) {
            Ok(code) => return ExitCode::from(code),
            Err(f) => Err(f),
        },
        Command::Demo(args) => demo::run(&args),
        Command::Certs(args) => certs_cmd::run(&args),
        Command::Guard(args) => {
            baton_node::guard::main(&args).map_err(|message| Failure { message, status: 1 })
        }
        Command::Man(args) => dist_cmd::man(&args, Cli::command()),
        Command::Completions(args) => dist_cmd::completions(&args, Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            // Ignore a closed stderr: there is nowhere left to report to.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("baton: {}\n", f.message).as_bytes(),
            );
            ExitCode::from(f.status)
        }
    }
}
