#!/usr/bin/env python3
"""An independent baton status client, written from docs/PROTOCOL.md and asn1tools alone.

It shares no code with the reference implementation (Rust): the messages come from the ASN.1
modules in asn1/portable/ compiled by asn1tools, and everything else (framing, correlation,
the status line grammar, the client link's rules) from docs/PROTOCOL.md. Section numbers in the
comments are PROTOCOL.md's.

Library:

    with BatonClient("127.0.0.1:7421", encoding="der") as c:
        line = c.get_status()            # StatusLine: .text .state .peer .components
        health = c.health()              # Health: .status ('ok' | 'failed') .component_id
        for ind in c.watch(duration=10): # Indication: .correlation_id .line
            print(ind.line.text)

CLI:

    python3 baton_client.py --address 127.0.0.1:7421 [--encoding der] status|watch|health|selftest
    python3 baton_client.py --address 127.0.0.1:7421 --ca ca.pem --cert py.pem --key py.key status

Transport security (section 3.4) is Python's own `ssl` module (OpenSSL), not the node's TLS stack:
mutual TLS 1.2 or 1.3, the node's chain checked against the cluster CA, its server name not
checked (nodes are dialled by IP address), and its identity taken from the certificate's SAN URI
`baton:member:NAME`.

Exit status: 0 success; 1 a negative answer (health `failed`, `watch --until` not seen in
time); 2 usage; 3 a connection, timeout, framing or protocol error (one line on stderr).
"""

import argparse
import collections
import json
import logging
import os
import random
import re
import select
import socket
import ssl
import struct
import sys
import time
import urllib.parse

log = logging.getLogger("baton_client")

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ASN1_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "asn1", "portable"))
ASN1_FILES = (
    "failover-election-interface.asn",
    "failover-role-interface.asn",
    "failover-monitor-interface.asn",
    "failover-status-interface.asn",
)

# Section 3.1: interface ids and their top-level types.
ELECTION, ROLE, MONITOR, STATUS = 1, 2, 3, 4
TOP_LEVEL = {
    ELECTION: "ElectionMessage",
    ROLE: "RoleMessage",
    MONITOR: "HealthMonitorMessage",
    STATUS: "ServiceStatusMessage",
}
INTERFACE_NAMES = {ELECTION: "Election", ROLE: "Role", MONITOR: "HealthMonitor", STATUS: "ServiceStatus"}

# Section 3.1 / 8: the default maximum frame size (a limit on L).
DEFAULT_MAX_FRAME = 65536
# Section 8: status client timeout.
DEFAULT_TIMEOUT = 1.0
DEFAULT_CONNECT_TIMEOUT = 2.0

# Section 3.3: the rules a link may use, and the asn1tools codec for each. `canonical` rules are
# checked by re-encoding the decoded value (that refuses bytes left after the value and any form
# the rule forbids); BER uses decode_with_length; JER is compared as a JSON value (strict JER).
# CER is not offered here: asn1tools has no CER encoder.
ENCODINGS = {
    "der": ("der", "canonical"),
    "ber": ("ber", "length"),
    "uper": ("uper", "canonical"),
    "aper": ("per", "canonical"),
    "oer": ("oer", "canonical"),   # section 3.3: OER is identical to COER for these types
    "coer": ("oer", "canonical"),
    "jer": ("jer", "json"),
}

# Section 6.7: the status line.
STATE_WORDS = ("negotiating", "standby", "promoting", "active", "degraded", "demoting", "failed")
PEER_STATES = STATE_WORDS + ("unknown", "down")
SERVING = ("active", "degraded")  # section 6.5: only these serve

MAX_CORRELATION = 9999999999999999  # section 2.3: 16 nines, then wrap to 1
NUMERIC_ALPHABET = set(" 0123456789")


# ---------------------------------------------------------------------------------------------
# Errors


class BatonError(Exception):
    """Any failure of the client. str() is one line that says what went wrong."""


class FramingError(BatonError):
    """Section 3.1/9: the stream is out of sync (oversize, empty frame, unknown interface id, a
    message that does not decode, closed inside a frame). The link is closed."""


class ProtocolError(BatonError):
    """The node sent something a node never sends on a client link (section 1.5)."""


class ConnectionClosed(BatonError):
    """The node closed the link between two frames."""


