//! Spinning processes that keep the cores busy (`sh -c 'while :; do :; done'`), for the soak
//! and the busy fault runs.

use std::process::{Child, Command, Stdio};

/// The spinning processes; killed and reaped on drop.
pub struct Spinners(Vec<Child>);

impl Spinners {
    /// Starts `n` spinners at the default priority.
    pub fn start(n: usize) -> Result<Spinners, String> {
        let mut s = Spinners(Vec::new());
        for _ in 0..n {
            let child = Command::new("sh")
                .arg("-c")
                .arg("while :; do :; done")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start a spinner (sh): {e}"))?;
            s.0.push(child);
        }
        Ok(s)
    }
}

impl Drop for Spinners {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
