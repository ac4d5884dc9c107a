#!/usr/bin/env python3
"""Write a stand-in for conformance/vectors/valid.json with the five bench messages.

Only for testing bench/asn1c before the real vector file exists. Needs asn1tools
(run.sh does not use this; see README.md). Usage:
    make_temp_vectors.py ASN1_DIR OUT_JSON
"""
import json
import sys
from pathlib import Path

import asn1tools

MODULES = {
    "election": ("failover-election-interface.asn", "ElectionMessage"),
    "role": ("failover-role-interface.asn", "RoleMessage"),
    "monitor": ("failover-monitor-interface.asn", "HealthMonitorMessage"),
    "status": ("failover-status-interface.asn", "ServiceStatusMessage"),
}

CASES = [
    ("election-nomination", "election",
     {"correlationId": "42", "message": ("nominationMsg", {"nominee": "node-a"})}),
    ("election-assigment", "election",
     {"correlationId": "43",
      "message": ("electionResult", ("assigment", {"active": "node-a", "standby": "node-b"}))}),
    ("monitor-heartbeat", "monitor",
     {"correlationId": "7", "componentId": "1001",
      "message": ("heartBeat", {"billOfHealth": {"status": "ok"}})}),
    ("role-setrole", "role",
     {"correlationId": "9", "message": ("setRole", {"role": "active"})}),
    ("status-indication", "status",
     {"correlationId": "11",
      "message": ("statusIndication", {"status": "active peer=b:standby components=3/3"})}),
]

RULES = ["ber", "der", "uper", "per", "oer"]
NAMES = {"per": "aper"}  # asn1tools calls aligned PER "per"


def main():
    asn1_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    specs = {}
    for iface, (fname, _) in MODULES.items():
        specs[iface] = {r: asn1tools.compile_files(str(asn1_dir / fname), r) for r in RULES}
    vectors = []
    for name, iface, value in CASES:
        pdu = MODULES[iface][1]
        enc = {NAMES.get(r, r): specs[iface][r].encode(pdu, value, check_constraints=True).hex() for r in RULES}
        vectors.append({"name": name, "interface": iface, "value": repr(value), "encodings": enc})
    out.write_text(json.dumps({"vectors": vectors}, indent=1) + "\n")


if __name__ == "__main__":
    main()