class TlsError(BatonError):
    """Section 3.4: the TLS handshake failed, the node's certificate is not a member's of the
    cluster, or the node refused this client's certificate (its alert, or the link closed, at the
    first read: in TLS 1.3 the node checks the client's certificate after the client's side of the
    handshake is done)."""


class Timeout(BatonError):
    """No answer in time (section 6.5: a status client gives up after its timeout)."""


class BadStatusLine(BatonError):
    """A status line that does not parse (section 6.7)."""


# ---------------------------------------------------------------------------------------------
# The status line (section 6.7)


StatusLine = collections.namedtuple("StatusLine", "text state peer components others")
"""text: the line as received; state: the state word; peer: (name, state) or None;
components: (ok, total) or None; others: the words this client does not know, in order."""

_DIGITS = re.compile(r"[0-9]+\Z")


def parse_status_line(text):
    """Parses a status line as section 6.7 says a reader MUST: details in any order, any white
    space between words, unknown words kept; refuses a first word that is not a state word, a
    malformed `peer=` or `components=` word, or either of them twice."""
    if not isinstance(text, str):
        raise BadStatusLine("status is not a string")
    words = text.split()
    if not words:
        raise BadStatusLine("empty status line")
    if words[0] not in STATE_WORDS:
        raise BadStatusLine("first word %r is not a state word" % words[0])
    peer = components = None
    others = []
    for w in words[1:]:
        if w.startswith("peer="):
            if peer is not None:
                raise BadStatusLine("peer= given twice")
            name, sep, state = w[len("peer="):].rpartition(":")  # the last ':' separates the state
            if not sep or not name:
                raise BadStatusLine("malformed %r: expected peer=<name>:<state>" % w)
            if state not in PEER_STATES:
                raise BadStatusLine("malformed %r: unknown peer state %r" % (w, state))
            peer = (name, state)
        elif w.startswith("components="):
            if components is not None:
                raise BadStatusLine("components= given twice")
            ok, sep, total = w[len("components="):].partition("/")
            if not sep or not _DIGITS.match(ok) or not _DIGITS.match(total):
                raise BadStatusLine("malformed %r: expected components=<ok>/<total>" % w)
            ok, total = int(ok), int(total)
            if ok >= 2 ** 32 or total >= 2 ** 32:
                raise BadStatusLine("malformed %r: does not fit in 32 bits" % w)
            components = (ok, total)
        else:
            others.append(w)
    return StatusLine(text, words[0], peer, components, tuple(others))


Indication = collections.namedtuple("Indication", "correlation_id line")
Health = collections.namedtuple("Health", "status component_id correlation_id")


# ---------------------------------------------------------------------------------------------
# Codec: asn1tools, with the checks section 2.2 and 3.1 ask of a receiver


_compiled = {}


def _compile(codec, asn1_dir):
    key = (codec, asn1_dir)
    if key not in _compiled:
        import asn1tools  # imported late so that --help works without it

        _compiled[key] = asn1tools.compile_files([os.path.join(asn1_dir, f) for f in ASN1_FILES], codec)
    return _compiled[key]


class Codec:
    def __init__(self, encoding="der", asn1_dir=DEFAULT_ASN1_DIR):
        if encoding not in ENCODINGS:
            raise BatonError("unknown encoding %r: expected one of %s" % (encoding, " ".join(ENCODINGS)))
        self.encoding = encoding
        codec, self.check = ENCODINGS[encoding]
        self.spec = _compile(codec, asn1_dir)

    def encode(self, interface, value):
        """Section 2.2: the sender checks every constraint before encoding."""
        try:
            return self.spec.encode(TOP_LEVEL[interface], value, check_constraints=True)
        except Exception as e:  # asn1tools raises several classes; all mean "not a valid value"
            raise BatonError("cannot encode %s: %s" % (TOP_LEVEL[interface], e)) from None

    def decode(self, interface, data):
        """Section 2.2 and 3.1: every constraint is checked after decoding and the message must
        fill the frame exactly. Any failure is a FramingError (the link must be closed)."""
        name = TOP_LEVEL[interface]
        try:
            if self.check == "length":
                value, used = self.spec.decode_with_length(name, data, check_constraints=True)
                if used != len(data):
                    raise FramingError("%s: %d bytes left after the value" % (name, len(data) - used))
                return value
            value = self.spec.decode(name, data, check_constraints=True)
            again = self.spec.encode(name, value, check_constraints=True)
        except FramingError:
            raise
        except Exception as e:
            raise FramingError("%s does not decode in %s: %s" % (name, self.encoding, e)) from None
        if self.check == "canonical" and again != data:
            raise FramingError(
                "%s: not the %s encoding of the value it decodes to (bytes left after the value, "
                "or a form the rule forbids)" % (name, self.encoding)
            )
        if self.check == "json" and json.loads(again) != json.loads(data):
            raise FramingError("%s: not strict JER (section 3.3)" % name)
        return value


