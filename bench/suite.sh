#!/usr/bin/env bash
# The failover / switchover / scale / soak suite, with keepalived side by side (see
# bench/suite/README.md).
#   bash bench/suite.sh                 # everything: about 47 minutes (the soak 10, faults 12)
#   bash bench/suite.sh --quick         # a 4-minute check that every section works (faults: 2)
#   bash bench/suite.sh failover --trials 50 --intervals 10
#   bash bench/suite.sh failover --tls      # a mutual-TLS pair beside the plaintext one
#   bash bench/suite.sh faults --faults 10  # clusters in namespaces under faults, corosync beside
#   bash bench/suite.sh soak --soak-realtime both  # the soak normal, then with realtime = true
#   bash bench/suite.sh vip --trials 20 --intervals 10,100 --plots bench/plots  # VIP outage (--vip-realtime: both RT)
#   bash bench/suite.sh replication        # one link: updates/s, lag, restore (about 1 minute)
#   bash bench/suite.sh replication-campaign --kills 1000  # SIGKILLs under a replication load
# Tables go to standard output and to target/bench-suite/report.md, every sample to
# target/bench-suite/samples.json. Options: target/release/baton-bench --help.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-suite
mkdir -p "$out"

# keepalived 2.2.7 from Debian, for the side-by-side rows. Without root or apt the suite says
# so and skips those rows.
if ! command -v keepalived >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench/suite.sh: installing keepalived (Debian) for the side-by-side rows" >&2
    (apt-get install -y -q keepalived >"$out/apt.log" 2>&1 ||
      { apt-get update -q >>"$out/apt.log" 2>&1 && apt-get install -y -q keepalived >>"$out/apt.log" 2>&1; }) ||
      echo "bench/suite.sh: could not install keepalived (see $out/apt.log); its rows will be skipped" >&2
  fi
fi

# corosync 3.1.7 from Debian, for the faults section's quorum comparison (same rule).
if ! command -v corosync >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench/suite.sh: installing corosync (Debian) for the faults section's comparison" >&2
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -q corosync >>"$out/apt.log" 2>&1 ||
    { apt-get update -q >>"$out/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q corosync >>"$out/apt.log" 2>&1; }) ||
    echo "bench/suite.sh: could not install corosync (see $out/apt.log); its rows will say so" >&2
fi

# etcd 3.4 from Debian (etcd-server), for the faults section's etcd-mode cluster (same rule).
if ! command -v etcd >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench/suite.sh: installing etcd-server (Debian) for the faults section's etcd mode" >&2
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >>"$out/apt.log" 2>&1 ||
    { apt-get update -q >>"$out/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >>"$out/apt.log" 2>&1; }) ||
    echo "bench/suite.sh: could not install etcd-server (see $out/apt.log); its rows will say so" >&2
fi

cargo build -q --release -p baton-node -p baton-bench
exec target/release/baton-bench --out "$out/report.md" --json "$out/samples.json" "$@"
