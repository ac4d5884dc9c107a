#!/usr/bin/env python3
"""Turn the conformance vector file into run.sh's input TSV.

Usage:
    cases.py [--rules ber,der,uper] VECTORS_JSON NAME...

VECTORS_JSON: {"vectors": [{"name", "interface", "value", "encodings": {rule: hex, ...}}]}
Prints one line per (name, rule) to stdout, in the order given:
    name<TAB>interface<TAB>rule<TAB>hex
Rules missing from a vector's encodings are skipped with a note on stderr.
A NAME that is not in the file, or a vector whose interface is not one of
election|role|monitor|status, is an error (exit 2).
"""
import argparse
import json
import re
import sys

INTERFACES = ("election", "role", "monitor", "status")
# Rules asn1c 0.9.28 can encode and decode (see README.md).
DEFAULT_RULES = ("ber", "der", "uper")


def interface_of(raw):
    """Accept 'election', 'failover-election-interface', 'ElectionMessage', ..."""
    s = str(raw).lower()
    if s in INTERFACES:
        return s
    hits = [i for i in INTERFACES if i in s]
    if len(hits) == 1:
        return hits[0]
    if "healthmonitor" in s or "monitor" in s:
        return "monitor"
    if "servicestatus" in s:
        return "status"
    return None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", default=",".join(DEFAULT_RULES),
                    help="comma-separated encoding rules (default: %(default)s)")
    ap.add_argument("vectors")
    ap.add_argument("names", nargs="+")
    args = ap.parse_args(argv)
    rules = [r.strip() for r in args.rules.split(",") if r.strip()]

    with open(args.vectors, encoding="utf-8") as f:
        doc = json.load(f)
    vectors = doc["vectors"] if isinstance(doc, dict) else doc
    by_name = {}
    for v in vectors:
        by_name.setdefault(v.get("name"), v)

    status = 0
    out = []
    for name in args.names:
        v = by_name.get(name)
        if v is None:
            print(f"cases.py: no vector named {name!r} in {args.vectors}", file=sys.stderr)
            status = 2
            continue
        iface = interface_of(v.get("interface", ""))
        if iface is None:
            print(f"cases.py: {name}: unknown interface {v.get('interface')!r}", file=sys.stderr)
            status = 2
            continue
        enc = v.get("encodings", {})
        for rule in rules:
            hx = enc.get(rule)
            if hx is None:
                print(f"cases.py: {name}: no {rule} encoding, skipped", file=sys.stderr)
                continue
            hx = re.sub(r"\s+", "", str(hx)).lower()
            if hx.startswith("0x"):
                hx = hx[2:]
            if not re.fullmatch(r"(?:[0-9a-f]{2})*", hx):
                print(f"cases.py: {name}: {rule} encoding is not hex", file=sys.stderr)
                status = 2
                continue
            out.append(f"{name}\t{iface}\t{rule}\t{hx}")
    sys.stdout.write("".join(line + "\n" for line in out))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
