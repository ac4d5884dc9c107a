//! The demo's two `baton node` processes: started with their configuration, killed, stopped.

use super::{fail, NAMES};
use crate::Failure;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The two node processes; killed and reaped on drop, whatever happened.
pub(super) struct Nodes {
    pub(super) dir: PathBuf,
    pub(super) children: [Option<Child>; 2],
    pub(super) keep: bool,
}

impl Nodes {
    pub(super) fn spawn(&mut self, i: usize) -> Result<(), Failure> {
        let exe = std::env::current_exe().map_err(|e| fail(format!("cannot find baton: {e}")))?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{}.log", NAMES[i])))
            .map_err(|e| fail(format!("cannot open the log: {e}")))?;
        let child = Command::new(exe)
            .arg("node")
            .arg("--config")
            .arg(self.dir.join(format!("{}.toml", NAMES[i])))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| fail(format!("cannot start {}: {e}", NAMES[i])))?;
        self.children[i] = Some(child);
        Ok(())
    }

    pub(super) fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM (planned stop), then SIGKILL after `grace`.
    #[allow(clippy::disallowed_methods)] // the demo drives real processes on the real clock
    pub(super) fn stop(&mut self, i: usize, grace: Duration) {
        if let Some(mut c) = self.children[i].take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let end = std::time::Instant::now() + grace;
            while std::time::Instant::now() < end {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for i in 0..2 {
            self.kill(i);
        }
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
