//! Etcd mode (PROTOCOL 5.12): runs the etcd client's requests and its watch as tasks of
//! their own, each answer coming back to the driver's inbox as [`Input::Etcd`]. The watch
//! starts on the Election's `Watch` command and ends with the driver.

use super::input::Input;
use crate::etcd::Client;
use baton_election::EtcdCommand;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The etcd client and its watch task.
pub(crate) struct Etcd {
    client: Arc<Client>,
    watch: Option<JoinHandle<()>>,
}

impl Etcd {
    /// For the configured client.
    pub(crate) fn new(client: Client) -> Etcd {
        Etcd {
            client: Arc::new(client),
            watch: None,
        }
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
        tokio::spawn(async move {
            if let Some(answer) = client.execute(command).await {
                let _ = inbox.send(Input::Etcd(answer)).await;
            }
        });
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        if let Some(w) = self.watch.take() {
            w.abort();
        }
    }
}
