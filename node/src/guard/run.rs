//! The guard process, `baton guard --bound-ms N` (hidden; started by the node, never by hand):
//! reads the node's lines from stdin (a thread of its own), runs the [`Guard`]'s jobs with the
//! node's own hook runner (`driver::hooks`: the same `sh -c`, environment, timeout and log
//! lines), writes its reports to stdout and logs to stderr (the node's log or journal). It
//! ignores SIGTERM, SIGINT and SIGHUP: it ends with its node (`bye`, or the end of stdin).

use super::state::{Guard, Note, Output};
use crate::driver::hooks::{run_job, Builtins, Until};
use baton_core::Instant;
use std::io::{BufRead, Write};
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tracing::{info, warn, Instrument};

/// Arguments of `baton guard`.
#[derive(clap::Args, Debug)]
pub struct GuardArgs {
    /// Silence from the node, in milliseconds, after which the guard stands its armed
    /// components down.
    #[arg(long)]
    pub bound_ms: u64,
    /// The node's `realtime = true`: lock memory and run at this SCHED_FIFO priority.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=99))]
    pub realtime_priority: Option<u8>,
}

/// `baton guard`: runs until `bye` or until the node's end of stdin closed and the armed
/// components were stood down.
///
/// # Errors
/// When the runtime or the signal handlers cannot start.
pub fn main(args: &GuardArgs) -> Result<(), String> {
    crate::logging::init("info");
    // Before the runtime, so its threads are real-time too; hooks are started normal.
    let realtime = args.realtime_priority.map(crate::realtime::enter);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("guard: cannot start the runtime: {e}"))?;
    // Every line of the guard, its hooks' included, says whose it is.
    let span = tracing::info_span!("guard", pid = std::process::id());
    if let Some(outcome) = &realtime {
        span.in_scope(|| outcome.log());
    }
    runtime.block_on(run(Duration::from_millis(args.bound_ms)).instrument(span))
}

#[allow(clippy::disallowed_methods)] // a process driver: stdin is read by a thread of its own
async fn run(bound: Duration) -> Result<(), String> {
    let (tx, mut lines) = mpsc::channel::<String>(1024);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let sig = |kind| signal(kind).map_err(|e| format!("guard: signal handler: {e}"));
    let mut term = sig(SignalKind::terminate())?;
    let mut int = sig(SignalKind::interrupt())?;
    let mut hup = sig(SignalKind::hangup())?;
    let t0 = tokio::time::Instant::now();
    let now = move || Instant::from_duration(t0.elapsed());
    let mut g = Guard::new(now(), bound);
    info!(bound_ms = bound.as_millis() as u64, "watching its node");
    loop {
        while let Some(output) = g.poll_output() {
            match output {
                Output::Run { arms, .. } => {
                    let mut results = Vec::with_capacity(arms.len());
                    for a in &arms {
                        // A VIP's `deactivate` (PROTOCOL 6.10): removed here, no process.
                        let vip = a
                            .script
                            .deactivate
                            .as_deref()
                            .and_then(|c| crate::config::vip_of_down(&a.script.id, c));
                        let builtins = vip.map(|v| Builtins::new(std::slice::from_ref(&v)));
                        let script = std::slice::from_ref(&a.script);
                        let ok = run_job(script, builtins.as_ref(), &a.job, Until::End).await;
                        results.push((a.seq, a.component().to_owned(), ok));
                    }
                    g.handle_ran(now(), &results);
                }
                Output::Report(r) => {
                    // The node reads these; a node gone has nothing left to tell.
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{r}").and_then(|()| out.flush());
                }
                Output::Log(note @ (Note::Acting { .. } | Note::Bad(_))) => warn!("{note}"),
                Output::Log(note) => info!("{note}"),
                Output::Exit => return Ok(()),
            }
        }
        let due = g.poll_timeout().map(|t| t0 + t.since_origin());
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        tokio::select! {
            biased;
            line = lines.recv() => match line {
                Some(line) => g.handle_line(now(), &line),
                None => g.handle_eof(now()),
            },
            () = tokio::time::sleep_until(due.unwrap_or(far)), if due.is_some() => {
                // Read before judging (PROTOCOL 4): woken late, the guard itself was not
                // running, and the node's lines may wait in the pipe or the reader thread.
                let late = tokio::time::Instant::now().saturating_duration_since(due.unwrap_or(far));
                if baton_core::stall::is_stall(late) {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                while let Ok(line) = lines.try_recv() {
                    g.handle_line(now(), &line);
                }
                g.handle_timeout(now());
            }
            _ = term.recv() => info!("SIGTERM ignored: the guard ends with its node"),
            _ = int.recv() => info!("SIGINT ignored: the guard ends with its node"),
            _ = hup.recv() => {}
        }
    }
}
