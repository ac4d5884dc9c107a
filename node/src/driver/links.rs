//! The open links: each one's I/O ([`link`](super::link)) and remote address, by link id.

use super::input::{Input, Stream};
use super::link::{self, LinkHandle};
use baton_codec::{AnyMessage, Encoding};
use baton_core::LinkId;
use std::collections::HashMap;
use tokio::sync::mpsc;

/// One open link.
struct Open {
    handle: LinkHandle,
    /// Where the other end is, for the log: an address, or `unix socket`.
    remote: String,
}

/// The open links, and the ids of new ones.
pub(crate) struct Links {
    open: HashMap<LinkId, Open>,
    next: u64,
    encoding: Encoding,
    max_frame: usize,
    inbox: mpsc::Sender<Input>,
}

impl Links {
    /// No link yet; every link frames with `encoding` and `max_frame`, and its reader sends
    /// to `inbox`.
    pub(crate) fn new(encoding: Encoding, max_frame: usize, inbox: mpsc::Sender<Input>) -> Self {
        Links {
            open: HashMap::new(),
            next: 1,
            encoding,
            max_frame,
            inbox,
        }
    }

    /// Starts the I/O of a new link on `stream`, to `remote`; returns its fresh id.
    pub(crate) fn attach(&mut self, stream: Stream, remote: String) -> LinkId {
        let link = LinkId(self.next);
        self.next += 1;
        let inbox = self.inbox.clone();
        let handle = link::spawn(stream, link, self.encoding, self.max_frame, inbox);
        self.open.insert(link, Open { handle, remote });
        link
    }

    /// Whether `link` is open.
    pub(crate) fn contains(&self, link: LinkId) -> bool {
        self.open.contains_key(&link)
    }

    /// Writes `message` on `link`. An error (the link cannot be written, or does not read)
    /// means the link must be closed; a link no longer open takes nothing, silently.
    pub(crate) fn send(&self, link: LinkId, message: AnyMessage) -> Result<(), String> {
        match self.open.get(&link) {
            Some(open) => open.handle.send(message),
            None => Ok(()),
        }
    }

    /// The remote address of an open link.
    pub(crate) fn remote(&self, link: LinkId) -> Option<&str> {
        self.open.get(&link).map(|o| o.remote.as_str())
    }

    /// Drops `link` (its reader stops, what is queued is still written, then the write side
    /// shuts); its remote address, if it was open.
    pub(crate) fn remove(&mut self, link: LinkId) -> Option<String> {
        self.open.remove(&link).map(|o| o.remote)
    }
}
