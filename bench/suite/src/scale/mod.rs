//! The scale section (`bench/suite/README.md`): one `baton node` with 1,000 and 10,000
//! components at a 100 ms query interval (its CPU as a percentage of one core, its resident
//! memory, the frames per second on the component links, how long registration took), and the
//! peak frames per second through the pure `Node` on one core.
//!
//! The components are lean responders in this process ([`responder`]), all on one thread, so
//! that on a 2-core machine the node has the other core. They are not in the node's
//! configuration: the node gives such components the default policy (`minor`) and counts them
//! in its status line like configured ones. If `perf` can count instructions, the node's
//! instructions per frame are reported too: unlike CPU %, they hardly depend on what else the
//! machine is doing. `BATON_BENCH_SCALE_ENGINE_ONLY=1` runs the pure-Node part alone.

mod engine;
mod process;
pub(crate) mod procfs;
mod responder;

use crate::report::Table;
use crate::{progress, Options};
use process::NodeProcess;
use responder::Counters;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The query interval of the runs, ms: the one the scale goal is stated at
/// (`bench/suite/README.md`).
const QUERY_INTERVAL_MS: u64 = 100;

/// Components registering at once (connected, not yet told their role).
const REGISTERING: usize = 256;

/// How long the node runs after the last registration before the window starts.
const SETTLE: Duration = Duration::from_secs(2);

/// The goals for 10,000 components (`bench/suite/README.md`, *Goals*).
const GOAL_CPU_PERCENT: f64 = 25.0;
const GOAL_RSS_MB: f64 = 64.0;

/// What one component count measured.
#[derive(Debug, Clone)]
struct Point {
    components: usize,
    registration: Duration,
    window: Duration,
    cpu_percent: f64,
    rss_mb: f64,
    hwm_mb: f64,
    frames_in_per_sec: f64,
    frames_out_per_sec: f64,
    harness_cpu_percent: f64,
    instructions_per_frame: Option<f64>,
    load: String,
    status: String,
}

/// Runs the section; returns its tables.
pub fn run(opts: &Options) -> Result<Vec<Table>, String> {
    let mut points = Vec::new();
    // For profiling the engine alone: BATON_BENCH_SCALE_ENGINE_ONLY=1 skips the processes.
    let engine_only = std::env::var_os("BATON_BENCH_SCALE_ENGINE_ONLY").is_some();
    for &n in opts.components.iter().filter(|_| !engine_only) {
        progress("scale", format!("{n} components"));
        let dir = workdir(n)?;
        let point = measure(opts, n, &dir);
        if !opts.keep {
            let _ = std::fs::remove_dir_all(&dir);
        } else {
            progress("scale", format!("kept {}", dir.display()));
        }
        match point {
            Ok(p) => {
                progress("scale", format!("{p:?}"));
                points.push(Ok(p));
            }
            Err(e) => {
                progress("scale", format!("{n} components: FAILED: {e}"));
                points.push(Err((n, e)));
            }
        }
    }
    let mut tables = vec![process_table(&points)];
    let budget = Duration::from_secs(opts.scale_secs.clamp(1, 5));
    let n = opts.components.iter().copied().max().unwrap_or(10_000);
    let mut t = Table::new(
        format!("Scale: peak frames through the pure Node on one core ({n} components)"),
        &[
            "frames cross the node as",
            "frames/s per CPU second",
            "ns per frame",
            "simulated s",
            "load (1 min)",
        ],
    );
    for (mode, what) in [
        (engine::Mode::Messages, "decoded messages"),
        (engine::Mode::Der, "DER frames (encode + decode)"),
    ] {
        progress("scale", format!("pure Node, {what}"));
        let p = engine::peak(n, budget, mode)?;
        t.row(vec![
            what.into(),
            format!("{:.0}", p.per_cpu_sec()),
            format!("{:.0}", 1e9 / p.per_cpu_sec()),
            format!("{:.1}", p.simulated_secs),
            procfs::load1(),
        ]);
    }
    t.notes.push(format!(
        "One thread drives the node with simulated time: every {QUERY_INTERVAL_MS} ms a round of \
         healthQuery to every component, each answered at once, and a tenth of the components \
         pushing a heartBeat (one a second each); about {} s of CPU per row. Frames counted in \
         and out of the node; the responder's work (building each reply) is included.",
        budget.as_secs()
    ));
    tables.push(t);
    // A point that could not be measured fails the section (after the rest ran): `--quick`
    // in CI must notice a harness that no longer gets a node going.
    if let Some(Err((n, e))) = points.iter().find(|p| p.is_err()) {
        return Err(format!("scale: {n} components: {e}"));
    }
    Ok(tables)
}