def frame(interface, message):
    """Section 3.1: L (4 bytes, big-endian, counts the id byte and the message), id, message."""
    return struct.pack(">IB", len(message) + 1, interface) + message


def _numeric_ok(s):
    return isinstance(s, str) and len(s) <= 16 and set(s) <= NUMERIC_ALPHABET


# ---------------------------------------------------------------------------------------------
# Transport security (section 3.4), with Python's ssl module

MEMBER_URI = "baton:member:"


def peer_member(cert):
    """Section 3.4: the member a node's certificate speaks for, from its SAN URIs
    `baton:member:NAME` (NAME percent-decoded). `cert` is ssl's getpeercert() dict. Refuses a
    certificate with no member URI (a client's, or none) and one naming two members."""
    names = set()
    for kind, value in (cert or {}).get("subjectAltName", ()):
        if kind == "URI" and value.startswith(MEMBER_URI):
            try:
                names.add(urllib.parse.unquote(value[len(MEMBER_URI):], errors="strict"))
            except UnicodeDecodeError:
                raise TlsError("the node's certificate has a member URI that is not UTF-8: %r" % value) from None
    if not names:
        raise TlsError("the node's certificate has no %sNAME URI: it speaks for no member" % MEMBER_URI)
    if len(names) > 1:
        raise TlsError("the node's certificate names two members: %s" % ", ".join(sorted(names)))
    name = names.pop()
    if not name:
        raise TlsError("the node's certificate has an empty member name")
    return name


def tls_context(ca, cert=None, key=None):
    """Section 3.4: a client context. The node's chain is checked against the cluster CA
    (CERT_REQUIRED) but not its server name (check_hostname off: nodes are dialled by IP; the SAN
    URI is the identity, checked by peer_member after the handshake). TLS 1.2 or 1.3. `cert` and
    `key`: this client's certificate (a node with transport security requires one)."""
    if key is not None and cert is None:
        raise BatonError("--key needs --cert")
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=ca)
        if cert is not None:
            ctx.load_cert_chain(cert, key)
    except (OSError, ValueError) as e:  # ssl.SSLError is an OSError
        raise BatonError("TLS files (ca %s, cert %s, key %s): %s" % (ca, cert, key, e)) from None
    return ctx


# ---------------------------------------------------------------------------------------------
# The client


def parse_address(address):
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise BatonError("bad address %r: expected HOST:PORT" % address)
    return host.strip("[]"), int(port)


