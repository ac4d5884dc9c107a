//! Runs many seeded simulation schedules (`baton_conformance::sim`) and prints a summary.
//!
//! ```text
//! cargo run --release -p baton-conformance --bin simulate -- --seeds 100000
//! cargo run --release -p baton-conformance --bin simulate -- --mode quorum --seeds 100000
//! options: --seeds N (default 1000)   --start S (first seed, default 0)
//!          --topology pair|three|witness|five (default pair)
//!          --mode quorum (seeds in blocks of 15 run three, witness, five in turn)
//!          --adversarial (duplicate and reorder peer-link frames: beyond TCP)
//!          --replication (components replicate; no acknowledged sync update may be lost)
//!          --keep-going (report every failing seed instead of stopping at the first)
//!          --seed S (run one seed with the full trace on stderr)
//! ```
#![forbid(unsafe_code)]

use baton_conformance::sim::{self, SimConfig, Topology};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let mut seeds = 1000u64;
    let mut start = 0u64;
    let mut one = None;
    let mut adversarial = false;
    let mut replication = false;
    let mut keep_going = false;
    let mut topologies = vec![Topology::Pair];
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
            "--replication" => replication = true,
            "--keep-going" => keep_going = true,
            "--topology" => match args.next().map(|t| t.parse::<Topology>()) {
                Some(Ok(t)) => topologies = vec![t],
                Some(Err(e)) => {
                    eprintln!("--topology: {e}");
                    return ExitCode::FAILURE;
                }
                None => {
                    eprintln!("--topology needs a name");
                    return ExitCode::FAILURE;
                }
            },
            "--mode" => match args.next().as_deref() {
                Some("quorum") => {
                    topologies = vec![Topology::Three, Topology::TwoAndWitness, Topology::Five]
                }
                Some("pair") => topologies = vec![Topology::Pair],
                other => {
                    eprintln!("--mode: {other:?}: expected pair or quorum");
                    return ExitCode::FAILURE;
                }
            },
            "-h" | "--help" => {
                eprintln!(
                    "simulate [--seeds N] [--start S] [--seed S] [--topology pair|three|witness|five] \
                     [--mode pair|quorum] [--adversarial] [--replication] [--keep-going]"
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?} (try --help)");
                return ExitCode::FAILURE;
            }
        }
    }
    let configs: Vec<SimConfig> = topologies
        .iter()
        .map(|t| {
            let mut config = SimConfig::for_topology(*t);
            config.replication = replication;
            if adversarial {
                config.network.duplicate_per_mille = 20;
                config.network.reorder_per_mille = 20;
            }
            config
        })
        .collect();
    // Blocks of 15 seeds per topology: each block has every fencing (s % 3) and lost-file
    // (s % 5) residue.
    let config_of = |seed: u64| &configs[((seed / 15) % configs.len() as u64) as usize];
    if let Some(seed) = one {
        let mut config = config_of(seed).clone();
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
    let (mut steps, mut frames, mut faults, mut twice) = (0u64, 0u64, 0usize, 0u64);
    let mut repl = sim::replicate::ReplicationCounts::default();
    let every = (seeds / 20).max(1);
    for (i, seed) in (start..start.saturating_add(seeds)).enumerate() {
        match sim::run(seed, config_of(seed)) {
            Ok(o) => {
                twice += o.rounds_won_twice;
                let c = o.converged_after.unwrap_or_default();
                if c > worst.0 {
                    worst = (c, seed);
                }
                steps += o.steps;
                frames += o.delivered;
                faults += o.faults.len();
                repl.submitted += o.replication.submitted;
                repl.acked_sync += o.replication.acked_sync;
                repl.acked_async += o.replication.acked_async;
                repl.sync_lost_allowed += o.replication.sync_lost_allowed;
                repl.async_lost += o.replication.async_lost;
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
    let names: Vec<String> = topologies.iter().map(ToString::to_string).collect();
    println!(
        "topologies {}; {faults} faults, {steps} steps, {frames} frames delivered; slowest convergence {:?} (seed {}), bound {:?}; rounds won twice (lost-file runs) {twice}",
        names.join(","), worst.0, worst.1, config_of(worst.1).convergence_bound
    );
    if replication {
        println!(
            "replication: {} updates sent; {} sync acknowledged, {} of them lost as allowed (their only holder crashed or left Active); {} async acknowledged, {} of them lost",
            repl.submitted, repl.acked_sync, repl.sync_lost_allowed, repl.acked_async, repl.async_lost
        );
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
