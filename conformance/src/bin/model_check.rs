//! Model checks the two-member election at chosen bounds (see `conformance/MODEL.md`):
//!
//! ```text
//! cargo run --release -p baton-conformance --bin model-check -- \
//!     --crashes 4 --failures 3 --switchovers 2 --partitions 2
//! ```
//!
//! Options: `--crashes N`, `--failures N`, `--switchovers N`, `--partitions N`,
//! `--fatals N`, `--retries N` (default 2), `--preempt`, `--threads N` (default: all cores),
//! `--plant replay-stale|drop-vetoes|tie-rounds` (a deliberately broken adapter), `--depth N` (stop
//! at N steps instead of exhausting the state space). Prints the states
//! explored, the time, and each counterexample as a readable path; exits 1 if a property
//! is violated.

use baton_conformance::model::check::{check, describe};
use baton_conformance::model::{model_with, Bounds, Planted, Variant};
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: model-check [--crashes N] [--failures N] [--switchovers N] [--partitions N] \
         [--fatals N] [--retries N] [--preempt] [--threads N] [--depth N] \
         [--plant replay-stale|drop-vetoes|tie-rounds]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut bounds = Bounds {
        retries: 2,
        ..Bounds::default()
    };
    let mut variant = Variant::default();
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut depth = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--preempt" {
            variant.preempt = true;
            continue;
        }
        let Some(value) = args.next() else {
            return usage();
        };
        if arg == "--plant" {
            variant.planted = Some(match value.as_str() {
                "replay-stale" => Planted::ReplayStaleFrames,
                "drop-vetoes" => Planted::DropVetoes,
                "tie-rounds" => Planted::TieRounds,
                _ => return usage(),
            });
            continue;
        }
        let Ok(n) = value.parse::<u8>() else {
            return usage();
        };
        match arg.as_str() {
            "--crashes" => bounds.crashes = n,
            "--failures" => bounds.failures = n,
            "--switchovers" => bounds.switchovers = n,
            "--partitions" => bounds.partitions = n,
            "--fatals" => bounds.fatals = n,
            "--retries" => bounds.retries = n,
            "--threads" => threads = usize::from(n.max(1)),
            "--depth" => depth = Some(usize::from(n)),
            _ => return usage(),
        }
    }
    println!("checking {bounds:?} {variant:?} on {threads} threads");
    let (m, report) = check(model_with(bounds, variant), threads, depth);
    println!(
        "{} states explored ({} generated), max depth {}, in {:.2?}",
        report.states, report.generated, report.max_depth, report.elapsed
    );
    println!("examples found: {:?}", report.examples);
    if report.counterexamples.is_empty() {
        println!("no property violated");
        return ExitCode::SUCCESS;
    }
    for (name, path) in &report.counterexamples {
        println!("\n{}", describe(&m, name, path));
    }
    ExitCode::FAILURE
}
