#!/usr/bin/env bash
# Bounded fuzz smoke (fuzz/README.md): every target for about 30 s on the stable toolchain, fixed
# seed, no sanitizer. The committed corpus is read-only: new inputs go to a scratch folder.
# Exit 0 when clean (or when cargo-fuzz cannot be installed: skipped, with a message),
# exit 1 on a crash, printing the artifact.
#
#   bash fuzz/smoke.sh              # all targets, 30 s each
#   FUZZ_SECONDS=10 bash fuzz/smoke.sh decode frames
set -uo pipefail
cd "$(dirname "$0")"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(decode frames broken_field node_ops replication)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz not found: installing cargo-fuzz 0.13.2"
  if ! cargo install cargo-fuzz --version 0.13.2 --locked >/tmp/baton-cargo-fuzz-install.log 2>&1; then
    echo "SKIPPED: fuzz smoke not run, cargo-fuzz 0.13.2 could not be installed:"
    tail -5 /tmp/baton-cargo-fuzz-install.log
    exit 0
  fi
fi
cargo fuzz --version

echo "building the targets (-s none)"
if ! cargo fuzz build -s none >/tmp/baton-fuzz-build.log 2>&1; then
  echo "fuzz targets do not build:"
  tail -30 /tmp/baton-fuzz-build.log
  exit 1
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "$scratch/$t" "$scratch/artifacts/$t" "corpus/$t"
  echo "== fuzz $t for ${SECONDS_PER_TARGET}s"
  log="$scratch/$t.log"
  cargo fuzz run -s none "$t" "$scratch/$t" "corpus/$t" -- \
    -seed=1 -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
    -artifact_prefix="$scratch/artifacts/$t/" >"$log" 2>&1
  rc=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|Done [0-9]+ runs' "$log" | tr '\n' ' '
  echo
  crash="$(ls "$scratch/artifacts/$t" 2>/dev/null | head -1)"
  if [ $rc -ne 0 ] || [ -n "$crash" ]; then
    status=1
    echo "CRASH in $t (exit $rc):"
    sed -n '/panicked at/,/stack backtrace/p' "$log" | head -60
    grep -E 'ERROR: libFuzzer|SUMMARY' "$log" | head -5
    for f in "$scratch/artifacts/$t"/*; do
      [ -f "$f" ] || continue
      mkdir -p "artifacts/$t"
      cp "$f" "artifacts/$t/"
      echo "artifact: fuzz/artifacts/$t/$(basename "$f") ($(wc -c <"$f") bytes): $(od -An -tx1 -v "$f" | tr -d ' \n' | head -c 400)"
    done
    echo "reproduce: cd fuzz && cargo fuzz run -s none $t artifacts/$t/<file>"
  fi
done
exit $status