class BatonClient:
    """A client link to a node's status listener (section 1.4): ServiceStatus, and
    HealthMonitor `healthQuery` (section 1.5)."""

    def __init__(self, address, encoding="der", timeout=DEFAULT_TIMEOUT, connect_timeout=DEFAULT_CONNECT_TIMEOUT,
                 max_frame=DEFAULT_MAX_FRAME, asn1_dir=DEFAULT_ASN1_DIR, component_id="", tls=None,
                 expect_member=None):
        """tls: None (plaintext) or an ssl.SSLContext (tls_context()); expect_member: with tls,
        the member the node's certificate must speak for (None: any member of the CA)."""
        self.address = address
        self.tls = tls
        self.expect_member = expect_member
        self.peer_member = None  # with tls: the member the node's certificate speaks for
        self.codec = Codec(encoding, asn1_dir)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_frame = max_frame
        # PROTOCOL.md does not say which componentId a status client puts in its healthQuery
        # (section 2.6 only says the node answers with its member id). Empty is a valid value.
        if not _numeric_ok(component_id):
            raise BatonError("component id %r is not a NumericString (SIZE(0..16))" % component_id)
        self.component_id = component_id
        self.sock = None
        self._buf = bytearray()
        # Section 2.3: ids per interface, decimal without leading zeros, fresh per request; a
        # random start so that two runs of the client do not reuse ids.
        self._next_id = {iface: random.randint(1, 10 ** 6) for iface in (STATUS, MONITOR)}
        self._indications = collections.deque()  # received while waiting for an answer

    # -- link -----------------------------------------------------------------------------

    def connect(self):
        host, port = parse_address(self.address)
        try:
            self.sock = socket.create_connection((host, port), timeout=self.connect_timeout)
        except socket.timeout:
            raise Timeout("connect to %s: no answer within %.1f s" % (self.address, self.connect_timeout)) from None
        except OSError as e:
            raise BatonError("connect to %s: %s" % (self.address, e.strerror or e)) from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            self._handshake()
        self.sock.setblocking(False)
        log.debug("connected to %s (%s%s)", self.address, self.codec.encoding,
                  "" if self.tls is None else ", TLS with member %s" % self.peer_member)
        return self

    def _handshake(self):
        """Section 3.4: TLS over the connected socket, then the node's identity. No server name
        is sent or checked (server_hostname None)."""
        try:
            self.sock = self.tls.wrap_socket(self.sock, server_hostname=None)  # handshakes (blocking, connect timeout)
            member = peer_member(self.sock.getpeercert())
            if self.expect_member is not None and member != self.expect_member:
                raise TlsError("the node's certificate speaks for member %s, not %s" % (member, self.expect_member))
            self.peer_member = member
            log.debug("TLS %s %s with member %s", self.sock.version(), self.sock.cipher()[0], member)
        except socket.timeout:
            self.close()
            raise Timeout("TLS handshake with %s: no answer within %.1f s" % (self.address, self.connect_timeout)) from None
        except (ssl.SSLError, ssl.CertificateError) as e:
            self.close()
            raise TlsError("TLS handshake with %s: %s" % (self.address, e)) from None
        except OSError as e:
            self.close()
            raise TlsError("TLS handshake with %s: %s" % (self.address, e.strerror or e)) from None
        except TlsError:
            self.close()
            raise

    def close(self):
        if self.sock is not None:
            if isinstance(self.sock, ssl.SSLSocket):
                # TLS: send close_notify (a clean end of the stream), without waiting for the node's.
                try:
                    self.sock.setblocking(False)
                    self.sock.unwrap()
                except (OSError, ValueError):  # ssl.SSLWantReadError once ours is sent, or a dead link
                    pass
            self.sock.close()
            self.sock = None

    def __enter__(self):
        if self.sock is None:
            self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    def _fresh_id(self, iface):
        n = self._next_id[iface]
        self._next_id[iface] = 1 if n >= MAX_CORRELATION else n + 1
        return str(n)

    def send(self, interface, value):
        msg = self.codec.encode(interface, value)
        if len(msg) + 1 > self.max_frame:  # section 3.1: a sender MUST NOT exceed the limit
            raise BatonError("frame of %d bytes over the maximum frame size %d" % (len(msg) + 1, self.max_frame))
        data = frame(interface, msg)
        log.debug("send %s %s", INTERFACE_NAMES[interface], value)
        try:
            self.sock.setblocking(True)
            self.sock.settimeout(self.timeout)
            self.sock.sendall(data)
        except socket.timeout:
            raise Timeout("send to %s timed out" % self.address) from None
        except ssl.SSLError as e:  # section 3.4: e.g. the node's alert refusing this certificate
            self.close()
            raise TlsError("send to %s: %s" % (self.address, e)) from None
        except OSError as e:
            raise ConnectionClosed("send to %s: %s" % (self.address, e.strerror or e)) from None
        finally:
            if self.sock is not None:
                self.sock.setblocking(False)

    def _fill(self, n, deadline, in_frame):
        """Reads until the buffer holds n bytes. Returns False at the deadline."""
        while len(self._buf) < n:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            # TLS: bytes already decrypted wait in the ssl object, where select() cannot see them.
            pending = self.tls is not None and self.sock.pending() > 0
            if not pending:
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    return False
            try:
                chunk = self.sock.recv(max(4096, n - len(self._buf)))
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue  # TLS: a record with no application data (e.g. a session ticket)
            except ssl.SSLError as e:  # section 3.4: the node's alert, e.g. a refused certificate
                self.close()
                raise TlsError("receive from %s: %s" % (self.address, e)) from None
            except OSError as e:
                raise ConnectionClosed("receive from %s: %s" % (self.address, e.strerror or e)) from None
            if not chunk:
                self.close()
                if in_frame or self._buf:
                    raise FramingError("connection closed inside a frame")
                raise ConnectionClosed("%s closed the link" % self.address)
            self._buf += chunk
        return True

    def recv_frame(self, deadline=None):
        """One frame: (interface id, decoded value), or None at the deadline (absolute
        time.monotonic(), None = wait forever). Any framing error closes the link (section 3.1)."""
        if self.sock is None:
            raise ConnectionClosed("not connected")
        try:
            if not self._fill(4, deadline, False):
                return None
            (length,) = struct.unpack(">I", bytes(self._buf[:4]))
            # Section 3.1: checked as soon as the prefix has arrived, before reading anything else.
            if length > self.max_frame:
                hint = ""
                if self.tls is None and self._buf[0] in (0x15, 0x16) and self._buf[1] == 3:
                    # the prefix is a TLS record header (an alert or a handshake): section 3.4
                    hint = " (the bytes are a TLS record: the node requires TLS, give --ca, --cert and --key)"
                raise FramingError("declared length %d over the maximum frame size %d%s" % (length, self.max_frame, hint))
            if length == 0:
                raise FramingError("empty frame: no interface id")
            # A frame that has started is read to its end: at least one more timeout is allowed
            # for it, so that a watch's end does not cut a frame in two.
            body_deadline = time.monotonic() + self.timeout
            if deadline is not None:
                body_deadline = max(deadline, body_deadline)
            if not self._fill(4 + length, body_deadline, True):
                raise Timeout("frame of %d bytes incomplete at the deadline" % length)
            body = bytes(self._buf[4:4 + length])
            del self._buf[:4 + length]
            iface = body[0]
            if iface not in TOP_LEVEL:
                raise FramingError("unknown interface id %d" % iface)
            value = self.codec.decode(iface, body[1:])
        except (FramingError, Timeout):
            self.close()
            raise
        log.debug("recv %s %s", INTERFACE_NAMES[iface], value)
        return iface, value

    # -- dispatch ---------------------------------------------------------------------------

    def _next_event(self, deadline):
        """Reads frames until one matters to a client: returns ('indication', Indication),
        ('status', cid, text), ('health', cid, componentId, status), or None at the deadline."""
        while True:
            got = self.recv_frame(deadline)
            if got is None:
                return None
            iface, value = got
            cid = value["correlationId"]
            kind, body = value["message"]
            if iface == STATUS:
                if kind == "statusIndication":
                    return "indication", cid, body["status"]
                if kind == "getStatusResponse":
                    return "status", cid, body["status"]
                log.warning("ignored: %s from the node on a client link (section 1.5)", kind)
            elif iface == MONITOR:
                if kind == "healthQueryResponse":
                    return "health", cid, value["componentId"], body["billOfHealth"]["status"]
                log.warning("ignored: %s from the node on a client link (section 1.5)", kind)
            else:
                # Section 1.5: a node sends no Election or Role message on a client link.
                self.close()
                raise ProtocolError("%s message on a client link" % INTERFACE_NAMES[iface])

    def _queue_indication(self, cid, text):
        try:
            self._indications.append(Indication(cid, parse_status_line(text)))
        except BadStatusLine as e:  # section 9: ignored, logged
            log.warning("ignored statusIndication %r: %s", text, e)

    def _await(self, want, cid, timeout):
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            ev = self._next_event(deadline)
            if ev is None:
                raise Timeout("no %s with correlationId %r from %s within %.1f s" % (want, cid, self.address, timeout))
            if ev[0] == "indication":
                self._queue_indication(ev[1], ev[2])
            elif ev[0] == want and ev[1] == cid:  # section 2.3: an opaque string, compared for equality
                return ev
            else:
                # Section 9: an answer whose correlationId is unknown or timed out is ignored.
                log.info("ignored %s with correlationId %r (waiting for %r)", ev[0], ev[1], cid)

    # -- requests ---------------------------------------------------------------------------

    def get_status(self, timeout=None):
        """Section 2.7 / 7.10: getStatus with a fresh correlationId; the getStatusResponse that
        echoes it. Returns a StatusLine; raises BadStatusLine if the line does not parse."""
        cid = self._fresh_id(STATUS)
        self.send(STATUS, {"correlationId": cid, "message": ("getStatus", {})})
        _, _, text = self._await("status", cid, timeout)
        return parse_status_line(text)

    def health(self, timeout=None):
        """Section 1.5/2.6: a client may send healthQuery on its client link; the node answers
        with its own bill of health (section 11 note 5: `failed` when PromotionFailed or a fatal
        component is failed) and its member id as componentId."""
        cid = self._fresh_id(MONITOR)
        self.send(MONITOR, {"correlationId": cid, "componentId": self.component_id, "message": ("healthQuery", {})})
        _, _, component_id, status = self._await("health", cid, timeout)
        return Health(status, component_id, cid)

    def watch(self, duration=None):
        """Section 6.5: a client is subscribed from the moment its link opens and receives a
        statusIndication on every change of the node's status. Yields Indication(correlation_id,
        StatusLine) until `duration` seconds have passed (None: forever) or the link closes
        (ConnectionClosed). Lines that do not parse are logged and skipped (section 9)."""
        deadline = None if duration is None else time.monotonic() + duration
        while True:
            while self._indications:
                yield self._indications.popleft()
            ev = self._next_event(deadline)
            if ev is None:
                return
            if ev[0] == "indication":
                self._queue_indication(ev[1], ev[2])
            else:
                log.info("ignored %s with correlationId %r while watching", ev[0], ev[1])


