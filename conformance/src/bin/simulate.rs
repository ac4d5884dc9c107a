//! Runs many seeded simulation schedules (`baton_conformance::sim`) and prints a summary.
//!
//! ```text
//! cargo run --release -p baton-conformance --bin simulate -- --seeds 100000
//! options: --seeds N (default 1000)   --start S (first seed, default 0)
//!          --adversarial (duplicate and reorder peer-link frames: beyond TCP)
//!          --keep-going (report every failing seed instead of stopping at the first)
//!          --seed S (run one seed with the full trace on stderr)
//! ```
#![forbid(unsafe_code)]

use baton_conformance::sim::{self, SimConfig};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let mut seeds = 1000u64;
    let mut start = 0u64;
    let mut one = None;
    let mut adversarial = false;
    let mut keep_going = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match a.as_str() {
            "--seeds" => seeds = number("--seeds"),
            "--start" => start = number("--start"),
            "--seed" => one = Some(number("--seed")),
            "--adversarial" => adversarial = true,
            "--keep-going" => keep_going = true,
            "-h" | "--help" => {
                eprintln!(
                    "simulate [--seeds N] [--start S] [--seed S] [--adversarial] [--keep-going]"
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?} (try --help)");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut config = SimConfig::default();
    if adversarial {
        config.network.duplicate_per_mille = 20;
        config.network.reorder_per_mille = 20;
    }
    if let Some(seed) = one {
        config.full_trace = true;
        return match sim::run(seed, &config) {
            Ok(o) => {
                eprintln!("seed {seed}: ok {o:#?}");
                ExitCode::SUCCESS
            }
            Err(v) => {
                eprintln!("{v}");
                ExitCode::FAILURE
            }
        };
    }
    let began = Instant::now();
    let mut failed = Vec::new();
    let mut worst = (Duration::ZERO, start);
    let (mut steps, mut frames, mut faults) = (0u64, 0u64, 0usize);
    let every = (seeds / 20).max(1);
    for (i, seed) in (start..start.saturating_add(seeds)).enumerate() {
        match sim::run(seed, &config) {
            Ok(o) => {
                let c = o.converged_after.unwrap_or_default();
                if c > worst.0 {
                    worst = (c, seed);
                }
                steps += o.steps;
                frames += o.delivered;
                faults += o.faults.len();
            }
            Err(v) => {
                eprintln!("{v}");
                failed.push(seed);
                if !keep_going {
                    break;
                }
            }
        }
        let done = i as u64 + 1;
        if done % every == 0 {
            let rate = done as f64 / began.elapsed().as_secs_f64();
            eprintln!(
                "{done}/{seeds} schedules, {} failed, {rate:.0} schedules/s",
                failed.len()
            );
        }
    }
    let elapsed = began.elapsed();
    println!(
        "{} schedules from seed {start} in {elapsed:.1?} ({:.0}/s); {} failed {failed:?}",
        seeds,
        seeds as f64 / elapsed.as_secs_f64(),
        failed.len()
    );
    println!(
        "{faults} faults, {steps} steps, {frames} frames delivered; slowest convergence {:?} (seed {}), bound {:?}",
        worst.0, worst.1, config.convergence_bound
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
