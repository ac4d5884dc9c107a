//! Model checks the quorum election (see `conformance/MODEL.md`, "Quorum mode"), or runs
//! seeded random walks through the same model:
//!
//! ```text
//! cargo run --release -p baton-conformance --bin model_check_quorum -- \
//!     --witness --horizon 20 --crashes 1 --cuts 1 --losses 1
//! cargo run --release -p baton-conformance --bin model_check_quorum -- --walk 100000
//! ```
//!
//! Options: `--witness` (2 members + a witness; default 3 members), `--isolate` (the first
//! server is cut off from the others before the exploration starts), `--detect` (crashes
//! and cuts are noticed at once; default: only when a new connection replaces the link), `--horizon TICKS`,
//! `--crashes N`, `--lost-grants N`, `--cuts N`, `--losses N`, `--duplicates N`,
//! `--failures N`, `--max-delay TICKS`, `--rates R1,R2,..` (clock rates in parts per
//! thousand, default 900,1100: beyond the configured ρ = 10 % it plants a broken clock), `--demotion MS` (the components' real stop bound,
//! to plant a broken one), `--converge-sample K` (the fair run from one horizon state in
//! K; 0: none), `--cold 1` (faults from time 0, not from the first server on), `--eager 1` (role layer and grant writes in the same step), `--threads N`; `--walk SEEDS` (random walks with the CI walk's
//! budgets, `--first SEED`, `--lost-grants N` overrides the walk's budget). Exits 1 on a violation.

use baton_conformance::model_quorum::check::{check, describe};
use baton_conformance::model_quorum::walk::{self, WalkConfig};
use baton_conformance::model_quorum::{Bounds, Setup, Topology};
use std::process::ExitCode;
use std::time::Duration;

fn usage() -> ExitCode {
    eprintln!(
        "usage: model_check_quorum [--witness] [--isolate] [--detect] [--horizon T] [--crashes N] [--lost-grants N] \
         [--cuts N] [--losses N] [--duplicates N] [--failures N] [--max-delay T] [--rates R,..] \
         [--demotion MS] [--converge-sample K] [--eager 0|1] [--cold 0|1] [--threads N] [--walk SEEDS [--first SEED]]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut topology = Topology::ThreeMembers;
    let mut bounds = Bounds::default();
    let mut horizon = 16;
    let mut max_delay = 1;
    let mut sample = 1;
    let mut eager = false;
    let mut cold = false;
    let mut rates = None;
    let mut isolate = false;
    let mut lost_grants = None;
    let mut detect = false;
    let mut demotion = None;
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut walks = None;
    let mut first = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--witness" {
            topology = Topology::TwoAndWitness;
            continue;
        }
        if arg == "--detect" {
            detect = true;
            continue;
        }
        if arg == "--isolate" {
            isolate = true;
            continue;
        }
        if arg == "--rates" {
            let parsed: Option<Vec<u32>> = args
                .next()
                .map(|v| v.split(',').map(|r| r.parse().ok()).collect())
                .unwrap_or_default();
            match parsed {
                Some(r) if !r.is_empty() => rates = Some(r),
                _ => return usage(),
            }
            continue;
        }
        let Some(Ok(n)) = args.next().map(|v| v.parse::<u64>()) else {
            return usage();
        };
        let small = u8::try_from(n).unwrap_or(u8::MAX);
        match arg.as_str() {
            "--horizon" => horizon = n as u32,
            "--crashes" => bounds.crashes = small,
            "--lost-grants" => {
                bounds.lost_grants = small;
                lost_grants = Some(small);
            }
            "--cuts" => bounds.cuts = small,
            "--losses" => bounds.losses = small,
            "--duplicates" => bounds.duplicates = small,
            "--failures" => bounds.failures = small,
            "--max-delay" => max_delay = n as u32,
            "--converge-sample" => sample = n,
            "--eager" => eager = n != 0,
            "--cold" => cold = n != 0,
            "--demotion" => demotion = Some(Duration::from_millis(n)),
            "--threads" => threads = (n as usize).max(1),
            "--walk" => walks = Some(n),
            "--first" => first = n,
            _ => return usage(),
        }
    }
    if let Some(count) = walks {
        let mut cfg = WalkConfig::new(topology);
        if let Some(n) = lost_grants {
            cfg.bounds.lost_grants = n;
        }
        return run_walks(cfg, first, count);
    }
    let mut setup = Setup::new(topology, bounds, horizon);
    setup.max_delay = max_delay;
    setup.converge_sample = sample;
    setup.eager = eager;
    setup.warm = !cold;
    setup.isolate_server = isolate;
    setup.detect = detect;
    if let Some(r) = rates {
        setup.rates = r;
    }
    if let Some(d) = demotion {
        setup.demotion = d;
    }
    println!(
        "checking {topology:?} {bounds:?} horizon {horizon} ticks, max delay {max_delay}, \
         demotion {:?}, on {threads} threads",
        setup.demotion
    );
    let (m, report) = check(setup, threads);
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

fn run_walks(cfg: WalkConfig, first: u64, count: u64) -> ExitCode {
    let topology = cfg.topology;
    let start = std::time::Instant::now();
    let (mut faults, mut worst, mut rounds) = (0u64, 0u32, 0u64);
    for seed in first..first + count {
        match walk::walk(seed, &cfg) {
            Ok(o) => {
                faults += u64::from(o.faults);
                worst = worst.max(o.converged_after);
                rounds += o.rounds as u64;
            }
            Err(f) => {
                println!("{}", walk::describe(&cfg, &f));
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "{count} walks of {topology:?} from seed {first} passed in {:.2?}: {faults} faults, \
         {rounds} rounds won, worst convergence {worst} ticks",
        start.elapsed()
    );
    ExitCode::SUCCESS
}
