//! The whole `Status` line: [`ServiceStatus`].

use crate::State;
use std::fmt;
use std::str::FromStr;

/// What this node knows of its peer's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerState {
    /// The peer link is up and the peer said it is in this state.
    Up(State),
    /// The peer link is up, its state not known yet.
    Unknown,
    /// No live link to the peer.
    Down,
}

impl PeerState {
    /// The word after `peer=<name>:`: a [`State`] word, `unknown` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerState::Up(s) => s.as_str(),
            PeerState::Unknown => "unknown",
            PeerState::Down => "down",
        }
    }

    fn from_word(word: &str) -> Option<PeerState> {
        match word {
            "unknown" => Some(PeerState::Unknown),
            "down" => Some(PeerState::Down),
            w => State::from_word(w).map(PeerState::Up),
        }
    }
}

/// The peer detail: `peer=<name>:<state>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStatus {
    /// The peer's member name (no whitespace; the last `:` separates the state).
    pub name: String,
    /// Its state as this node knows it.
    pub state: PeerState,
}

/// A service status line (PROTOCOL 6.7): the [`State`] word, then details separated by single
/// spaces, in this order when rendered: `peer=<name>:<state>`, `components=<ok>/<total>`, then
/// any other words verbatim. Example: `active peer=b:standby components=3/3`.
///
/// Parsing accepts the details in any order and any whitespace between words, and keeps
/// words it does not know (forward compatibility) in [`ServiceStatus::extra`]; rendering a
/// parsed line gives the canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// The first word.
    pub state: State,
    /// The peer, if this node has one.
    pub peer: Option<PeerStatus>,
    /// `(ok, total)` components, if reported.
    pub components: Option<(u32, u32)>,
    /// Other detail words, verbatim.
    pub extra: Vec<String>,
}

impl ServiceStatus {
    /// `state` with no details.
    pub fn new(state: State) -> Self {
        ServiceStatus {
            state,
            peer: None,
            components: None,
            extra: Vec::new(),
        }
    }

    /// With the peer detail.
    pub fn with_peer(mut self, name: impl Into<String>, state: PeerState) -> Self {
        self.peer = Some(PeerStatus {
            name: name.into(),
            state,
        });
        self
    }

    /// With the components detail.
    pub fn with_components(mut self, ok: u32, total: u32) -> Self {
        self.components = Some((ok, total));
        self
    }
}

impl Default for ServiceStatus {
    /// `negotiating`: every node starts there.
    fn default() -> Self {
        ServiceStatus::new(State::Negotiating)
    }
}

impl fmt::Display for ServiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.state.as_str())?;
        if let Some(p) = &self.peer {
            write!(f, " peer={}:{}", p.name, p.state.as_str())?;
        }
        if let Some((ok, total)) = self.components {
            write!(f, " components={ok}/{total}")?;
        }
        for word in &self.extra {
            write!(f, " {word}")?;
        }
        Ok(())
    }
}

/// Why a `Status` line does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusParseError {
    /// The line is empty or blank.
    Empty,
    /// The first word is not a [`State`] word.
    UnknownState(String),
    /// A `peer=` word that is not `peer=<name>:<state>`.
    MalformedPeer(String),
    /// A `components=` word that is not `components=<ok>/<total>`.
    MalformedComponents(String),
    /// `peer=` or `components=` appears twice.
    Duplicate(&'static str),
}

impl fmt::Display for StatusParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusParseError::Empty => f.write_str("empty status"),
            StatusParseError::UnknownState(w) => write!(f, "unknown status word {w:?}"),
            StatusParseError::MalformedPeer(w) => write!(f, "malformed peer detail {w:?}"),
            StatusParseError::MalformedComponents(w) => {
                write!(f, "malformed components detail {w:?}")
            }
            StatusParseError::Duplicate(key) => write!(f, "{key}= appears twice"),
        }
    }
}

impl std::error::Error for StatusParseError {}

impl FromStr for ServiceStatus {
    type Err = StatusParseError;

    fn from_str(line: &str) -> Result<Self, StatusParseError> {
        let mut words = line.split_whitespace();
        let first = words.next().ok_or(StatusParseError::Empty)?;
        let state =
            State::from_word(first).ok_or_else(|| StatusParseError::UnknownState(first.into()))?;
        let mut status = ServiceStatus::new(state);
        for word in words {
            if let Some(rest) = word.strip_prefix("peer=") {
                if status.peer.is_some() {
                    return Err(StatusParseError::Duplicate("peer"));
                }
                let malformed = || StatusParseError::MalformedPeer(word.into());
                let (name, peer_state) = rest.rsplit_once(':').ok_or_else(malformed)?;
                let peer_state = PeerState::from_word(peer_state).ok_or_else(malformed)?;
                if name.is_empty() {
                    return Err(malformed());
                }
                status = status.with_peer(name, peer_state);
            } else if let Some(rest) = word.strip_prefix("components=") {
                if status.components.is_some() {
                    return Err(StatusParseError::Duplicate("components"));
                }
                let malformed = || StatusParseError::MalformedComponents(word.into());
                let (ok, total) = rest.split_once('/').ok_or_else(malformed)?;
                let ok = ok.parse().map_err(|_| malformed())?;
                let total = total.parse().map_err(|_| malformed())?;
                status = status.with_components(ok, total);
            } else {
                status.extra.push(word.into());
            }
        }
        Ok(status)
    }
}
