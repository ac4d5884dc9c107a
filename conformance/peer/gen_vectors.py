#!/usr/bin/env python3
"""Independent test vectors for the four baton ASN.1 interfaces.

Peers: asn1tools (the vectors' bytes) and pycrate (second opinion, and the
only source of CER).  Reads asn1/portable/*.asn, writes
conformance/vectors/valid.json and conformance/vectors/malformed.json.
Run it through conformance/peer/regen.sh.  Output is deterministic.
"""

import contextlib
import importlib.util
import io
import json
import os
import re
import sys
import tempfile
from importlib.metadata import version

import asn1tools

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PORTABLE = os.path.join(REPO, "asn1", "portable")
OUT = os.path.join(REPO, "conformance", "vectors")

INTERFACES = {
    # interface: (module file, module name, top-level type)
    "election": ("failover-election-interface.asn", "Failover-election-interface", "ElectionMessage"),
    "role": ("failover-role-interface.asn", "Failover-role-interface", "RoleMessage"),
    "monitor": ("failover-monitor-interface.asn", "Failover-monitor-interface", "HealthMonitorMessage"),
    "status": ("failover-status-interface.asn", "Failover-status-interface", "ServiceStatusMessage"),
    "replication": ("failover-replication-interface.asn", "Failover-replication-interface", "ReplicationMessage"),
}

# vector rule -> asn1tools codec used to make / decode it
A1_CODEC = {"ber": "ber", "der": "der", "cer": "ber", "uper": "uper", "aper": "per",
            "oer": "oer", "coer": "oer", "jer": "jer"}
BINARY_RULES = ["ber", "der", "cer", "uper", "aper", "oer", "coer"]
ALL_RULES = BINARY_RULES + ["jer"]

LOG = []


def log(msg):
    LOG.append(msg)
    print(msg)


# ---------------------------------------------------------------------------
# Compilation
# ---------------------------------------------------------------------------

def module_texts():
    return {i: open(os.path.join(PORTABLE, f), encoding="utf-8").read()
            for i, (f, _, _) in INTERFACES.items()}


def relax(text):
    """SIZE(0..16) -> SIZE(0..31): lets asn1tools/pycrate write 17-character values.

    0..31 rather than no constraint at all so that PER keeps the 5-bit length field
    (17 and 32 values both need 5 bits) and the same octet alignment: the relaxed
    bytes are exactly what a strict decoder reads as 'length 17'.  SIZE is not
    PER-visible for UTF8String, and BER/OER never encode it, so nothing else moves.
    """
    out, n = re.subn(r"SIZE\s*\(\s*0\s*\.\.\s*16\s*\)", "SIZE(0..31)", text)
    assert n >= 1, "no SIZE(0..16) found to relax"
    # Replication (PROTOCOL 2.8): DataKey SIZE(0..64) -> SIZE(0..127) keeps UPER's 7-bit length;
    # the lists' SIZE(1..64) -> SIZE(1..127) changes the PER count field, so the list vectors
    # made with it are only used in BER, DER, CER, OER, COER and JER.
    out = re.sub(r"SIZE\s*\(\s*0\s*\.\.\s*64\s*\)", "SIZE(0..127)", out)
    out = re.sub(r"SIZE\s*\(\s*1\s*\.\.\s*64\s*\)", "SIZE(1..127)", out)
    return out


def compile_a1(texts):
    specs = {}
    for iface, text in texts.items():
        specs[iface] = {c: asn1tools.compile_string(text, c)
                        for c in ("ber", "der", "uper", "per", "oer", "jer")}
    return specs


_PYCRATE_SEQ = [0]


