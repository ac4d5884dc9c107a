//! keepalived's `notify_fifo`: the line format, and a thread per member that reads the FIFO and
//! timestamps each line on arrival.
//!
//! keepalived writes one line per state change, e.g. `INSTANCE "VI_1" MASTER 150`, with one
//! `write` (shorter than `PIPE_BUF`, so never split). The harness creates each FIFO itself, so
//! keepalived does not remove it on exit, and opens it read-write: the read end then never sees
//! end-of-file when a keepalived is killed and restarted, and one thread serves every restart.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Instant;

/// The line the harness writes into a FIFO to end its reader thread.
const STOP_LINE: &str = "BATON_BENCH_STOP";

/// A VRRP state keepalived reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// `MASTER`.
    Master,
    /// `BACKUP`.
    Backup,
    /// `FAULT`.
    Fault,
    /// `STOP` (keepalived is shutting down gracefully).
    Stop,
    /// Any other word (e.g. `MASTER_RX_LOWER_PRI`, `DELETED`): not a state change we track.
    Other(String),
}

/// One parsed `notify_fifo` line about a VRRP instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The instance name (without quotes).
    pub instance: String,
    /// What it reports.
    pub state: State,
    /// The priority keepalived appended, if any.
    pub priority: Option<u8>,
}

/// Parses one `notify_fifo` line; `None` for lines that are not about a VRRP instance
/// (`GROUP`, `VS`, `RS`, ...) or are malformed.
pub fn parse_line(line: &str) -> Option<Notice> {
    let rest = line.trim().strip_prefix("INSTANCE ")?;
    let rest = rest.trim_start().strip_prefix('"')?;
    let (instance, rest) = rest.split_once('"')?;
    let mut words = rest.split_whitespace();
    let state = match words.next()? {
        "MASTER" => State::Master,
        "BACKUP" => State::Backup,
        "FAULT" => State::Fault,
        "STOP" => State::Stop,
        other => State::Other(other.to_owned()),
    };
    let priority = match words.next() {
        None => None,
        Some(p) => Some(p.parse().ok()?),
    };
    Some(Notice {
        instance: instance.to_owned(),
        state,
        priority,
    })
}

/// A notice from one member, with the moment the harness read it.
#[derive(Debug, Clone)]
pub struct Event {
    /// Which member (index into the pair).
    pub node: usize,
    /// What it said.
    pub notice: Notice,
    /// When the reader thread got the line (monotonic clock).
    pub at: Instant,
}

/// The reader thread of one member's FIFO; dropping it ends and joins the thread.
pub struct Reader {
    waker: File,
    thread: Option<JoinHandle<()>>,
}

impl Reader {
    /// Opens `fifo` (which must exist) read-write and starts a thread sending every parsed
    /// line, tagged with `node`, to `events`.
    pub fn start(fifo: &Path, node: usize, events: Sender<Event>) -> Result<Reader, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(fifo)
            .map_err(|e| format!("cannot open {}: {e}", fifo.display()))?;
        let waker = file
            .try_clone()
            .map_err(|e| format!("cannot duplicate the FIFO handle: {e}"))?;
        let thread = std::thread::Builder::new()
            .name(format!("keepalived-fifo-{node}"))
            .spawn(move || read_loop(file, node, &events))
            .map_err(|e| format!("cannot start the FIFO reader thread: {e}"))?;
        Ok(Reader {
            waker,
            thread: Some(thread),
        })
    }
}

fn read_loop(file: File, node: usize, events: &Sender<Event>) {
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let at = Instant::now();
        if line.trim() == STOP_LINE {
            return;
        }
        if let Some(notice) = parse_line(&line) {
            if events.send(Event { node, notice, at }).is_err() {
                return;
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            // The thread blocks in read(); the stop line wakes it. If the write failed the
            // thread would block for ever, so it is then left detached rather than joined.
            if writeln!(self.waker, "{STOP_LINE}").is_ok() {
                let _ = thread.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_lines() {
        assert_eq!(
            parse_line("INSTANCE \"VI_1\" MASTER 150\n"),
            Some(Notice {
                instance: "VI_1".into(),
                state: State::Master,
                priority: Some(150),
            })
        );
        assert_eq!(
            parse_line("INSTANCE \"VI_1\" BACKUP 100").map(|n| n.state),
            Some(State::Backup)
        );
        assert_eq!(
            parse_line("INSTANCE \"other\" STOP 0").map(|n| (n.instance, n.state, n.priority)),
            Some(("other".into(), State::Stop, Some(0)))
        );
        assert_eq!(
            parse_line("INSTANCE \"VI_1\" FAULT").map(|n| (n.state, n.priority)),
            Some((State::Fault, None))
        );
        assert_eq!(
            parse_line("INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150").map(|n| n.state),
            Some(State::Other("MASTER_RX_LOWER_PRI".into()))
        );
    }

    #[test]
    fn other_lines_are_ignored() {
        assert_eq!(parse_line("GROUP \"G1\" MASTER"), None);
        assert_eq!(parse_line("VS \"10.0.0.1:80\" UP"), None);
        assert_eq!(parse_line("INSTANCE VI_1 MASTER 150"), None);
        assert_eq!(parse_line("INSTANCE \"VI_1\""), None);
        assert_eq!(parse_line("INSTANCE \"VI_1\" MASTER high"), None);
        assert_eq!(parse_line(STOP_LINE), None);
        assert_eq!(parse_line(""), None);
    }

    #[test]
    fn a_reader_timestamps_lines_and_stops_when_dropped() {
        let dir = std::env::temp_dir().join(format!("bbk-notify-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let fifo = dir.join("t.fifo");
        let _ = std::fs::remove_file(&fifo);
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = Reader::start(&fifo, 1, tx).unwrap();
        let before = Instant::now();
        {
            let mut w = OpenOptions::new().write(true).open(&fifo).unwrap();
            w.write_all(b"GROUP \"G\" MASTER\nINSTANCE \"VI_1\" MASTER 100\n")
                .unwrap();
        }
        let ev = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        assert_eq!(ev.node, 1);
        assert_eq!(ev.notice.state, State::Master);
        assert!(ev.at >= before);
        drop(reader);
        // The thread ended and dropped its sender: the channel is closed and empty.
        assert!(rx.recv().is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
