//! Transport security (PROTOCOL 3.4) as each listener must enforce it: the tests of the peer,
//! status and component listeners with mutual TLS, each presenting the certificate a refusal
//! needs (none, another CA's, a client's, the implementation's own member's). Over a plain
//! transport every one is skipped ([`crate::transport::PLAIN`]).

pub mod component;
pub mod peer;
pub mod status;

use crate::report::{Outcome, Report, Requirement};
use crate::transport::{Present, Refused, Transport, PLAIN};
use crate::wire::Link;
use baton_codec::{AnyMessage, Encoding};
use std::net::SocketAddr;
use std::time::Duration;

/// One listener of the implementation, as the tests of this module reach it.
pub(crate) struct Listener<'a> {
    /// Its address.
    pub address: SocketAddr,
    /// How the tester reaches it.
    pub transport: &'a Transport,
    /// The link's encoding rule.
    pub encoding: Encoding,
    /// The largest frame.
    pub max_frame: usize,
    /// How long a refusal may take to close the link.
    pub within: Duration,
}

impl Listener<'_> {
    /// Opens a link presenting `present` (over plain TCP when `plain`).
    async fn open(
        &self,
        present: &Present,
        plain: bool,
    ) -> Result<(Link, Option<String>), Refused> {
        let plain_transport = Transport::plain();
        let t = if plain {
            &plain_transport
        } else {
            self.transport
        };
        let (s, peer) = t.open(self.address, present.clone(), self.within).await?;
        Ok((Link::over(s, self.encoding, self.max_frame), peer))
    }

    /// A link presenting `present` (over plain TCP when `plain`) on which `first` is sent
    /// must be refused: the handshake fails, or the link closes with nothing received.
    pub(crate) async fn refuses(
        &self,
        present: Present,
        plain: bool,
        first: Option<AnyMessage>,
    ) -> Outcome {
        let mut link = match self.open(&present, plain).await {
            Ok((link, _)) => link,
            Err(Refused::Handshake(_)) => return Outcome::Pass,
            Err(Refused::Cannot(why)) => return Outcome::Skip(why),
            Err(Refused::Connect(e)) => return Outcome::Fail(e),
        };
        let what = if plain {
            "plain TCP".to_owned()
        } else {
            present.to_string()
        };
        if let Some(m) = first {
            // A refusal may close before the write: the close is what counts.
            let _ = link.send(m).await;
        }
        match link.closed_within(self.within).await {
            None => Outcome::Fail(format!(
                "with {what}, the link is still open {:?} later",
                self.within
            )),
            Some(_) => match link.log.first() {
                Some((_, m)) => Outcome::Fail(format!("with {what}, it sent {m:?}")),
                None => Outcome::Pass,
            },
        }
    }

    /// A link presenting `present`: it opens and the implementation's certificate names
    /// `want`.
    pub(crate) async fn presents(&self, present: Present, want: &str) -> Outcome {
        match self.open(&present, false).await {
            Ok((_, Some(peer))) if peer == want => Outcome::Pass,
            Ok((_, peer)) => Outcome::Fail(format!(
                "its certificate names {}, not {want}",
                peer.as_deref().unwrap_or("nobody")
            )),
            Err(Refused::Cannot(why)) => Outcome::Skip(why),
            Err(e) => Outcome::Fail(format!("with {present}: {e}")),
        }
    }

    /// Opens a link presenting `present` for a test that needs it to succeed.
    ///
    /// # Errors
    /// The outcome to record instead: a skip when the tester cannot present it.
    pub(crate) async fn link(&self, present: Present) -> Result<Link, Outcome> {
        match self.open(&present, false).await {
            Ok((link, _)) => Ok(link),
            Err(Refused::Cannot(why)) => Err(Outcome::Skip(why)),
            Err(e) => Err(Outcome::Fail(format!("with {present}: {e}"))),
        }
    }
}

/// Records every one of `requirements` as skipped over a plain transport; whether it did.
pub(crate) fn skip_if_plain(
    transport: &Transport,
    requirements: &[Requirement],
    report: &mut Report,
) -> bool {
    if transport.secure().is_some() {
        return false;
    }
    for r in requirements {
        report.record(r, Outcome::Skip(PLAIN.into()), Duration::ZERO);
    }
    true
}

impl Listener<'_> {
    /// Over plain TCP, without a certificate and with another CA's, a link on which
    /// `first` is sent is refused.
    pub(crate) async fn refuses_unauthenticated(&self, first: &AnyMessage) -> Outcome {
        let cases = [
            (Present::Own, true),
            (Present::Nothing, false),
            (Present::OtherCa("conformance".into()), false),
        ];
        for (present, plain) in cases {
            let o = self.refuses(present, plain, Some(first.clone())).await;
            if o != Outcome::Pass {
                return o;
            }
        }
        Outcome::Pass
    }

    /// A link presenting `present` is accepted: a `getStatus` on it is answered.
    pub(crate) async fn answers_get_status(&self, present: Present) -> Outcome {
        let mut link = match self.link(present.clone()).await {
            Ok(l) => l,
            Err(o) => return o,
        };
        let id = link.fresh_id();
        if let Err(e) = link.send(crate::msg::get_status(&id)).await {
            return Outcome::Fail(format!("with {present}: {e}"));
        }
        let answered = |m: &AnyMessage| {
            matches!(m, AnyMessage::Status(st)
                if matches!(st.message, baton_asn1::status::ServiceStatusMessageMessage::getStatusResponse(_))
                && st.correlation_id.0.as_bytes() == id.as_bytes())
        };
        match link.wait(self.within, answered).await {
            Ok(crate::wire::Got::Message(_)) => Outcome::Pass,
            Ok(crate::wire::Got::Closed) => {
                Outcome::Fail(format!("with {present}, the link closed unanswered"))
            }
            Ok(crate::wire::Got::Timeout) => Outcome::Fail(format!(
                "with {present}, getStatus unanswered within {:?}",
                self.within
            )),
            Err(e) => Outcome::Fail(e),
        }
    }
}
