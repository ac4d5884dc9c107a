//! The forged peer: one TCP connection, from inside the active member's namespace (its
//! address), to a standby's peer port, saying hello with the active's member id (a
//! `heartBeat`, as a node's first frame) and then `nominationMsg{standby}` with a high round
//! in its correlationId (PROTOCOL 2.3: `"<round> <seq>"`). The frames are built with the
//! codec's own types, as a node sends them (DER, 4-byte length, interface id). The
//! connection stays open for `hold`, reading and discarding what the node sends, then closes.

use baton_codec::{AnyMessage, Encoding};
use baton_monitor::ComponentStatus;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The round the forged nomination claims.
pub const FORGED_ROUND: u32 = 4_000_000_000;

/// A frame as a node writes it: length (interface byte + body), interface id, DER body.
pub fn frame(message: impl Into<AnyMessage>) -> Result<Vec<u8>, String> {
    let message = message.into();
    let body = message
        .encode(Encoding::Der)
        .map_err(|e| format!("encode: {e}"))?;
    let len = u32::try_from(body.len() + 1).map_err(|_| "frame too long".to_owned())?;
    let mut out = Vec::with_capacity(5 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.push(message.interface() as u8);
    out.extend_from_slice(&body);
    Ok(out)
}

/// The bytes the forger sends: hello as `impostor_id`, then the nomination of `nominee`.
pub fn forged_bytes(impostor_id: &str, nominee: &str) -> Result<Vec<u8>, String> {
    let mut bytes = frame(baton_monitor::heart_beat(
        "7",
        impostor_id,
        ComponentStatus::ok,
    ))?;
    let id = format!("{FORGED_ROUND} 1");
    bytes.extend(frame(baton_election::message::nomination(&id, nominee))?);
    Ok(bytes)
}

/// Runs the forger in a thread inside namespace `ns`; the returned receiver gets its result
/// when the connection has been held for `hold` and closed.
pub fn spawn(
    ns: String,
    target: SocketAddr,
    impostor_id: String,
    nominee: String,
    hold: Duration,
) -> std::sync::mpsc::Receiver<Result<(), String>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = (|| {
            super::net::enter(&ns)?;
            let bytes = forged_bytes(&impostor_id, &nominee)?;
            let mut s = TcpStream::connect_timeout(&target, Duration::from_secs(1))
                .map_err(|e| format!("connect {target}: {e}"))?;
            s.write_all(&bytes).map_err(|e| format!("send: {e}"))?;
            let end = Instant::now() + hold;
            let mut buf = [0u8; 4096];
            while let Some(left) = end.checked_duration_since(Instant::now()) {
                if left.is_zero() {
                    break;
                }
                let _ = s.set_read_timeout(Some(left.max(Duration::from_millis(1))));
                match s.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
            Ok(())
        })();
        let _ = tx.send(result);
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_codec::Interface;

    #[test]
    fn the_forged_frames_decode_as_hello_then_nomination() {
        let bytes = forged_bytes("1", "beta").expect("encodes");
        let len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let second = &bytes[4 + len..];
        let len2 = u32::from_be_bytes([second[0], second[1], second[2], second[3]]) as usize;
        assert_eq!(second.len(), 4 + len2, "exactly two frames");
        assert_eq!(bytes[4], Interface::Monitor as u8);
        assert_eq!(second[4], Interface::Election as u8);
        let m1 = AnyMessage::decode(Interface::Monitor, Encoding::Der, &bytes[5..4 + len])
            .expect("hello");
        let m2 = AnyMessage::decode(Interface::Election, Encoding::Der, &second[5..])
            .expect("nomination");
        let text = format!("{m1:?} {m2:?}");
        assert!(
            text.contains("heartBeat") && text.contains("nominationMsg"),
            "{text}"
        );
        assert!(text.contains("Candidate(\"beta\")"), "{text}");
        // The correlationId "4000000000 1", as the NumericString's bytes.
        let id: Vec<String> = b"4000000000 1".iter().map(u8::to_string).collect();
        assert!(text.contains(&id.join(", ")), "{text}");
    }
}