def compile_pycrate(texts):
    """Compile with pycrate's compiler, generate runtime code, import it."""
    from pycrate_asn1c.asnproc import GLOBAL, PycrateGenerator, compile_text, generate_modules
    GLOBAL.clear()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        compile_text([texts[i] for i in INTERFACES])
        tmp = tempfile.mkdtemp(prefix="baton-pycrate-")
        path = os.path.join(tmp, "peer_mods.py")
        generate_modules(PycrateGenerator, path)
    GLOBAL.clear()
    _PYCRATE_SEQ[0] += 1
    name = "baton_pycrate_mods_%d" % _PYCRATE_SEQ[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = {}
    for iface, (_, modname, typ) in INTERFACES.items():
        out[iface] = getattr(getattr(mod, modname.replace("-", "_")), typ)
    return out


# ---------------------------------------------------------------------------
# Valid values
# ---------------------------------------------------------------------------

CID16 = "0123456789 12345"          # 16 characters, digits and a space
COMP16 = "1234567890123456"         # 16 digits
ASCII16 = "node-abcdefghijk"        # 16 ASCII characters
NONASCII16 = "é" * 15 + "€"         # 16 characters, 33 UTF-8 bytes
ASTRAL16 = "\U0001F600" * 16        # 16 characters outside the BMP, 64 UTF-8 bytes
MIXED16 = "nœuds-ß-节点-Ωπ€\U0001F600é"  # 16 characters, 1 to 4 UTF-8 bytes each
for _s in (CID16, COMP16, ASCII16, NONASCII16, ASTRAL16, MIXED16):
    assert len(_s) == 16, _s
assert len(NONASCII16.encode()) > 16


def big_status(nchars):
    s, i = [], 0
    while sum(map(len, s)) < nchars:
        s.append("%04d état=ok peer=b:standby €; " % i)
        i += 1
    out = "".join(s)[:nchars]
    assert len(out) == nchars
    return out


STATUS_5000 = big_status(5000)
STATUS_16384B = ("component-%05d=ok;" % 0 * 1000)[:16384]
assert len(STATUS_16384B.encode()) == 16384


def el(cid, msg):
    return {"correlationId": cid, "message": msg}


def mon(cid, comp, msg):
    return {"correlationId": cid, "componentId": comp, "message": msg}


def nomination(cid, nominee):
    return el(cid, ("nominationMsg", {"nominee": nominee}))


def assigment(cid, a, s):
    return el(cid, ("electionResult", ("assigment", {"active": a, "standby": s})))


def veto(cid, a, s):
    return el(cid, ("electionResult", ("veto", {"active": a, "standby": s})))


def election_error(cid, d):
    return el(cid, ("electionResult", ("electionError", {"description": d})))


def heartbeat(cid, comp, st):
    return mon(cid, comp, ("heartBeat", {"billOfHealth": {"status": st}}))


def status_ind(cid, st):
    return el(cid, ("statusIndication", {"status": st}))


# ---------------------------------------------------------------------------
# Replication (PROTOCOL 2.8)
# ---------------------------------------------------------------------------

I63_MAX = 2 ** 63 - 1  # INTEGER (0..9223372036854775807): asn1c 0.9.28 reads no larger bound
DIGEST = bytes(range(32))


def rkey(app, typ, key):
    return {"applicationId": app, "dataType": typ, "key": key}


def entry(app, typ, key, value):
    return {"recordKey": rkey(app, typ, key), "value": value}


def update(cid, gen, seq, ops):
    return el(cid, ("update", {"generation": gen, "sequenceNumber": seq, "operations": ops}))


def chunk(cid, gen, entries):
    return el(cid, ("syncChunk", {"generation": gen, "entries": entries}))


ADD = ("add", entry("1001", "1", b"subscriber-42", b"registered"))
MODIFY = ("modify", entry("1001", "1", b"subscriber-42", b"\x00\x01\xfe\xff"))
DELETE = ("delete", rkey("1001", "2", b"call-7"))
MANY_OPS = [("add", entry(str(i), "3", b"k%02d" % i, bytes([i]) * i)) for i in range(64)]
MANY_ENTRIES = [entry("7", str(i % 10), bytes([i]), b"") for i in range(64)]

REPLICATION_VALID = [
    ("replication-update-add", "replication", update("31", 2, 1, [ADD])),
    ("replication-update-modify", "replication", update("32", 2, 2, [MODIFY])),
    ("replication-update-delete", "replication", update("33", 2, 3, [DELETE])),
    ("replication-update-three-operations", "replication", update("34", 2, 4, [ADD, MODIFY, DELETE])),
    ("replication-update-64-operations", "replication", update("35", 3, 5, MANY_OPS)),
    ("replication-update-max-integers", "replication", update(CID16, I63_MAX, I63_MAX, [DELETE])),
    ("replication-update-empty-fields", "replication",
     update("", 0, 0, [("add", entry("", "", b"", b""))])),
    ("replication-update-16-char-ids-64-octet-key", "replication",
     update("36", 4, 6, [("delete", rkey(COMP16, CID16, bytes(range(64))))])),
    ("replication-update-1000-octet-value", "replication",
     update("37", 4, 7, [("add", entry("1", "1", b"big", bytes(i % 251 for i in range(1000))))])),
    ("replication-update-16384-octet-value", "replication",
     update("38", 4, 8, [("modify", entry("1", "1", b"max", b"\xab" * 16384))])),
    ("replication-update-ack", "replication",
     el("39", ("updateAck", {"generation": 2, "highestContiguous": 4}))),
    ("replication-update-ack-max", "replication",
     el("", ("updateAck", {"generation": I63_MAX, "highestContiguous": I63_MAX}))),
    ("replication-sync-request-full", "replication", el("40", ("syncRequest", {"start": ("full", {})}))),
    ("replication-sync-request-from", "replication",
     el("41", ("syncRequest", {"start": ("fromSequenceNumber", 5)}))),
    ("replication-sync-chunk", "replication",
     chunk("42", 2, [entry("1001", "1", b"subscriber-42", b"registered")])),
    ("replication-sync-chunk-64-entries", "replication", chunk("43", 2, MANY_ENTRIES)),
    ("replication-sync-done", "replication",
     el("44", ("syncDone", {"generation": 2, "sequenceNumber": 4, "entryCount": 65}))),
    ("replication-sync-done-max", "replication",
     el("45", ("syncDone", {"generation": I63_MAX, "sequenceNumber": I63_MAX, "entryCount": 2 ** 32 - 1}))),
    ("replication-audit", "replication",
     el("46", ("audit", {"generation": 2, "sequenceNumber": 4, "entryCount": 3, "digest": DIGEST}))),
    ("replication-audit-response-consistent", "replication",
     el("46", ("auditResponse", {"result": "consistent", "sequenceNumber": 4, "entryCount": 3,
                                 "digest": DIGEST}))),
    ("replication-audit-response-inconsistent", "replication",
     el("47", ("auditResponse", {"result": "inconsistent", "sequenceNumber": 4, "entryCount": 2,
                                 "digest": b"\xff" * 32}))),
    ("replication-error-stale-generation", "replication",
     el("48", ("replicationError", {"code": "staleGeneration",
                                    "description": "generation 1 is older than 2"}))),
    ("replication-error-every-code", "replication",
     el("49", ("replicationError", {"code": "malformedRequest", "description": ""}))),
    ("replication-error-repertory-full", "replication",
     el("50", ("replicationError", {"code": "repertoryFull", "description": "répertoire plein ✓"}))),
]


def replication_malformed(add, a1enc, a1):
    """Malformed ReplicationMessages: sizes, list counts (the OER allocation guard), unknown
    alternatives, truncation, trailing bytes and bad JER."""
    iface = "replication"
    base = update("31", 2, 1, [ADD, DELETE])
    for rule in ALL_RULES:
        for tag, value, field, desc, rules in [
            ("correlation-id-17-digits", update(CID17, 2, 1, [DELETE]), "ReplicationMessage.correlationId",
             "17-digit correlationId (SIZE(0..16))", ALL_RULES),
            ("key-65-octets", update("31", 2, 1, [("delete", rkey("1", "1", b"k" * 65))]),
             "ReplicationMessage.message.update.operations.delete.key", "65-octet DataKey (SIZE(0..64))",
             ["oer", "coer", "jer"]),
            ("operations-65", update("31", 2, 1, [DELETE] * 65),
             "ReplicationMessage.message.update.operations", "65 operations (SIZE(1..64))",
             ["ber", "der", "oer", "coer", "jer"]),
            ("operations-empty", update("31", 2, 1, []),
             "ReplicationMessage.message.update.operations", "no operation (SIZE(1..64))",
             ["oer", "coer", "jer"]),
        ]:
            if rule not in rules:
                continue
            if rule == "jer":
                data = a1_encode(A1R[0], iface, "jer", value, check=False).decode("utf-8")
            else:
                data = a1enc(rule, iface, value, relaxed=True)
            add("%s-size-replication-%s" % (rule, tag), iface, rule, data, "size", desc, field)
    for rule in ("oer", "coer"):
        e = a1enc(rule, iface, base)
        at = 3 + 1 + 16  # correlationId "31" (3), tag (1), generation and sequenceNumber (16)
        assert e[at:at + 2] == b"\x01\x02", e.hex()
        # A count over SIZE(1..64) is a size error naming the list, refused before any
        # allocation; a count within it but beyond the octets present is a huge length.
        ops = "ReplicationMessage.message.update.operations"
        for kind, tag, quantity, desc in [
            ("size", "count-2-pow-64", b"\x08" + b"\xff" * 8, "operations count 2^64-1 (8-octet quantity)"),
            ("size", "count-2-pow-32", b"\x04\xff\xff\xff\xff", "operations count 2^32-1"),
            ("size", "count-65", b"\x01\x41", "operations count 65 (SIZE(1..64))"),
            ("huge-length", "quantity-127-octets", b"\x7f" + b"\xff" * 4,
             "operations quantity of 127 octets, 4 present"),
            ("huge-length", "64-items-few-octets", b"\x01\x40", "64 operations declared, 2 present"),
        ]:
            add("%s-%s-replication-operations-%s" % (rule, kind, tag), iface, rule,
                e[:at] + quantity + e[at + 2:], kind, desc, ops if kind == "size" else None)
        c = a1enc(rule, iface, chunk("42", 2, [entry("1", "1", b"k", b"v")]))
        cat = 3 + 1 + 8
        assert c[cat:cat + 2] == b"\x01\x01", c.hex()
        add("%s-size-replication-entries-count-2-pow-40" % rule, iface, rule,
            c[:cat] + b"\x05\xff\xff\xff\xff\xff" + c[cat + 2:], "size", "entries count 2^40-1",
            "ReplicationMessage.message.syncChunk.entries")
        add("%s-unknown-choice-replication-message-tag-8" % rule, iface, rule, e[:3] + b"\x88" + e[4:],
            "unknown-choice", "ReplicationMessage.message tag [8] (only [0]..[7] exist)")
        add("%s-unknown-choice-replication-operation-tag-3" % rule, iface, rule,
            e[:at + 2] + b"\x83" + e[at + 3:], "unknown-choice", "Operation tag [3] (only [0]..[2] exist)")
    # INTEGER (0..9223372036854775807): 2^63 in the 8 octets OER gives the range, and in JER
    gen_field = "ReplicationMessage.message.update.generation"
    for rule in ("oer", "coer"):
        e = a1enc(rule, iface, base)
        assert e[4:12] == b"\x00" * 7 + b"\x02", e.hex()
        add("%s-range-replication-generation-2-pow-63" % rule, iface, rule, e[:4] + b"\x80" + e[5:],
            "range", "generation 2^63 + 2 (INTEGER (0..9223372036854775807)); octets 4 to 11", gen_field)
    add("jer-range-replication-generation-2-pow-63", iface, "jer",
        a1_encode(a1, iface, "jer", base).decode("utf-8").replace('"generation":2', '"generation":9223372036854775808'),
        "range", "generation 2^63 (INTEGER (0..9223372036854775807))", gen_field)
    for rule in ("uper", "aper"):
        va = update("31", 2, 1, [("add", entry("", "", b"", b""))])
        vb = update("31", 2, 1, [("delete", rkey("", "", b""))])
        ea, eb = a1enc(rule, iface, va), a1enc(rule, iface, vb)
        pos = first_diff_bit(ea, eb)
        assert get_bits(ea, pos, 2) == 0 and get_bits(eb, pos, 2) == 2, (rule, pos)
        add("%s-unknown-choice-replication-operation-index-3" % rule, iface, rule, set_bits(eb, pos, 2, 3),
            "unknown-choice", "Operation index 3 (2-bit field, only 0..2 exist); bit %d" % pos)
    for rule in BINARY_RULES:
        e = a1enc(rule, iface, base)
        add("%s-truncated-replication-update-last-byte" % rule, iface, rule, e[:-1], "truncated",
            "valid update minus its last octet")
        add("%s-truncated-replication-update-half" % rule, iface, rule, e[:len(e) // 2], "truncated",
            "valid update cut to its first %d of %d octets" % (len(e) // 2, len(e)))
        add("%s-trailing-replication-update-junk" % rule, iface, rule, e + bytes.fromhex("deadbeef"),
            "trailing", "valid update followed by de ad be ef")
    good = a1_encode(a1, iface, "jer", base).decode("utf-8")
    for tag, text, desc in [
        ("negative-generation", good.replace('"generation":2', '"generation":-2'), "generation -2"),
        ("string-sequence-number", good.replace('"sequenceNumber":1', '"sequenceNumber":"1"'),
         "sequenceNumber as a string"),
        ("key-not-hex", good.replace('"key":"63616C6C2D37"', '"key":"call-7"'), "key not hexadecimal"),
        ("operations-not-array", good.replace('"operations":[', '"operations":{"x":[').replace("]}}}", "]}}}}"),
         "operations as an object"),
        ("digest-31-octets", '{"correlationId":"1","message":{"audit":{"generation":1,"sequenceNumber":1,'
         '"entryCount":0,"digest":"%s"}}}' % ("00" * 31), "digest of 31 octets (SIZE(32))"),
        ("unknown-error-code", '{"correlationId":"1","message":{"replicationError":{"code":"full",'
         '"description":""}}}', "ErrorCode 'full' does not exist"),
    ]:
        assert text != good or tag == "digest-31-octets", tag
        add("jer-bad-json-replication-%s" % tag, iface, "jer", text, "bad-json", desc)


A1R = [None]

VALID = [
    # --- election: every alternative -------------------------------------
    ("election-nomination", "election", nomination("42", "node-a")),
    ("election-assigment", "election", assigment("43", "node-a", "node-b")),
    ("election-veto", "election", veto("44", "node-b", "node-a")),
    ("election-error", "election", election_error("45", "no quorum: 1 of 3 peers reachable")),
    # --- election: edges --------------------------------------------------
    ("election-nomination-empty-correlation-id", "election", nomination("", "node-a")),
    ("election-nomination-empty-nominee", "election", nomination("46", "")),
    ("election-nomination-all-empty", "election", nomination("", "")),
    ("election-nomination-16-char-correlation-id", "election", nomination(CID16, "node-a")),
    ("election-nomination-16-space-correlation-id", "election", nomination(" " * 16, "node-a")),
    ("election-nomination-16-ascii-nominee", "election", nomination("47", ASCII16)),
    ("election-nomination-16-non-ascii-nominee", "election", nomination("48", NONASCII16)),
    ("election-nomination-16-astral-nominee", "election", nomination("49", ASTRAL16)),
    ("election-nomination-16-mixed-nominee", "election", nomination("50", MIXED16)),
    ("election-nomination-max", "election", nomination(CID16, NONASCII16)),
    ("election-assigment-empty", "election", assigment("", "", "")),
    ("election-assigment-16-ascii", "election", assigment(CID16, ASCII16, ASCII16[::-1])),
    ("election-assigment-16-non-ascii", "election", assigment("51", NONASCII16, ASTRAL16)),
    ("election-veto-empty", "election", veto("", "", "")),
    ("election-veto-16-non-ascii", "election", veto(CID16, MIXED16, NONASCII16)),
    ("election-error-empty-description", "election", election_error("52", "")),
    ("election-error-empty-all", "election", election_error("", "")),
    ("election-error-non-ascii-description", "election",
     election_error("53", "élection impossible: nœud «b» injoignable ⚠ \U0001F600")),
    ("election-error-long-description", "election", election_error(CID16, big_status(300))),
    # --- role --------------------------------------------------------------
    ("role-setrole", "role", el("9", ("setRole", {"role": "active"}))),
    ("role-setrole-standby", "role", el("10", ("setRole", {"role": "standby"}))),
    ("role-setrole-response-success", "role", el("11", ("setRoleResponse", {"returnCode": "success"}))),
    ("role-setrole-response-failure", "role", el("12", ("setRoleResponse", {"returnCode": "failure"}))),
    ("role-setrole-empty-correlation-id", "role", el("", ("setRole", {"role": "standby"}))),
    ("role-setrole-response-16-char-correlation-id", "role",
     el(CID16, ("setRoleResponse", {"returnCode": "failure"}))),
    # --- monitor -----------------------------------------------------------
    ("monitor-heartbeat", "monitor", heartbeat("7", "1001", "ok")),
    ("monitor-heartbeat-failed", "monitor", heartbeat("8", "1001", "failed")),
    ("monitor-health-query", "monitor", mon("13", "1001", ("healthQuery", {}))),
    ("monitor-health-query-response-ok", "monitor",
     mon("14", "1002", ("healthQueryResponse", {"billOfHealth": {"status": "ok"}}))),
    ("monitor-health-query-response-failed", "monitor",
     mon("15", "1002", ("healthQueryResponse", {"billOfHealth": {"status": "failed"}}))),
    ("monitor-heartbeat-16-digit-component-id", "monitor", heartbeat("16", COMP16, "ok")),
    ("monitor-heartbeat-16-char-ids", "monitor", heartbeat(CID16, CID16, "failed")),
    ("monitor-heartbeat-empty-ids", "monitor", heartbeat("", "", "ok")),
    ("monitor-health-query-empty-ids", "monitor", mon("", "", ("healthQuery", {}))),
    ("monitor-health-query-16-digit-ids", "monitor", mon(COMP16, COMP16, ("healthQuery", {}))),
    # --- status ------------------------------------------------------------
    ("status-get-status", "status", el("17", ("getStatus", {}))),
    ("status-indication", "status", status_ind("11", "active peer=b:standby components=3/3")),
    ("status-get-status-response", "status",
     el("18", ("getStatusResponse", {"status": "standby peer=a:active components=3/3"}))),
    ("status-get-status-empty-correlation-id", "status", el("", ("getStatus", {}))),
    ("status-indication-empty-status", "status", status_ind("19", "")),
    ("status-get-status-response-empty", "status", el("", ("getStatusResponse", {"status": ""}))),
    ("status-indication-non-ascii", "status", status_ind("20", "actif pair=b:veille composants=3/3 ✓ état=ok")),
    ("status-indication-json-escapes", "status", status_ind("21", 'quote=" backslash=\\ slash=/ tab=\t nl=\n cr=\r ctl=\x01 del=\x7f')),
    ("status-indication-127-bytes", "status", status_ind("22", "x" * 127)),
    ("status-indication-128-bytes", "status", status_ind("23", "x" * 128)),
    ("status-get-status-response-5000-chars", "status",
     el(CID16, ("getStatusResponse", {"status": STATUS_5000}))),
    ("status-indication-16384-bytes", "status", status_ind("24", STATUS_16384B)),
] + REPLICATION_VALID


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def a1_encode(specs, iface, rule, value, check=True):
    typ = INTERFACES[iface][2]
    out = specs[iface][A1_CODEC[rule]].encode(typ, value, check_constraints=check)
    return out


def a1_decode(specs, iface, rule, data, check=True):
    typ = INTERFACES[iface][2]
    if rule == "jer" and isinstance(data, str):
        data = data.encode("utf-8")
    return specs[iface][A1_CODEC[rule]].decode(typ, data, check_constraints=check)


@contextlib.contextmanager
def pycrate_state():
    """pycrate keeps codec settings in class attributes and sets them for to_cer/from_der/...;
    an exception skips the restore and the next BER call would silently run in CER mode.
    Snapshot and restore them around every call."""
    from pycrate_asn1rt.codecs import ASN1CodecBER, ASN1CodecOER, ASN1CodecPER
    saved = []
    for cls in (ASN1CodecBER, ASN1CodecPER, ASN1CodecOER):
        for k, v in list(vars(cls).items()):
            if k.isupper() or k == "_off":
                saved.append((cls, k, list(v) if isinstance(v, list) else v))
    try:
        yield
    finally:
        for cls, k, v in saved:
            setattr(cls, k, list(v) if isinstance(v, list) else v)


def pc_encode(objs, iface, rule, value):
    o = objs[iface]
    with pycrate_state():
        o.set_val(value)
        if rule == "jer":
            return o.to_jer()
        return getattr(o, "to_" + rule)()


def pc_decode(objs, iface, rule, data):
    o = objs[iface]
    with pycrate_state():
        if rule == "jer":
            o.from_jer(data if isinstance(data, str) else data.decode("utf-8"))
        else:
            getattr(o, "from_" + rule)(data)
        return o.get_val()


def err_text(e):
    s = "%s: %s" % (type(e).__name__, e)
    s = " ".join(s.split())
    return s[:200]


def first_diff_byte(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    raise ValueError("no difference")


def first_diff_bit(a, b):
    i = first_diff_byte(a, b)
    return i * 8 + (8 - (a[i] ^ b[i]).bit_length())


def set_bits(buf, pos, nbits, value):
    n = len(buf) * 8
    x = int.from_bytes(buf, "big")
    shift = n - pos - nbits
    mask = ((1 << nbits) - 1) << shift
    x = (x & ~mask) | (value << shift)
    return x.to_bytes(len(buf), "big")


def get_bits(buf, pos, nbits):
    n = len(buf) * 8
    return (int.from_bytes(buf, "big") >> (n - pos - nbits)) & ((1 << nbits) - 1)


def ber_tlv(buf, off):
    """(header length, content length or None if indefinite) of the TLV at off."""
    tag = buf[off]
    assert tag & 0x1F != 0x1F, "high tag numbers not used here"
    lb = buf[off + 1]
    if lb < 0x80:
        return 2, lb
    if lb == 0x80:
        return 2, None
    n = lb & 0x7F
    return 2 + n, int.from_bytes(buf[off + 2: off + 2 + n], "big")


def ber_end(buf, off):
    """Offset just past the TLV at off (definite or indefinite length)."""
    hl, cl = ber_tlv(buf, off)
    if cl is not None:
        return off + hl + cl
    pos = off + hl
    while buf[pos:pos + 2] != b"\x00\x00":
        pos = ber_end(buf, pos)
    return pos + 2


def ber_children(buf, off):
    """Offsets of the children of the constructed TLV at off (definite or indefinite)."""
    hl, cl = ber_tlv(buf, off)
    pos = off + hl
    out = []
    while (pos < off + hl + cl) if cl is not None else (buf[pos:pos + 2] != b"\x00\x00"):
        out.append(pos)
        pos = ber_end(buf, pos)
    return out


def cer_fix_segments(buf, off=0):
    """Retag UTF8String segments (0c) inside constructed strings as OCTET STRING (04)."""
    buf = bytearray(buf)

    def walk(o):
        if not buf[o] & 0x20:
            return
        kids = ber_children(bytes(buf), o)
        if kids and all(buf[k] == 0x0C for k in kids):
            for k in kids:
                buf[k] = 0x04
            return
        for k in kids:
            walk(k)

    walk(off)
    return bytes(buf)


def ber_path(buf, path):
    """Offset of the TLV reached by child indexes from the top-level TLV."""
    off = 0
    for i in path:
        off = ber_children(buf, off)[i]
    return off


def ber_set_length(buf, off, length_bytes):
    hl, _ = ber_tlv(buf, off)
    return buf[:off + 1] + length_bytes + buf[off + hl:]


# ---------------------------------------------------------------------------
# Valid vectors
# ---------------------------------------------------------------------------

def make_valid(a1, pc):
    vectors, disagreements = [], []
    names = set()

    def clip(x, n=400):
        return x if len(x) <= n else "%s...(%d chars in all)" % (x[:n], len(x))

    def disagree(name, rule, what, a1_side, pc_side):
        d = {"vector": name, "rule": rule, "what": what, "asn1tools": clip(a1_side), "pycrate": clip(pc_side)}
        if re.fullmatch(r"[0-9a-f]*", a1_side) and re.fullmatch(r"[0-9a-f]*", pc_side):
            try:
                d["first_different_octet"] = first_diff_byte(bytes.fromhex(a1_side), bytes.fromhex(pc_side))
            except ValueError:
                d["first_different_octet"] = min(len(a1_side), len(pc_side)) // 2
        disagreements.append(d)
        log("DISAGREE %s %s: %s\n    asn1tools: %s\n    pycrate:   %s" % (
            name, rule, what, clip(a1_side, 100), clip(pc_side, 100)))

    for name, iface, value in VALID:
        assert name not in names, name
        names.add(name)
        enc = {}
        for rule in ("ber", "der", "uper", "aper", "oer", "jer"):
            b = a1_encode(a1, iface, rule, value)
            enc[rule] = b.decode("utf-8") if rule == "jer" else b.hex()
        enc["coer"] = enc["oer"]
        jer_value = json.loads(enc["jer"])
        # asn1tools round trip in every rule it has
        for rule in ("ber", "der", "uper", "aper", "oer", "coer"):
            got = a1_decode(a1, iface, rule, bytes.fromhex(enc[rule]))
            assert got == value, (name, rule, got)
        assert a1_decode(a1, iface, "jer", enc["jer"]) == value
        assert a1_decode(a1, iface, "jer", json.dumps(jer_value)) == value
        # pycrate: encode and compare; decode asn1tools' bytes and compare
        for rule in ("ber", "der", "uper", "aper", "oer", "coer", "jer"):
            try:
                p = pc_encode(pc, iface, rule, value)
            except Exception as e:
                disagree(name, rule, "pycrate cannot encode", enc[rule] if rule != "jer" else enc["jer"], err_text(e))
                continue
            if rule == "jer":
                if json.loads(p) != jer_value:
                    disagree(name, rule, "encode: different JSON value", enc["jer"], json.dumps(json.loads(p), ensure_ascii=False))
            elif p.hex() != enc[rule]:
                what = "encode: different bytes"
                try:
                    back = a1_decode(a1, iface, rule, p)
                    what += "; asn1tools decodes pycrate's bytes to %s value" % (
                        "the same" if back == value else "a DIFFERENT")
                except Exception as e:
                    what += "; asn1tools rejects pycrate's bytes (%s)" % err_text(e)
                disagree(name, rule, what, enc[rule], p.hex())
            try:
                data = enc["jer"] if rule == "jer" else bytes.fromhex(enc[rule])
                got = pc_decode(pc, iface, rule, data)
                if got != value:
                    disagree(name, rule, "pycrate decodes asn1tools' encoding to a different value",
                             enc[rule], repr(got)[:200])
            except Exception as e:
                disagree(name, rule, "pycrate cannot decode asn1tools' encoding", enc[rule], err_text(e))
        # CER from pycrate, checked by pycrate and by asn1tools' BER decoder
        try:
            cer = pc_encode(pc, iface, "cer", value)
            got = pc_decode(pc, iface, "cer", cer)
            assert got == value, (name, "cer", got)
            fixed = cer_fix_segments(cer)
            if fixed != cer:
                disagree(name, "cer", "pycrate tags the segments of a constructed UTF8String 0c; X.690 8.23 "
                         "encodes a character string as [UNIVERSAL 12] IMPLICIT OCTET STRING, so the segments "
                         "are OCTET STRINGs (04). The vector has 04; asn1tools' BER decoder rejects the 0c form",
                         fixed.hex(), cer.hex())
                try:
                    pc_decode(pc, iface, "cer", fixed)
                except Exception as e:
                    disagree(name, "cer", "pycrate cannot decode the 04-segment CER of the vector",
                             fixed.hex(), err_text(e))
                cer = fixed
            try:
                back = a1_decode(a1, iface, "cer", cer)
                if back != value:
                    disagree(name, "cer", "asn1tools BER decodes pycrate's CER to a different value", repr(back)[:200], cer.hex())
            except Exception as e:
                disagree(name, "cer", "asn1tools BER decoder rejects pycrate's CER", err_text(e), cer.hex())
            enc["cer"] = cer.hex()
        except Exception as e:
            log("no CER for %s: %s" % (name, err_text(e)))
        vectors.append({"name": name, "interface": iface, "value": jer_value, "encodings": enc})
    return vectors, disagreements


# ---------------------------------------------------------------------------
# Malformed vectors
# ---------------------------------------------------------------------------

CID17 = "01234567890123456"
COMP17 = "12345678901234567"
ASCII17 = "node-abcdefghijkl"
NONASCII17 = "é" * 16 + "€"
assert len(CID17) == len(COMP17) == len(ASCII17) == len(NONASCII17) == 17


def make_malformed(a1, a1r, pc, pcr):
    out = []
    names = set()

    def add(name, iface, rule, data, kind, description, field=None):
        assert name not in names, name
        names.add(name)
        v = {"name": name, "interface": iface, "encoding": rule, "kind": kind, "description": description}
        if rule == "jer":
            v["text"] = data
        else:
            v["hex"] = data.hex()
        if field is not None:
            v["field"] = field
        try:
            got = a1_decode(a1, iface, rule, data, check=True)
            v["peer_rejects"] = False
            v["peer_error"] = None
            note = "asn1tools decoded it to %s" % json.dumps(got, default=list)[:160]
            if kind == "trailing" and rule in ("ber", "der"):
                _, used = a1[iface][rule].decode_with_length(INTERFACES[iface][2], data)
                note += "; decode_with_length consumed %d of %d bytes" % (used, len(data))
            v["peer_note"] = note
        except Exception as e:
            v["peer_rejects"] = True
            v["peer_error"] = err_text(e)
        try:
            pc_decode(pc, iface, rule, data)
            v["pycrate_rejects"] = False
        except Exception:
            v["pycrate_rejects"] = True
        out.append(v)

    def a1enc(rule, iface, value, relaxed=False):
        if rule == "cer":
            return pc_encode(pcr if relaxed else pc, iface, "cer", value)
        b = a1_encode(a1r if relaxed else a1, iface, rule, value, check=not relaxed)
        return b

    # base values used for structural damage
    base = {
        "election-nomination": ("election", nomination("42", "node-a")),
        "election-assigment": ("election", assigment("43", "node-a", "node-b")),
        "monitor-heartbeat": ("monitor", heartbeat("7", "1001", "ok")),
        "status-indication": ("status", status_ind("11", "active peer=b:standby components=3/3")),
        "role-setrole": ("role", el("9", ("setRole", {"role": "active"}))),
    }

    # ---- size ---------------------------------------------------------------
    size_cases = [
        ("election-correlation-id-17-digits", "election", nomination(CID17, "node-a"),
         "ElectionMessage.correlationId", "17-digit correlationId (SIZE(0..16))"),
        ("role-correlation-id-17-digits", "role", el(CID17, ("setRole", {"role": "active"})),
         "RoleMessage.correlationId", "17-digit correlationId (SIZE(0..16))"),
        ("monitor-component-id-17-digits", "monitor", heartbeat("7", COMP17, "ok"),
         "HealthMonitorMessage.componentId", "17-digit componentId (SIZE(0..16))"),
        ("election-nominee-17-ascii", "election", nomination("42", ASCII17),
         "ElectionMessage.message.nominationMsg.nominee", "17-character ASCII nominee (SIZE(0..16))"),
        ("election-nominee-17-non-ascii", "election", nomination("42", NONASCII17),
         "ElectionMessage.message.nominationMsg.nominee",
         "17-character non-ASCII nominee, 35 UTF-8 bytes (SIZE(0..16) counts characters)"),
        ("election-assigment-standby-17-ascii", "election", assigment("43", "node-a", ASCII17),
         "ElectionMessage.message.electionResult.assigment.standby", "17-character standby (SIZE(0..16))"),
        ("election-veto-active-17-non-ascii", "election", veto("44", NONASCII17, "node-a"),
         "ElectionMessage.message.electionResult.veto.active", "17-character non-ASCII active (SIZE(0..16))"),
    ]
    for rule in ALL_RULES:
        for tag, iface, value, field, desc in size_cases:
            if rule == "jer":
                data = a1_encode(a1r, iface, "jer", value, check=False).decode("utf-8")
            else:
                data = a1enc(rule, iface, value, relaxed=True)
            # the relaxed bytes must carry the over-size value to a constraint-blind strict decoder
            back = a1_decode(a1, iface, rule, data, check=False)
            assert back == value, (rule, tag, back)
            add("%s-size-%s" % (rule, tag), iface, rule, data, "size", desc, field)

    # ---- alphabet -------------------------------------------------------------
    # (name, iface, value with ' ' at the target, same with '9' there, field, position text,
    #  replacement byte for byte rules, replacement index for PER, JER value)
    alpha_cases = [
        ("election-correlation-id-letter", "election",
         nomination(" 2", "node-a"), nomination("92", "node-a"), "ElectionMessage.correlationId",
         ord("a"), 11, nomination("4a", "node-a"), "correlationId"),
        ("monitor-component-id-other-char", "monitor",
         heartbeat("7", "10 1", "ok"), heartbeat("7", "1091", "ok"), "HealthMonitorMessage.componentId",
         ord("-"), 15, heartbeat("7", "10-1", "ok"), "componentId"),
        ("status-correlation-id-letter", "status",
         status_ind(" 1", "ok"), status_ind("91", "ok"), "ServiceStatusMessage.correlationId",
         ord("x"), 13, status_ind("1x", "ok"), "correlationId"),
    ]
    for rule in ALL_RULES:
        for tag, iface, v_sp, v_9, field, byte, index, jer_bad, desc in alpha_cases:
            if rule == "jer":
                data = a1_encode(a1r, iface, "jer", jer_bad, check=False).decode("utf-8")
                desc2 = "%r in %s" % (chr(byte), desc)
                add("%s-alphabet-%s" % (rule, tag), iface, rule, data, "alphabet", desc2, field)
                continue
            e_sp = a1enc(rule, iface, v_sp)
            e_9 = a1enc(rule, iface, v_9)
            if rule in ("uper", "aper"):
                pos = first_diff_bit(e_sp, e_9)
                assert get_bits(e_sp, pos, 4) == 0 and get_bits(e_9, pos, 4) == 10
                # check: index 10 at that nibble is '9', i.e. this is the character field
                assert set_bits(e_sp, pos, 4, 10) == e_9
                data = set_bits(e_sp, pos, 4, index)
                desc2 = ("character index %d (the alphabet ' 0123456789' has indexes 0..10) in %s; "
                         "4-bit field at bit %d" % (index, desc, pos))
            else:
                pos = first_diff_byte(e_sp, e_9)
                assert e_sp[pos] == 0x20 and e_9[pos] == 0x39
                data = e_sp[:pos] + bytes([byte]) + e_sp[pos + 1:]
                desc2 = "%r in %s; octet %d" % (chr(byte), desc, pos)
            add("%s-alphabet-%s" % (rule, tag), iface, rule, data, "alphabet", desc2, field)

    # ---- unknown-choice -----------------------------------------------------------
    for rule in BINARY_RULES:
        if rule in ("ber", "der", "cer"):
            cases = [
                # (tag, base, child path to the alternative's TLV, new tag byte, text)
                ("election-message-tag-2", "election-nomination", [1, 0], 0xA2,
                 "ElectionMessage.message alternative [2] (only [0],[1] exist)"),
                ("election-result-tag-3", "election-assigment", [1, 0], None,
                 "ElectionResult alternative [3] (only [0]..[2] exist)"),
                ("monitor-message-tag-3", "monitor-heartbeat", [2, 0], 0xA3,
                 "HealthMonitorMessage.message alternative [3] (only [0]..[2] exist)"),
                ("role-message-tag-5", "role-setrole", [1, 0], 0xA5,
                 "RoleMessage.message alternative [5] (only [0],[1] exist)"),
            ]
            for tag, b, path, newtag, desc in cases:
                iface, value = base[b]
                e = a1enc(rule, iface, value)
                if newtag is None:  # the ElectionResult choice sits one level deeper
                    path = path + [0]
                    newtag = 0xA3
                off = ber_path(e, path)
                data = e[:off] + bytes([newtag]) + e[off + 1:]
                add("%s-unknown-choice-%s" % (rule, tag), iface, rule, data, "unknown-choice",
                    desc + "; tag byte at offset %d" % off)
        elif rule in ("oer", "coer"):
            cases = [
                ("election-message-tag-2", "election", nomination("42", "node-a"),
                 election_error("42", "x"), 0x82, "ElectionMessage.message tag [2] (only [0],[1] exist)"),
                ("election-result-tag-3", "election", election_error("43", "x"),
                 veto("43", "node-a", "node-b"), 0x83, "ElectionResult tag [3] (only [0]..[2] exist)"),
                ("monitor-message-tag-3", "monitor", mon("7", "1001", ("healthQuery", {})),
                 heartbeat("7", "1001", "ok"), 0x83, "HealthMonitorMessage.message tag [3]"),
                ("status-message-tag-63", "status", el("11", ("getStatus", {})),
                 status_ind("11", "x"), 0xBE, "ServiceStatusMessage.message tag [62] (largest single-octet tag)"),
            ]
            for tag, iface, va, vb, newbyte, desc in cases:
                ea, eb = a1enc(rule, iface, va), a1enc(rule, iface, vb)
                off = first_diff_byte(ea, eb)  # OER has no outer lengths: first difference = the tag octet
                assert ea[off] & 0xC0 == 0x80
                data = ea[:off] + bytes([newbyte]) + ea[off + 1:]
                add("%s-unknown-choice-%s" % (rule, tag), iface, rule, data, "unknown-choice",
                    desc + "; tag octet at offset %d" % off)
        else:  # uper, aper: only CHOICEs with 3 alternatives (2-bit index) have a spare index
            cases = [
                ("election-result-index-3", "election", election_error("43", "x"),
                 veto("43", "x", ""), "ElectionResult index 3 (2-bit field, only 0..2 exist)"),
                ("monitor-message-index-3", "monitor", mon("7", "1001", ("healthQuery", {})),
                 heartbeat("7", "1001", "ok"), "HealthMonitorMessage.message index 3"),
                ("status-message-index-3", "status", el("11", ("getStatus", {})),
                 el("11", ("getStatusResponse", {"status": "x"})), "ServiceStatusMessage.message index 3"),
            ]
            for tag, iface, va, vb, desc in cases:
                # va has index 0, vb index 2; the same prefix with index 1 locates the low bit
                alt1 = {"election": ("electionResult", ("assigment", {"active": "x", "standby": ""})),
                        "monitor": ("healthQueryResponse", {"billOfHealth": {"status": "ok"}}),
                        "status": ("statusIndication", {"status": "x"})}[iface]
                v1 = dict(va, message=alt1)
                ea, eb, e1 = a1enc(rule, iface, va), a1enc(rule, iface, vb), a1enc(rule, iface, v1)
                pos = first_diff_bit(ea, eb)  # MSB of the index
                assert first_diff_bit(ea, e1) == pos + 1
                assert get_bits(ea, pos, 2) == 0 and get_bits(eb, pos, 2) == 2 and get_bits(e1, pos, 2) == 1
                data = set_bits(eb, pos, 2, 3)
                add("%s-unknown-choice-%s" % (rule, tag), iface, rule, data, "unknown-choice",
                    desc + "; 2-bit index at bit %d" % pos)
    # JER
    jer_uc = [
        ("election-message", "election",
         '{"correlationId":"42","message":{"nominationMessage":{"nominee":"node-a"}}}',
         "ElectionMessage.message alternative 'nominationMessage' does not exist"),
        ("election-result", "election",
         '{"correlationId":"43","message":{"electionResult":{"assignment":{"active":"node-a","standby":"node-b"}}}}',
         "ElectionResult alternative 'assignment' (spelling of the module is 'assigment')"),
        ("monitor-message", "monitor",
         '{"correlationId":"7","componentId":"1001","message":{"heartbeat":{"billOfHealth":{"status":"ok"}}}}',
         "HealthMonitorMessage.message alternative 'heartbeat' (module: 'heartBeat')"),
        ("status-message-two-alternatives", "status",
         '{"correlationId":"11","message":{"getStatus":{},"statusIndication":{"status":"x"}}}',
         "ServiceStatusMessage.message object with two alternatives"),
        ("role-message-empty-object", "role",
         '{"correlationId":"9","message":{}}', "RoleMessage.message object with no alternative"),
    ]
    for tag, iface, text, desc in jer_uc:
        add("jer-unknown-choice-%s" % tag, iface, "jer", text, "unknown-choice", desc)

    # ---- truncated / trailing -------------------------------------------------------
    for rule in BINARY_RULES:
        for b in ("election-assigment", "monitor-heartbeat", "status-indication"):
            iface, value = base[b]
            e = a1enc(rule, iface, value)
            add("%s-truncated-%s-last-byte" % (rule, b), iface, rule, e[:-1], "truncated",
                "valid %s minus its last octet (%d of %d)" % (b, len(e) - 1, len(e)))
            add("%s-truncated-%s-half" % (rule, b), iface, rule, e[:len(e) // 2], "truncated",
                "valid %s cut to its first %d of %d octets" % (b, len(e) // 2, len(e)))
            if b == "status-indication":
                continue
            add("%s-trailing-%s-zero" % (rule, b), iface, rule, e + b"\x00", "trailing",
                "valid %s followed by one 00 octet" % b)
            add("%s-trailing-%s-junk" % (rule, b), iface, rule, e + bytes.fromhex("deadbeef"), "trailing",
                "valid %s followed by de ad be ef" % b)
        # an empty input
        add("%s-truncated-empty" % rule, "election", rule, b"", "truncated", "zero octets")

    # ---- huge-length ------------------------------------------------------------------
    L4 = bytes.fromhex("847fffffff")
    L4F = bytes.fromhex("84ffffffff")
    L8 = bytes.fromhex("887fffffffffffffff")
    for rule in ("ber", "der", "cer"):
        iface, value = base["election-nomination"]
        e = a1enc(rule, iface, value)
        cid = ber_path(e, [0])
        nom = ber_path(e, [1, 0, 0])
        cases = [("correlation-id-2g", cid, L4, "correlationId length 0x7fffffff (4-octet long form)"),
                 ("correlation-id-4g", cid, L4F, "correlationId length 0xffffffff (4-octet long form)"),
                 ("nominee-8-octet", nom, L8, "nominee length 2^63-1 (8-octet long form)")]
        if rule != "cer":  # CER's constructed encodings are indefinite: a definite one is wrong already
            cases += [("sequence-4g", 0, L4F, "ElectionMessage SEQUENCE length 0xffffffff"),
                      ("sequence-8-octet", 0, L8, "ElectionMessage SEQUENCE length 2^63-1 (8-octet long form)")]
        for tag, off, lb, desc in cases:
            add("%s-huge-length-election-%s" % (rule, tag), iface, rule, ber_set_length(e, off, lb),
                "huge-length", desc)
        iface, value = base["status-indication"]
        e = a1enc(rule, iface, value)
        st = ber_path(e, [1, 0, 0])
        add("%s-huge-length-status-4g" % rule, iface, rule, ber_set_length(e, st, L4F), "huge-length",
            "status length 0xffffffff (4-octet long form)")
    for rule in ("oer", "coer"):
        iface, value = base["election-nomination"]
        e = a1enc(rule, iface, value)
        # OER: correlationId length octet at 0; nominee is the last field (its length octet precedes 6 bytes)
        nom = len(e) - len("node-a") - 1
        assert e[nom] == 6 and e[0] == 2
        cases = [("election-correlation-id-2g", e[:0] + L4 + e[1:], "correlationId length 0x7fffffff"),
                 ("election-correlation-id-4g", L4F + e[1:], "correlationId length 0xffffffff"),
                 ("election-nominee-8-octet", e[:nom] + L8 + e[nom + 1:], "nominee length 2^63-1 (8-octet long form)")]
        iface2, value2 = base["status-indication"]
        e2 = a1enc(rule, iface2, value2)
        st = len(e2) - len("active peer=b:standby components=3/3") - 1
        assert e2[st] == len("active peer=b:standby components=3/3")
        for tag, data, desc in cases:
            add("%s-huge-length-%s" % (rule, tag), iface, rule, data, "huge-length", desc)
        add("%s-huge-length-status-4g" % rule, iface2, rule, e2[:st] + L4F + e2[st + 1:], "huge-length",
            "status length 0xffffffff")
        add("%s-huge-length-status-length-of-length-127" % rule, iface2, rule,
            e2[:st] + b"\xff" + b"\xff" * 4 + e2[st + 1:], "huge-length",
            "status length determinant 0xff: 127 length octets announced, 4 present")
    for rule in ("uper", "aper"):
        # UTF8String SIZE is not PER-visible: nominee/status lengths are unconstrained determinants.
        # Encode a really long value with the relaxed spec, then keep only a few content octets.
        for tag, iface, mk, n, desc in [
            ("election-nominee-16383", "election", lambda s: nomination("42", s), 16383,
             "nominee length determinant 16383 (2-octet form 0xbfff), 4 content octets present"),
            ("election-nominee-64k-fragment", "election", lambda s: nomination("42", s), 65536,
             "nominee length determinant: a 64K fragment (0xc4), 4 content octets present"),
            ("status-64k-fragment", "status", lambda s: status_ind("11", s), 65536,
             "status length determinant: a 64K fragment (0xc4), 4 content octets present"),
        ]:
            full = a1_encode(a1r, iface, rule, mk("x" * n), check=False)
            data = full[:len(full) - n + 4]
            add("%s-huge-length-%s" % (rule, tag), iface, rule, data, "huge-length", desc)

    # ---- indefinite-length --------------------------------------------------------------
    iface, value = base["election-nomination"]
    der = a1enc("der", iface, value)
    # DER: the SEQUENCE with indefinite length (the CER form)
    hl, cl = ber_tlv(der, 0)
    data = der[:1] + b"\x80" + der[hl:] + b"\x00\x00"
    add("der-indefinite-length-election-sequence", iface, "der", data, "indefinite-length",
        "ElectionMessage SEQUENCE with indefinite length + end-of-contents (legal BER/CER, not DER)")
    # DER: every constructed TLV indefinite = exactly pycrate's CER
    add("der-indefinite-length-election-cer-form", iface, "der", a1enc("cer", iface, value), "indefinite-length",
        "the CER encoding (all constructed TLVs indefinite) offered as DER")
    ivalue = base["monitor-heartbeat"][1]
    mder = a1enc("der", "monitor", ivalue)
    msg = ber_path(mder, [2])
    hl, cl = ber_tlv(mder, msg)
    data = mder[:msg + 1] + b"\x80" + mder[msg + hl: msg + hl + cl] + b"\x00\x00" + mder[msg + hl + cl:]
    data = ber_set_length(data, 0, bytes([len(data) - 2]))
    add("der-indefinite-length-monitor-message", "monitor", "der", data, "indefinite-length",
        "HealthMonitorMessage.message [2] with indefinite length inside a definite SEQUENCE")
    # a primitive with indefinite length: illegal in BER, DER and CER alike
    for rule in ("ber", "der", "cer"):
        e = a1enc(rule, iface, value)
        cid = ber_path(e, [0])
        hl, cl = ber_tlv(e, cid)
        data = e[:cid + 1] + b"\x80" + e[cid + hl: cid + hl + cl] + b"\x00\x00" + e[cid + hl + cl:]
        if ber_tlv(data, 0)[1] is not None:
            data = ber_set_length(data, 0, bytes([len(data) - 2]))
        add("%s-indefinite-length-primitive-correlation-id" % rule, iface, rule, data, "indefinite-length",
            "correlationId (primitive NumericString) with indefinite length: illegal in every BER family rule")

    # ---- bad-json -------------------------------------------------------------------------
    good = '{"correlationId":"42","message":{"nominationMsg":{"nominee":"node-a"}}}'
    assert a1_encode(a1, "election", "jer", base["election-nomination"][1]).decode() == good
    bad = [
        ("syntax-missing-brace", "election", good[:-1], "closing brace missing"),
        ("syntax-trailing-comma", "election", good[:-1] + ",}", "trailing comma"),
        ("syntax-single-quotes", "election", good.replace('"', "'"), "single quotes"),
        ("syntax-trailing-garbage", "election", good + "x", "valid JSON followed by 'x'"),
        ("empty-text", "election", "", "no text at all"),
        ("truncated-half", "election", good[:len(good) // 2], "valid text cut in half"),
        ("not-an-object", "election", '["42",{"nominationMsg":{"nominee":"node-a"}}]', "array instead of object"),
        ("wrong-key-case", "election", good.replace("correlationId", "correlationID"), "key 'correlationID'"),
        ("unknown-extra-key", "election", good[:-1] + ',"priority":1}', "extra member 'priority'"),
        ("missing-message", "election", '{"correlationId":"42"}', "member 'message' missing"),
        ("missing-correlation-id", "election", '{"message":{"nominationMsg":{"nominee":"node-a"}}}',
         "member 'correlationId' missing"),
        ("number-correlation-id", "election", good.replace('"42"', "42"), "correlationId as a JSON number"),
        ("number-nominee", "election", good.replace('"node-a"', "7"), "nominee as a JSON number"),
        ("null-nominee", "election", good.replace('"node-a"', "null"), "nominee null"),
        ("string-sequence", "election", '{"correlationId":"42","message":{"nominationMsg":"node-a"}}',
         "NominationMessage as a string"),
        ("number-component-id", "monitor",
         '{"correlationId":"7","componentId":1001,"message":{"heartBeat":{"billOfHealth":{"status":"ok"}}}}',
         "componentId as a JSON number"),
        ("unknown-enum", "monitor",
         '{"correlationId":"7","componentId":"1001","message":{"heartBeat":{"billOfHealth":{"status":"degraded"}}}}',
         "ComponentStatus 'degraded' does not exist"),
        ("enum-as-number", "role", '{"correlationId":"9","message":{"setRole":{"role":0}}}',
         "ENUMERATED as a number"),
        ("empty-sequence-as-null", "status", '{"correlationId":"17","message":{"getStatus":null}}',
         "empty SEQUENCE GetStatus as null"),
        ("lone-surrogate-escape", "status", '{"correlationId":"11","message":{"statusIndication":{"status":"\\ud800"}}}',
         "lone surrogate escape in status"),
    ]
    for tag, iface, text, desc in bad:
        add("jer-bad-json-%s" % tag, iface, "jer", text, "bad-json", desc)

    replication_malformed(add, a1enc, a1)
    return out


# ---------------------------------------------------------------------------

def dump(path, obj):
    text = json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    texts = module_texts()
    a1 = compile_a1(texts)
    a1r = compile_a1({i: relax(t) for i, t in texts.items()})
    A1R[0] = a1r
    pc = compile_pycrate(texts)
    pcr = compile_pycrate({i: relax(t) for i, t in texts.items()})
    generator = "asn1tools %s; pycrate %s" % (version("asn1tools"), version("pycrate"))

    # pycrate's basic OER and canonical OER must agree for these types
    valid, disagreements = make_valid(a1, pc)
    oer_coer_same = 0
    for v in valid:
        p = pc_encode(pc, v["interface"], "oer", VALID_BY_NAME[v["name"]])
        q = pc_encode(pc, v["interface"], "coer", VALID_BY_NAME[v["name"]])
        if p != q:
            log("NOTE pycrate OER and COER differ for %s" % v["name"])
        else:
            oer_coer_same += 1
    malformed = make_malformed(a1, a1r, pc, pcr)

    note = "generated by conformance/peer/regen.sh; do not edit"
    os.makedirs(OUT, exist_ok=True)
    dump(os.path.join(OUT, "valid.json"),
         {"generator": generator, "note": note, "vectors": valid, "disagreements": disagreements})
    dump(os.path.join(OUT, "malformed.json"),
         {"generator": generator, "note": note, "vectors": malformed})

    # summary
    print("\n== %s" % generator)
    print("valid vectors: %d" % len(valid))
    for r in ALL_RULES:
        print("  %-5s %d" % (r, sum(1 for v in valid if r in v["encodings"])))
    cer_bad = sorted({d["vector"] for d in disagreements if d["what"].startswith("asn1tools BER decode")})
    print("asn1tools decode(check_constraints=True) gives back every valid value in ber der uper aper oer "
          "coer jer (asserted); its BER decoder reads back the cer vectors %s" % (
              "all" if not cer_bad else "except " + ", ".join(cer_bad)))
    print("malformed vectors: %d" % len(malformed))
    for r in ALL_RULES:
        ms = [m for m in malformed if m["encoding"] == r]
        kinds = {}
        for m in ms:
            kinds.setdefault(m["kind"], [0, 0])
            kinds[m["kind"]][0] += 1
            kinds[m["kind"]][1] += m["peer_rejects"]
        print("  %-5s %3d  %s" % (r, len(ms), ", ".join(
            "%s %d (asn1tools rejects %d)" % (k, n, rj) for k, (n, rj) in sorted(kinds.items()))))
    print("pycrate to_oer == to_coer on %d of %d valid vectors" % (oer_coer_same, len(valid)))
    print("disagreements asn1tools vs pycrate on valid vectors: %d" % len(disagreements))
    for r in ALL_RULES:
        bad = sorted({d["vector"] for d in disagreements if d["rule"] == r})
        print("  %-5s %2d of %d vectors: %s" % (r, len(bad), len(valid), ", ".join(bad) or "full agreement"))
    acc = [m for m in malformed if not m["peer_rejects"]]
    print("malformed vectors asn1tools accepts: %d" % len(acc))
    for m in acc:
        print("  %s: %s" % (m["name"], m.get("peer_note", "")[:120]))
    acc = [m for m in malformed if not m["pycrate_rejects"]]
    print("malformed vectors pycrate accepts: %d" % len(acc))
    for m in acc:
        print("  %s" % m["name"])


VALID_BY_NAME = {n: val for n, _, val in VALID}

if __name__ == "__main__":
    main()