# ---------------------------------------------------------------------------------------------
# Self test: PROTOCOL.md's own examples and framing rules, no node needed


def selftest(asn1_dir=DEFAULT_ASN1_DIR):
    """Checks section 3.2's bytes, section 3.1's refusals, section 3.4's identities and section
    6.7's grammar."""
    checks = []

    def check(name, cond):
        checks.append((name, bool(cond)))

    der, uper = Codec("der", asn1_dir), Codec("uper", asn1_dir)
    nom = {"correlationId": "42", "message": ("nominationMsg", {"nominee": "node-a"})}
    check("3.2 nomination DER", der.encode(ELECTION, nom).hex() == "301080023432a10aa00880066e6f64652d61")
    check("3.2 nomination frame",
          frame(ELECTION, der.encode(ELECTION, nom)).hex() == "0000001301301080023432a10aa00880066e6f64652d61")
    check("3.2 nomination UPER", uper.encode(ELECTION, nom).hex() == "129819b9bd9194b584")
    hello = {"correlationId": "1", "componentId": "1", "message": ("heartBeat", {"billOfHealth": {"status": "ok"}})}
    check("3.2 hello frame", frame(MONITOR, der.encode(MONITOR, hello)).hex()
          == "0000001203300f800131810131a207a205a003800100")
    check("3.2 decode round trip", der.decode(ELECTION, bytes.fromhex("301080023432a10aa00880066e6f64652d61")) == nom)

    def refused(codec, iface, hexstr):
        try:
            codec.decode(iface, bytes.fromhex(hexstr))
        except FramingError:
            return True
        return False

    check("3.1 trailing byte refused (DER)", refused(der, ELECTION, "301080023432a10aa00880066e6f64652d6100"))
    check("3.1 trailing byte refused (UPER)", refused(uper, ELECTION, "129819b9bd9194b58400"))
    # 17-character nominee: 2.2 constraint checked on receipt
    long_nom = bytes.fromhex("301b80023432a115a01380") + bytes([17]) + b"a" * 17
    check("2.2 SIZE checked on decode", refused(der, ELECTION, long_nom.hex()))
    try:
        der.encode(STATUS, {"correlationId": "1x", "message": ("getStatus", {})})
        check("2.2 alphabet checked on encode", False)
    except BatonError:
        check("2.2 alphabet checked on encode", True)

    # Framing refusals through a real socket pair.
    def framing(data, max_frame=DEFAULT_MAX_FRAME, close=False, event=False):
        a, b = socket.socketpair()
        try:
            c = BatonClient("local:0", "der", max_frame=max_frame, asn1_dir=asn1_dir)
            c.sock = a
            a.setblocking(False)
            b.sendall(data)
            if close:
                b.shutdown(socket.SHUT_WR)
            try:
                read = c._next_event if event else c.recv_frame
                return read(time.monotonic() + 1.0)
            except BatonError as e:
                return e
        finally:
            a.close()
            b.close()

    gs = der.encode(STATUS, {"correlationId": "7", "message": ("getStatusResponse", {"status": "active peer=b:standby"})})
    check("3.1 good frame", framing(frame(STATUS, gs))[0] == STATUS)
    # only the 4-byte prefix is sent: the refusal must not wait for the body
    check("3.1 L=65537 refused on the prefix", isinstance(framing(struct.pack(">I", 65537)), FramingError))
    r = framing(struct.pack(">I", 65536) + b"\x04", close=True)
    check("3.1 L=65536 accepted (then closed inside the frame)",
          isinstance(r, FramingError) and "inside a frame" in str(r))
    check("3.1 limit configurable", isinstance(framing(frame(STATUS, gs), max_frame=len(gs)), FramingError))
    check("3.1 L=0 refused", isinstance(framing(struct.pack(">I", 0)), FramingError))
    check("3.1 interface id 0 refused", isinstance(framing(struct.pack(">IB", 1 + len(gs), 0) + gs), FramingError))
    check("3.1 interface id 5 refused", isinstance(framing(struct.pack(">IB", 1 + len(gs), 5) + gs), FramingError))
    check("1.5 Election on a client link refused",
          isinstance(framing(frame(ELECTION, der.encode(ELECTION, nom)), event=True), ProtocolError))

    # Section 3.4: the identity of a node's certificate (the getpeercert() dict's SAN URIs).
    def member_of(*sans):
        try:
            return peer_member({"subjectAltName": sans})
        except TlsError:
            return None

    check("3.4 member URI", member_of(("URI", "baton:member:alpha"), ("DNS", "alpha")) == "alpha")
    check("3.4 member name percent-decoded", member_of(("URI", "baton:member:be%20ta")) == "be ta")
    check("3.4 a member URI wins over a client URI",
          member_of(("URI", "baton:client:ops"), ("URI", "baton:member:beta")) == "beta")
    check("3.4 a client's certificate is no member's", member_of(("URI", "baton:client:ops")) is None)
    check("3.4 DNS name alone is no identity", member_of(("DNS", "alpha")) is None)
    check("3.4 two member names refused",
          member_of(("URI", "baton:member:alpha"), ("URI", "baton:member:beta")) is None)

    # Section 6.7 grammar.
    p = parse_status_line("active peer=b:standby components=3/3")
    check("6.7 example", p.state == "active" and p.peer == ("b", "standby") and p.components == (3, 3))
    p = parse_status_line("degraded\tcomponents=2/3  x-new peer=a:b:down")
    check("6.7 any order, any white space, unknown kept, last ':'",
          p.peer == ("a:b", "down") and p.components == (2, 3) and p.others == ("x-new",))
    for bad in ("", "serving peer=b:standby", "active peer=b", "active peer=b:bogus", "active components=3",
                "active components=a/3", "active peer=a:up peer=a:up", "active peer=a:down peer=a:down",
                "active components=1/1 components=1/1", "active components=4294967296/1"):
        try:
            parse_status_line(bad)
            check("6.7 refuses %r" % bad, False)
        except BadStatusLine:
            check("6.7 refuses %r" % bad, True)
    return checks


