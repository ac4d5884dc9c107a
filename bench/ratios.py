#!/usr/bin/env python3
"""Joins baton's and asn1c's `name rule op ns_median` TSVs into the ratio table.

usage: ratios.py BATON_TSV ASN1C_TSV
Prints a Markdown table per operation and a summary: the worst ratio per rule.
"""
import sys
from collections import defaultdict


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4:
                out[(parts[0], parts[1], parts[2])] = float(parts[3])
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    baton, asn1c = load(sys.argv[1]), load(sys.argv[2])
    names = list(dict.fromkeys(k[0] for k in baton))
    rules = list(dict.fromkeys(k[1] for k in baton))
    worst = defaultdict(float)
    print("median ns per message (one run; ratio = baton/asn1c, below 1 means baton is faster)\n")
    print("| message | rule | op | baton ns | asn1c ns | ratio |")
    print("|---|---|---|---:|---:|---:|")
    for name in names:
        for rule in rules:
            for op in ("decode", "encode"):
                b = baton.get((name, rule, op))
                if b is None:
                    continue
                a = asn1c.get((name, rule, op))
                ratio = f"{b / a:.2f}" if a else "-"
                if a:
                    worst[(rule, op)] = max(worst[(rule, op)], b / a)
                shown = f"{a:.1f}" if a else "-"
                print(f"| {name} | {rule} | {op} | {b:.1f} | {shown} | {ratio} |")
    if worst:
        print("\nworst ratio per rule and op (goal: at most 1.00 for every rule asn1c has)\n")
        print("| rule | op | worst baton/asn1c |")
        print("|---|---|---:|")
        for (rule, op), r in sorted(worst.items()):
            print(f"| {rule} | {op} | {r:.2f} |")
    else:
        print("\n(no asn1c figures: ratios not computed)")


if __name__ == "__main__":
    main()
