//! Etcd mode (PROTOCOL 5.12): runs the etcd client's requests and its watch as tasks of
//! their own, each answer coming back to the driver's inbox as [`Input::Etcd`]. The watch
//! starts on the Election's `Watch` command and ends with the driver.

use super::input::Input;
use crate::etcd::Client;
use baton_election::EtcdCommand;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The etcd client, its watch task and the resigns under way.
pub(crate) struct Etcd {
    client: Arc<Client>,
    watch: Option<JoinHandle<()>>,
    /// Resigns not finished yet: a node that exits (SIGTERM after its handover) waits for
    /// them, so that the next member need not wait for the lease to expire.
    resigns: Vec<JoinHandle<()>>,
    /// The longest a resign takes: two requests (the released mark, the revoke).
    resign_bound: Duration,
}

impl Etcd {
    /// For the configured client; `request_timeout` bounds each of its requests.
    pub(crate) fn new(client: Client, request_timeout: Duration) -> Etcd {
        Etcd {
            client: Arc::new(client),
            watch: None,
            resigns: Vec::new(),
            resign_bound: request_timeout * 2,
        }
    }

    /// Waits (at most the time two requests may take) for the resigns under way: called as
    /// the node exits.
    pub(crate) async fn finish(&mut self) {
        let pending = std::mem::take(&mut self.resigns);
        let _ =
            tokio::time::timeout(self.resign_bound, futures_util::future::join_all(pending)).await;
    }

    /// Carries `command` to etcd in a task of its own; its answer goes to `inbox`.
    pub(crate) fn execute(&mut self, command: EtcdCommand, inbox: &mpsc::Sender<Input>) {
        let client = self.client.clone();
        let inbox = inbox.clone();
        if command == EtcdCommand::Watch {
            if self.watch.is_none() {
                // Through an unbounded queue: a full inbox delays the key's changes, never
                // drops one.
                let (tx, mut rx) = mpsc::unbounded_channel();
                self.watch = Some(tokio::spawn(async move {
                    let forward = async {
                        while let Some(input) = rx.recv().await {
                            if inbox.send(Input::Etcd(input)).await.is_err() {
                                return;
                            }
                        }
                    };
                    tokio::select! {
                        () = client.watch(|input| tx.send(input).is_ok()) => {}
                        () = forward => {}
                    }
                }));
            }
            return;
        }
        let resign = matches!(command, EtcdCommand::Resign { .. });
        let task = tokio::spawn(async move {
            if let Some(answer) = client.execute(command).await {
                let _ = inbox.send(Input::Etcd(answer)).await;
            }
        });
        if resign {
            self.resigns.retain(|t| !t.is_finished());
            self.resigns.push(task);
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        if let Some(w) = self.watch.take() {
            w.abort();
        }
    }
}