# ---------------------------------------------------------------------------------------------
# CLI


def _line_json(line, **extra):
    d = {"status": line.text, "state": line.state,
         "peer": None if line.peer is None else {"name": line.peer[0], "state": line.peer[1]},
         "components": None if line.components is None else {"ok": line.components[0], "total": line.components[1]},
         "others": list(line.others)}
    d.update(extra)
    return json.dumps(d, ensure_ascii=False)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="baton_client.py",
        description="Independent baton status client (docs/PROTOCOL.md + asn1tools).",
        epilog="Exit status: 0 ok, 1 negative answer, 2 usage, 3 connection/timeout/protocol error.")
    ap.add_argument("--address", default="127.0.0.1:7421", help="the node's status listener (default %(default)s)")
    ap.add_argument("--encoding", default="der", choices=sorted(ENCODINGS), help="the link's rule (default der)")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help="seconds to wait for an answer (default %(default)s)")
    ap.add_argument("--connect-timeout", type=float, default=DEFAULT_CONNECT_TIMEOUT,
                    help="seconds to wait for the TCP connection (default %(default)s)")
    ap.add_argument("--max-frame", type=int, default=DEFAULT_MAX_FRAME,
                    help="largest L accepted or sent (default %(default)s)")
    ap.add_argument("--asn1-dir", default=DEFAULT_ASN1_DIR, help="folder of the portable modules")
    ap.add_argument("--ca", metavar="PEM", help="TLS (section 3.4): the cluster CA that signs the node's certificate")
    ap.add_argument("--cert", metavar="PEM", help="TLS: this client's certificate (a node with TLS requires one)")
    ap.add_argument("--key", metavar="PEM", help="TLS: the key of --cert")
    ap.add_argument("--expect-member", metavar="NAME",
                    help="TLS: the member the node's certificate must speak for (default: any)")
    ap.add_argument("--json", action="store_true", help="one JSON document per line")
    ap.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr (-vv: every frame)")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="getStatus: print the node's status line")
    w = sub.add_parser("watch", help="print every statusIndication")
    w.add_argument("--initial", action="store_true", help="print the current line (getStatus) first")
    w.add_argument("--until", metavar="WORD", choices=STATE_WORDS,
                   help="exit 0 at the first indication whose state word is WORD, 1 if none by --duration")
    w.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    w.add_argument("--count", type=int, default=None, help="stop after this many indications")
    w.add_argument("--timestamps", action="store_true",
                   help="start each text line with the wall-clock time it was received (s since the epoch)")
    h = sub.add_parser("health", help="healthQuery: print the node's bill of health (exit 1 if failed)")
    h.add_argument("--component-id", default="", help="componentId to put in the query (default empty)")
    sub.add_parser("selftest", help="check PROTOCOL.md's examples and framing rules offline")
    args = ap.parse_args(argv)

    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
                        format="baton_client: %(levelname)s: %(message)s", stream=sys.stderr)

    def out(s):
        print(s, flush=True)

    try:
        if args.command == "selftest":
            checks = selftest(args.asn1_dir)
            for name, ok in checks:
                out("%s %s" % ("ok  " if ok else "FAIL", name))
            failed = [n for n, ok in checks if not ok]
            out("selftest: %d checks, %d failed" % (len(checks), len(failed)))
            return 1 if failed else 0

        if args.ca is None and (args.cert or args.key or args.expect_member):
            ap.error("--cert, --key and --expect-member need --ca")
        if args.cert is not None and args.key is None:
            ap.error("--cert needs --key")
        tls = None if args.ca is None else tls_context(args.ca, args.cert, args.key)
        client = BatonClient(args.address, args.encoding, timeout=args.timeout,
                             connect_timeout=args.connect_timeout, max_frame=args.max_frame,
                             asn1_dir=args.asn1_dir,
                             component_id=getattr(args, "component_id", ""),
                             tls=tls, expect_member=args.expect_member)
        with client:
            if args.command == "status":
                line = client.get_status()
                out(_line_json(line) if args.json else line.text)
                return 0
            if args.command == "health":
                hq = client.health()
                out(json.dumps({"health": hq.status, "componentId": hq.component_id}) if args.json
                    else "%s componentId=%s" % (hq.status, hq.component_id))
                return 0 if hq.status == "ok" else 1
            if args.command == "watch":
                def stamp():
                    return "%.6f " % time.time() if args.timestamps else ""

                if args.initial:
                    line = client.get_status()
                    out(_line_json(line, kind="current", at=time.time()) if args.json
                        else "%scurrent %s" % (stamp(), line.text))
                n = 0
                for ind in client.watch(duration=args.duration):
                    out(_line_json(ind.line, kind="indication", correlationId=ind.correlation_id, at=time.time())
                        if args.json else "%sindication %s" % (stamp(), ind.line.text))
                    n += 1
                    if args.until and ind.line.state == args.until:
                        return 0
                    if args.count is not None and n >= args.count:
                        return 0
                if args.until:
                    print("baton_client: no indication %r within %s s" % (args.until, args.duration), file=sys.stderr)
                    return 1
                return 0
    except BatonError as e:
        print("baton_client: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
