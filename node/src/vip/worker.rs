//! The thread the VIPs' frames are sent and read on (the packet socket blocks), started once
//! per process and kept: at the node's start ([`start`]), or at a VIP's first use. A thread
//! started on a failover's path costs its start: with `realtime = true` the process's memory
//! is locked (`mlockall`, current and future pages), so a new thread's whole stack is faulted
//! in before it runs, 0.8 ms measured against 0.05 ms for the kept thread (a restarted
//! standby promoting had none yet). It inherits the scheduling of the thread that starts it
//! (the node's: SCHED_FIFO with `realtime = true`). Jobs run one at a time, in the order
//! given: a second VIP's probe waits for the first's.

use super::VipError;
use std::sync::mpsc;
use std::sync::OnceLock;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// The worker's queue, or why it could not start.
fn queue() -> Result<&'static mpsc::Sender<Job>, VipError> {
    static QUEUE: OnceLock<Result<mpsc::Sender<Job>, String>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("baton-vip".to_owned())
                .spawn(move || {
                    for job in rx {
                        // A job that panics loses its result, not the thread.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .map(|_| tx)
                .map_err(|e| format!("cannot start the VIP thread: {e}"))
        })
        .as_ref()
        .map_err(|e| VipError::Netlink(e.clone()))
}

/// Starts the worker now (the node's start, when it has a VIP), so that no failover starts it.
///
/// # Errors
/// The thread could not start.
pub fn start() -> Result<(), VipError> {
    queue().map(|_| ())
}

/// Runs `job` on the worker; its result.
///
/// # Errors
/// The worker could not start, or `job` panicked.
pub async fn run<T, F>(job: F) -> Result<T, VipError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    queue()?
        .send(Box::new(move || {
            let _ = tx.send(job());
        }))
        .map_err(|_| VipError::Netlink("the VIP thread ended".to_owned()))?;
    rx.await
        .map_err(|_| VipError::Netlink("a VIP job ended without a result".to_owned()))
}