fn workdir(n: usize) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("baton-bench-scale-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn measure(opts: &Options, n: usize, dir: &Path) -> Result<Point, String> {
    // The node and this process each hold a descriptor per component.
    procfs::raise_nofile(n as u64 + 256)?;
    let mut node = NodeProcess::start(&opts.baton_exe(), dir, QUERY_INTERVAL_MS, n)?;
    progress("scale", format!("node pid {}", node.pid()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let local = tokio::task::LocalSet::new();
    let window = Duration::from_secs(opts.scale_secs.max(1));
    let result = local.block_on(&rt, measure_async(&mut node, n, window));
    // The node goes first: every component's link ends, and the runtime with it.
    drop(node);
    drop(local);
    drop(rt);
    result
}

async fn measure_async(
    node: &mut NodeProcess,
    n: usize,
    window: Duration,
) -> Result<Point, String> {
    node.wait_active(Duration::from_secs(15)).await?;
    let counters = Rc::new(Counters::default());
    let registering = Rc::new(Semaphore::new(REGISTERING));
    let started = tokio::time::Instant::now();
    for i in 0..n {
        let id = (100_000 + i).to_string();
        let (socket, sem, c) = (node.socket.clone(), registering.clone(), counters.clone());
        tokio::task::spawn_local(async move { responder::run(&socket, id, sem, c).await });
    }
    let limit = Duration::from_secs(60) + Duration::from_millis(20 * n as u64);
    loop {
        tokio::time::sleep(Duration::from_millis(5)).await;
        check(node, &counters)?;
        if counters.active.get() >= n {
            break;
        }
        if started.elapsed() > limit {
            return Err(format!(
                "{} of {n} components registered within {limit:?}",
                counters.active.get()
            ));
        }
    }
    let registration = started.elapsed();
    progress(
        "scale",
        format!(
            "{n} registered in {:.2} s; settling",
            registration.as_secs_f64()
        ),
    );
    tokio::time::sleep(SETTLE).await;
    check(node, &counters)?;

    let pid = node.pid().to_string();
    let perf = perf_instructions(&pid, window);
    let (s0, h0) = (procfs::sample(&pid)?, procfs::sample("self")?);
    let (in0, out0) = (counters.frames_in.get(), counters.frames_out.get());
    let t0 = tokio::time::Instant::now();
    let load = procfs::load1();
    tokio::time::sleep(window).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let (s1, h1) = (procfs::sample(&pid)?, procfs::sample("self")?);
    let (in1, out1) = (counters.frames_in.get(), counters.frames_out.get());
    check(node, &counters)?;
    let instructions = perf.and_then(|p| p.finish());
    let frames = (in1 - in0 + out1 - out0) as f64;
    let status = node
        .wait_status(Duration::from_secs(5), |_| true)
        .await
        .unwrap_or_else(|e| format!("unknown ({e})"));
    // A node that cannot keep up fails its components (answers too late to match a query):
    // the frames flow, but the point does not count.
    let healthy = format!("components={n}/{n}");
    if !status.split_whitespace().any(|w| w == healthy) {
        return Err(format!(
            "node not keeping up: status after the window `{status}` (want {healthy}); end of its log:\n{}",
            node.log_tail(3)
        ));
    }
    let load = format!("{load} → {}", procfs::load1());
    Ok(Point {
        components: n,
        registration,
        window: Duration::from_secs_f64(elapsed),
        cpu_percent: 100.0 * (s1.cpu_secs - s0.cpu_secs) / elapsed,
        rss_mb: s1.rss_kib as f64 / 1024.0,
        hwm_mb: s1.hwm_kib as f64 / 1024.0,
        frames_in_per_sec: (in1 - in0) as f64 / elapsed,
        frames_out_per_sec: (out1 - out0) as f64 / elapsed,
        harness_cpu_percent: 100.0 * (h1.cpu_secs - h0.cpu_secs) / elapsed,
        instructions_per_frame: instructions.map(|i| i / frames.max(1.0)),
        load,
        status,
    })
}

/// An error if the node exited or a component's link ended.
fn check(node: &mut NodeProcess, c: &Counters) -> Result<(), String> {
    node.check_alive()?;
    if c.ended.get() > 0 {
        let first = c
            .error
            .borrow()
            .clone()
            .unwrap_or_else(|| "closed by the node".into());
        return Err(format!(
            "{} component links ended (first: {first}); end of the node's log:\n{}",
            c.ended.get(),
            node.log_tail(5)
        ));
    }
    Ok(())
}

/// `perf stat` counting the node's instructions over the window, if perf works here.
struct Perf {
    child: std::process::Child,
}

impl Drop for Perf {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Perf {
    /// The instruction count, once perf ended on its own.
    fn finish(mut self) -> Option<f64> {
        let mut text = String::new();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                use std::io::Read;
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut text);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // -x, output: value,unit,event,...
        text.lines()
            .find(|l| l.contains("instructions"))
            .and_then(|l| l.split(',').next())
            .and_then(|v| v.trim().parse::<f64>().ok())
    }
}

fn perf_instructions(pid: &str, window: Duration) -> Option<Perf> {
    let works = std::process::Command::new("perf")
        .args(["stat", "-x,", "-e", "instructions", "true"])
        .stdout(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| !String::from_utf8_lossy(&o.stderr).contains("not supported"));
    if !works {
        return None;
    }
    let child = std::process::Command::new("perf")
        .args([
            "stat",
            "-x,",
            "-e",
            "instructions",
            "-p",
            pid,
            "--",
            "sleep",
        ])
        .arg(format!("{}", window.as_secs_f64()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    Some(Perf { child })
}

/// A measured point, or the component count and why it could not be measured.
type Outcome = Result<Point, (usize, String)>;

fn process_table(outcomes: &[Outcome]) -> Table {
    let points: Vec<&Point> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let perf = points.iter().any(|p| p.instructions_per_frame.is_some());
    let mut header = vec![
        "components",
        "registration (s)",
        "node CPU (% of one core)",
        "RSS MB (peak)",
        "frames/s to / from components",
        "harness CPU %",
        "load (1 min)",
    ];
    if perf {
        header.push("node instructions per frame");
    }
    let mut t = Table::new(
        format!("Scale: one baton node, {QUERY_INTERVAL_MS} ms query interval"),
        &header,
    );
    for o in outcomes {
        let p = match o {
            Ok(p) => p,
            Err((n, e)) => {
                let first = e.lines().next().unwrap_or("").replace('|', "/");
                let mut row = vec![n.to_string(), format!("failed: {first}")];
                row.resize(header.len(), "-".into());
                t.row(row);
                continue;
            }
        };
        let mut row = vec![
            p.components.to_string(),
            format!("{:.2}", p.registration.as_secs_f64()),
            format!("{:.1}", p.cpu_percent),
            format!("{:.1} ({:.1})", p.rss_mb, p.hwm_mb),
            format!("{:.0} / {:.0}", p.frames_in_per_sec, p.frames_out_per_sec),
            format!("{:.1}", p.harness_cpu_percent),
            p.load.clone(),
        ];
        if perf {
            row.push(
                p.instructions_per_frame
                    .map_or_else(|| "-".into(), |i| format!("{i:.0}")),
            );
        }
        t.row(row);
    }
    if let Some((n, _)) = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .find(|(n, _)| *n == 10_000)
    {
        t.notes.push(format!(
            "Goals for {n} components (under {GOAL_CPU_PERCENT} % of one core, under {GOAL_RSS_MB} MB RSS): missed, the run failed."
        ));
    }
    if let Some(p) = points.iter().find(|p| p.components == 10_000) {
        let cpu = if p.cpu_percent < GOAL_CPU_PERCENT {
            "met"
        } else {
            "missed"
        };
        let rss = if p.hwm_mb < GOAL_RSS_MB {
            "met"
        } else {
            "missed"
        };
        t.notes.push(format!(
            "Goals for 10,000 components: under {GOAL_CPU_PERCENT} % of one core ({cpu}: {:.1} %), \
             under {GOAL_RSS_MB} MB RSS ({rss}: peak {:.1} MB).",
            p.cpu_percent, p.hwm_mb
        ));
    }
    t.notes.push(format!(
        "Each point: the node (`alone = \"promote\"`, peer absent) active first; the components \
         connect to its Unix socket, {REGISTERING} at a time, register with a heartBeat and count \
         once told `active` (registration = first connect to the last `setRole`); {} s to settle; \
         then CPU (utime+stime from /proc) and frames over the window ({}). Frames are counted by \
         the components: healthQuery in, healthQueryResponse out (expected 10 a second each way \
         per component). The components are lean responders on one harness thread (no pushed \
         heartbeats), not in the node's configuration (default policy). Status after the window: {}.",
        SETTLE.as_secs(),
        points
            .iter()
            .map(|p| format!("{:.1} s", p.window.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        points
            .iter()
            .map(|p| format!("`{}`", p.status))
            .collect::<Vec<_>>()
            .join(", "),
    ));
    t
}
