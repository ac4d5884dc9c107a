#!/usr/bin/env bash
# Times baton's codec and asn1c's on the same five messages, back to back in one run, and
# prints the ratio table baton/asn1c (below 1: baton is faster).
#   bash bench/codec-ratios.sh [NAME...]
# Needs: cargo, python3, gcc; installs asn1c with apt-get if missing (bench/asn1c/run.sh).
# Knobs: BATON_BENCH_BATCHES / ASN1C_BENCH_BATCHES (31), *_TARGET_MS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(election-nomination election-assigment monitor-heartbeat role-setrole status-indication)
work=bench/asn1c/work
mkdir -p "$work"
echo "== building (release)" >&2
cargo bench -q -p baton-codec --bench table --no-run >&2
echo "== baton: ${names[*]}" >&2
cargo bench -q -p baton-codec --bench table -- "${names[@]}" > "$work/baton.tsv"
echo "== asn1c" >&2
python3 bench/asn1c/cases.py conformance/vectors/valid.json "${names[@]}" > "$work/cases.tsv"
asn1c_status=0
bash bench/asn1c/run.sh "$work/cases.tsv" > "$work/asn1c.tsv" || asn1c_status=$?
if [ "$asn1c_status" -eq 3 ]; then
  echo "asn1c is not available here: printing baton's figures alone" >&2
  : > "$work/asn1c.tsv"
elif [ "$asn1c_status" -ne 0 ]; then
  echo "bench/asn1c/run.sh failed (status $asn1c_status)" >&2
  exit 1
fi
python3 bench/ratios.py "$work/baton.tsv" "$work/asn1c.tsv"
