#!/usr/bin/env bash
# Runs the independent Python status client (baton_client.py) against real `baton node` processes
# on loopback, in plaintext and then over mutual TLS (PROTOCOL 3.4: Python's ssl against the node's
# rustls, certificates from `baton certs`), and exits non-zero on any mismatch. Skips (exit 0) when
# python3, venv, pip or PyPI is unavailable. Bounded: every step has a timeout, and the test after
# the build fails if it takes 55 s or more; with baton built it takes about 10 to 20 s.
#
#   bash conformance/python_client/test_against_node.sh
#
# Environment: BATON_BIN=path/to/baton skips `cargo build`; KEEP=1 keeps the temporary folder.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CLIENT="$HERE/baton_client.py"
PY="$REPO/.venv/bin/python"
BUDGET=55          # seconds for everything after the build; the test fails beyond it
T_START=$(date +%s%N)

say()  { echo "test_against_node: $*"; }
skip() { say "SKIP: $*"; exit 0; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# ---- prerequisites: python3 + the pinned asn1tools (skip if they cannot be had) -------------
command -v python3 >/dev/null 2>&1 || skip "python3 not found (needed for the independent client)"
command -v timeout >/dev/null 2>&1 || { say "FAIL: coreutils 'timeout' not found"; exit 1; }
if ! inst_out=$(timeout 120 bash "$REPO/conformance/peer/install.sh" 2>&1); then
    echo "$inst_out" | sed 's/^/  /'
    skip "conformance/peer/install.sh could not provide asn1tools (python3 venv, pip or PyPI unavailable)"
fi
"$PY" -c 'import asn1tools' 2>/dev/null || skip "asn1tools not importable from $PY"

# ---- the node binary ------------------------------------------------------------------------
if [ -n "${BATON_BIN:-}" ]; then
    BATON="$BATON_BIN"
else
    t=$(date +%s%N)
    (cd "$REPO" && timeout 900 cargo build -q -p baton-node) || { say "FAIL: cargo build -p baton-node"; exit 1; }
    BATON="$REPO/target/debug/baton"
    say "build: $(ms_since "$t") ms"
fi
[ -x "$BATON" ] || { say "FAIL: $BATON is not executable"; exit 1; }

T0=$(date +%s%N)   # the budget starts here
DIR="$(mktemp -d "${TMPDIR:-/tmp}/baton-pyclient.XXXXXX")"
PIDS=()
FAILED=0

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ "$FAILED" != 0 ]; then
        for f in "$DIR"/*.err; do
            [ -f "$f" ] || continue
            echo "---- $(basename "$f") (last 15 lines)"; tail -n 15 "$f"
        done
    fi
    if [ -n "${KEEP:-}" ]; then say "kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { FAILED=1; say "FAIL: $*"; exit 1; }
ok()   { say "ok   $*"; }
budget() { [ $(( ($(date +%s%N) - T0) / 1000000000 )) -lt $BUDGET ] || fail "over the ${BUDGET} s budget"; }

# client ARGS...: the client with short timeouts, itself under a hard timeout
client() { timeout 10 "$PY" "$CLIENT" --timeout 2 --connect-timeout 2 "$@"; }

# ---- offline: PROTOCOL.md's own examples and framing rules ------------------------------------
out=$(client selftest) || { echo "$out"; fail "selftest"; }
ok "selftest: $(echo "$out" | tail -n 1)"

# ---- free loopback ports (bound together, so distinct) -----------------------------------------
OTHER_RULES=(ber aper oer coer jer)   # one lone node each, checked through the library API
NFIXED=12                             # DER pair, UPER pair, TLS pair: 2 peer + 2 status ports each
read -r -a PORTS < <("$PY" - $((NFIXED + 3 * ${#OTHER_RULES[@]})) <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
[ "${#PORTS[@]}" = $((NFIXED + 3 * ${#OTHER_RULES[@]})) ] || fail "no free ports"
read -r P1 P2 S1 S2 P3 P4 S3 S4 P5 P6 S5 S6 <<< "${PORTS[*]:0:$NFIXED}"

# write_config NAME ENCODING PEER_PORT_ALPHA PEER_PORT_BETA STATUS_PORT [CERTS]: writes
# $DIR/NAME-ENCODING.toml, or with CERTS (a `baton certs init` folder) $DIR/NAME-ENCODING-tls.toml
# with a [tls] table (the format: docs/OPERATIONS.md, "TLS")
write_config() {
    local f="$DIR/$1-$2${6:+-tls}"
    cat > "$f.toml" <<EOF
# baton_client test: member $1
name = "$1"
log = "info"
encoding = "$2"

[[member]]
name = "alpha"
id = "1"
address = "127.0.0.1:$3"

[[member]]
name = "beta"
id = "2"
address = "127.0.0.1:$4"

[listen]
component_socket = "$f.sock"
status = "127.0.0.1:$5"
control_socket = "$f.ctl"
EOF
    [ -z "${6:-}" ] || cat >> "$f.toml" <<EOF

[tls]
ca = "$6/ca.pem"
cert = "$6/$1.pem"
key = "$6/$1.key"
EOF
}

# start NAME CONFIG: starts a node in the background, records its pid in PID_<NAME>
start() {
    "$BATON" node --config "$DIR/$2.toml" 2> "$DIR/$2.err" &
    PIDS+=("$!")
    printf -v "PID_$1" '%s' "$!"
}

# first_word ADDRESS [ENC [CLIENT_OPTIONS...]]: the state word of the node's status line, or empty
first_word() { client --address "$1" --encoding "${2:-der}" "${@:3}" status 2>/dev/null | awk '{print $1}'; }

# wait_pair ADDR_A ADDR_B ENC [CLIENT_OPTIONS...]: until one is active and the other standby (10 s at most)
wait_pair() {
    local a b t=$(date +%s%N)
    for _ in $(seq 100); do
        a=$(first_word "$1" "$3" "${@:4}"); b=$(first_word "$2" "$3" "${@:4}")
        if { [ "$a" = active ] && [ "$b" = standby ]; } || { [ "$a" = standby ] && [ "$b" = active ]; }; then
            READY_MS=$(ms_since "$t"); return 0
        fi
        sleep 0.1
    done
    fail "pair at $1 / $2 ($3) not ready in 10 s: '$a' / '$b'"
}

# ---- a DER pair ------------------------------------------------------------------------------
write_config alpha der "$P1" "$P2" "$S1"
write_config beta der "$P1" "$P2" "$S2"
"$BATON" check-config "$DIR/alpha-der.toml" >/dev/null || fail "config alpha-der rejected"
start alpha alpha-der
start beta beta-der
A=127.0.0.1:$S1; B=127.0.0.1:$S2
wait_pair "$A" "$B" der
ok "DER pair ready after $READY_MS ms of polling"

# status: one active, one standby; each line names the other member as its peer (section 6.7)
la=$(client --address "$A" status) || fail "status on alpha"
lb=$(client --address "$B" status) || fail "status on beta"
say "     alpha: $la"; say "     beta:  $lb"
wa=${la%% *}; wb=${lb%% *}
if [ "$wa" = active ] && [ "$wb" = standby ]; then ACT=alpha; STB=beta; ACT_ADDR=$A; STB_ADDR=$B
elif [ "$wa" = standby ] && [ "$wb" = active ]; then ACT=beta; STB=alpha; ACT_ADDR=$B; STB_ADDR=$A
else fail "expected active/standby, got '$wa' / '$wb'"; fi
case " $la " in *" peer=beta:$wb "*) ;; *) fail "alpha's line does not say peer=beta:$wb: $la";; esac
case " $lb " in *" peer=alpha:$wa "*) ;; *) fail "beta's line does not say peer=alpha:$wa: $lb";; esac
ok "status: $ACT active, $STB standby, each names the other as peer"

# --json parses the line per section 6.7
j=$(client --address "$ACT_ADDR" --json status) || fail "status --json"
"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["state"]=="active" and d["peer"]["state"]=="standby", d' "$j" \
    || fail "status --json: $j"
ok "status --json: $j"

# health: answered, ok, componentId = the node's member id (section 2.6)
ha=$(client --address "$A" health) || fail "health on alpha: '$ha'"
hb=$(client --address "$B" health) || fail "health on beta: '$hb'"
[ "$ha" = "ok componentId=1" ] || fail "health alpha: '$ha' (want 'ok componentId=1')"
[ "$hb" = "ok componentId=2" ] || fail "health beta: '$hb' (want 'ok componentId=2')"
ok "health: alpha '$ha', beta '$hb'"
budget

# watch the standby, SIGKILL the active: an indication 'active ...' within 5 s
# (not through client(): $! must be the pid of `timeout`, which passes a TERM on to Python)
timeout 10 "$PY" "$CLIENT" --timeout 2 --connect-timeout 2 --address "$STB_ADDR" \
    watch --timestamps --initial --until active --duration 5 > "$DIR/watch.out" 2> "$DIR/watch.err" &
WATCH=$!; PIDS+=("$WATCH")
for _ in $(seq 50); do grep -q ' current ' "$DIR/watch.out" && break; sleep 0.1; done
grep -q '^[0-9.]* current standby ' "$DIR/watch.out" || fail "watch did not start: $(cat "$DIR/watch.out" "$DIR/watch.err")"
pid_var="PID_$ACT"; t_kill=$(date +%s%N)
kill -KILL "${!pid_var}"
{ wait "$WATCH"; rc=$?; } 2>/dev/null   # (bash's "Killed" notice for the node goes nowhere)
wait "${!pid_var}" 2>/dev/null
sed 's/^[0-9.]* /     watch: /' "$DIR/watch.out"
[ "$rc" = 0 ] || fail "watch on $STB exited $rc: $(cat "$DIR/watch.err")"
t_ind=$(awk '$2 == "indication" && $3 == "active" {print $1; exit}' "$DIR/watch.out")
[ -n "$t_ind" ] || fail "no 'indication active' from $STB"
failover_ms=$(awk -v a="$t_ind" -v k="$t_kill" 'BEGIN {printf "%.1f", (a - k / 1e9) * 1000}')
ok "watch: $STB indicated active ${failover_ms} ms after SIGKILL of $ACT (bound 5 s)"

ls=$(client --address "$STB_ADDR" status) || fail "status on $STB after failover"
case "$ls" in "active peer=$ACT:down"*) ;; *) fail "after failover $STB says '$ls' (want 'active peer=$ACT:down')";; esac
ok "status after failover: $ls"
hs=$(client --address "$STB_ADDR" health) || fail "health on $STB after failover"
ok "health after failover: $hs"

# a link to the killed node is refused cleanly (exit 3, one line)
if out=$(client --address "$ACT_ADDR" status 2>&1); then fail "status on the killed node answered: $out"; fi
ok "status on the killed node: $out"
budget

# ---- a UPER pair -----------------------------------------------------------------------------
write_config alpha uper "$P3" "$P4" "$S3"
write_config beta uper "$P3" "$P4" "$S4"
start alpha alpha-uper
start beta beta-uper
UA=127.0.0.1:$S3; UB=127.0.0.1:$S4
wait_pair "$UA" "$UB" uper
ua=$(client --address "$UA" --encoding uper status) || fail "UPER status on alpha"
ub=$(client --address "$UB" --encoding uper status) || fail "UPER status on beta"
ok "UPER status: alpha '$ua', beta '$ub'"
uh=$(client --address "$UA" --encoding uper health) || fail "UPER health on alpha"
ok "UPER health: alpha '$uh'"
# the rule matters: a DER client on a UPER link must fail (node closes, or bytes do not decode)
if out=$(client --address "$UA" --encoding der status 2>&1); then fail "DER query on a UPER node answered: $out"; fi
ok "DER query on the UPER node refused: $out"
budget

# ---- every other rule of section 3.3 the client offers: lone nodes, the library API ----------
# A lone node promotes after startup_wait (section 5.6); its peer has never been seen: `unknown`.
specs=()
i=$NFIXED
for rule in "${OTHER_RULES[@]}"; do
    write_config alpha "$rule" "${PORTS[$i]}" "${PORTS[$((i + 1))]}" "${PORTS[$((i + 2))]}"
    start "lone_$rule" "alpha-$rule"
    specs+=("$rule=127.0.0.1:${PORTS[$((i + 2))]}")
    i=$((i + 3))
done
out=$(timeout 20 "$PY" - "$HERE" "${specs[@]}" <<'PY' 2>&1
import sys, time
sys.path.insert(0, sys.argv[1])
import baton_client as bc
bad = 0
for spec in sys.argv[2:]:
    rule, address = spec.split("=", 1)
    deadline, line, h, err = time.monotonic() + 8, None, None, None
    while time.monotonic() < deadline:
        try:
            with bc.BatonClient(address, rule, timeout=2) as c:
                line = c.get_status()
                if line.state == "active":
                    h = c.health()
                    break
        except bc.BatonError as e:
            err = e
        time.sleep(0.1)
    if line is not None and line.state == "active" and line.peer == ("beta", "unknown") and h is not None \
            and h.status == "ok" and h.component_id == "1":
        print("%-4s status '%s', health %s componentId=%s" % (rule, line.text, h.status, h.component_id))
    else:
        bad += 1
        print("%-4s MISMATCH: line %r, health %r, last error %s" % (rule, line and line.text, h, err))
sys.exit(1 if bad else 0)
PY
) || { echo "$out" | sed 's/^/     /'; fail "other rules"; }
echo "$out" | sed 's/^/     /'
ok "rules ${OTHER_RULES[*]}: status and health through the library API"
budget

# ---- a TLS pair (PROTOCOL 3.4): the client's TLS is Python's ssl, not the node's rustls -------
# Certificates from the built `baton certs`; a read-only client certificate `py`; another CA's
# (same names) for the refusals. Every client call below is mutual TLS unless it says otherwise.
CERTS="$DIR/certs"; OTHER="$DIR/other-ca"
for d in "$CERTS" "$OTHER"; do
    out=$("$BATON" certs init "$d" alpha beta 2>&1) || { echo "$out"; fail "baton certs init $d"; }
    out=$("$BATON" certs client "$d" py 2>&1) || { echo "$out"; fail "baton certs client $d py"; }
done
TLS=(--ca "$CERTS/ca.pem" --cert "$CERTS/py.pem" --key "$CERTS/py.key")
write_config alpha der "$P5" "$P6" "$S5" "$CERTS"
write_config beta der "$P5" "$P6" "$S6" "$CERTS"
out=$("$BATON" check-config "$DIR/alpha-der-tls.toml" 2>&1) || { echo "$out"; fail "config alpha-der-tls rejected"; }
case "$out" in *TLS*) ;; *) fail "check-config does not report TLS: $out";; esac
start tls_alpha alpha-der-tls
start tls_beta beta-der-tls
TA=127.0.0.1:$S5; TB=127.0.0.1:$S6
wait_pair "$TA" "$TB" der "${TLS[@]}"
ok "TLS pair ready after $READY_MS ms of polling (client certificate py, read-only)"

# status on each, the node's certificate checked to speak for the member at that address
la=$(client --address "$TA" "${TLS[@]}" --expect-member alpha status) || fail "TLS status on alpha"
lb=$(client --address "$TB" "${TLS[@]}" --expect-member beta status) || fail "TLS status on beta"
say "     alpha: $la"; say "     beta:  $lb"
wa=${la%% *}; wb=${lb%% *}
if [ "$wa" = active ] && [ "$wb" = standby ]; then ACT=alpha; STB=beta; ACT_ADDR=$TA; STB_ADDR=$TB
elif [ "$wa" = standby ] && [ "$wb" = active ]; then ACT=beta; STB=alpha; ACT_ADDR=$TB; STB_ADDR=$TA
else fail "TLS: expected active/standby, got '$wa' / '$wb'"; fi
case " $la " in *" peer=beta:$wb "*) ;; *) fail "TLS: alpha's line does not say peer=beta:$wb: $la";; esac
case " $lb " in *" peer=alpha:$wa "*) ;; *) fail "TLS: beta's line does not say peer=alpha:$wa: $lb";; esac
ok "TLS status: $ACT active, $STB standby, each names the other as peer"
j=$(client --address "$ACT_ADDR" "${TLS[@]}" --json status) || fail "TLS status --json"
"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["state"]=="active" and d["peer"]["state"]=="standby", d' "$j" \
    || fail "TLS status --json: $j"
ha=$(client --address "$TA" "${TLS[@]}" health) || fail "TLS health on alpha: '$ha'"
hb=$(client --address "$TB" "${TLS[@]}" health) || fail "TLS health on beta: '$hb'"
[ "$ha" = "ok componentId=1" ] && [ "$hb" = "ok componentId=2" ] || fail "TLS health: '$ha' / '$hb'"
ok "TLS status --json and health: alpha '$ha', beta '$hb'"

# the library API: tls_context(), the node's identity (BatonClient.peer_member), one link for both
out=$(timeout 10 "$PY" - "$HERE" "$CERTS" "alpha=$TA" "beta=$TB" <<'PY' 2>&1
import sys
sys.path.insert(0, sys.argv[1])
import baton_client as bc
certs = sys.argv[2]
ctx = bc.tls_context(certs + "/ca.pem", certs + "/py.pem", certs + "/py.key")
for spec in sys.argv[3:]:
    name, address = spec.split("=", 1)
    with bc.BatonClient(address, "der", timeout=2, tls=ctx) as c:
        line, h = c.get_status(), c.health()
        print("%-5s %s %s: '%s', health %s" % (name, c.sock.version(), "member " + c.peer_member, line.text, h.status))
        assert c.peer_member == name and h.status == "ok", (c.peer_member, h)
PY
) || { echo "$out" | sed 's/^/     /'; fail "TLS library API"; }
echo "$out" | sed 's/^/     /'
ok "TLS library API: each node's certificate speaks for its member"
budget

# refusals: no client certificate (the node refuses it: its alert at the handshake or the first
# read), another CA's client certificate, a plaintext client; and the client's own checks: the
# node's chain against another CA, the node's identity against another member
# no_answer WHAT ARGS...: the client must fail (exit 3: refused, not a timeout of the hard bound)
no_answer() {
    local what=$1 rc; shift
    out=$(client "$@" status 2>&1); rc=$?
    [ "$rc" = 3 ] || fail "$what: exit $rc (want 3, refused): $out"
    ok "$what refused: $out"
}
no_answer "no client certificate" --address "$STB_ADDR" --ca "$CERTS/ca.pem"
for _ in $(seq 20); do grep -q 'TLS handshake refused' "$DIR/$STB-der-tls.err" && break; sleep 0.1; done
logline=$(grep -m 1 'TLS handshake refused' "$DIR/$STB-der-tls.err") || fail "$STB logged no 'TLS handshake refused'"
case "$logline" in *"remote=127.0.0.1:"*) ;; *) fail "$STB's refusal does not name the remote address: $logline";; esac
say "     $STB's log: $(echo "${logline#* }" | sed 's/^ *//')"
no_answer "another CA's client certificate" --address "$STB_ADDR" --ca "$CERTS/ca.pem" \
    --cert "$OTHER/py.pem" --key "$OTHER/py.key"
no_answer "a plaintext client on a TLS node" --address "$STB_ADDR"
no_answer "the node's chain checked against another CA (by the client)" --address "$STB_ADDR" \
    --ca "$OTHER/ca.pem" --cert "$OTHER/py.pem" --key "$OTHER/py.key"
no_answer "the node's identity checked (by the client)" --address "$STB_ADDR" "${TLS[@]}" --expect-member "$ACT"
for v in PID_tls_alpha PID_tls_beta; do kill -0 "${!v}" 2>/dev/null || fail "a TLS node died ($v)"; done
wa=$(first_word "$ACT_ADDR" der "${TLS[@]}"); wb=$(first_word "$STB_ADDR" der "${TLS[@]}")
[ "$wa" = active ] && [ "$wb" = standby ] || fail "after the refusals: $ACT '$wa', $STB '$wb' (want active, standby)"
ok "after the refusals both nodes run, roles unchanged ($ACT active, $STB standby)"
budget

# watch the standby over TLS, SIGKILL the active: an indication 'active ...' within 5 s
timeout 10 "$PY" "$CLIENT" --timeout 2 --connect-timeout 2 --address "$STB_ADDR" "${TLS[@]}" \
    watch --timestamps --initial --until active --duration 5 > "$DIR/watch-tls.out" 2> "$DIR/watch-tls.err" &
WATCH=$!; PIDS+=("$WATCH")
for _ in $(seq 50); do grep -q ' current ' "$DIR/watch-tls.out" && break; sleep 0.1; done
grep -q '^[0-9.]* current standby ' "$DIR/watch-tls.out" \
    || fail "TLS watch did not start: $(cat "$DIR/watch-tls.out" "$DIR/watch-tls.err")"
pid_var="PID_tls_$ACT"; t_kill=$(date +%s%N)
kill -KILL "${!pid_var}"
{ wait "$WATCH"; rc=$?; } 2>/dev/null
wait "${!pid_var}" 2>/dev/null
sed 's/^[0-9.]* /     watch: /' "$DIR/watch-tls.out"
[ "$rc" = 0 ] || fail "TLS watch on $STB exited $rc: $(cat "$DIR/watch-tls.err")"
t_ind=$(awk '$2 == "indication" && $3 == "active" {print $1; exit}' "$DIR/watch-tls.out")
[ -n "$t_ind" ] || fail "TLS: no 'indication active' from $STB"
failover_ms=$(awk -v a="$t_ind" -v k="$t_kill" 'BEGIN {printf "%.1f", (a - k / 1e9) * 1000}')
ok "TLS watch: $STB indicated active ${failover_ms} ms after SIGKILL of $ACT (bound 5 s)"
ls=$(client --address "$STB_ADDR" "${TLS[@]}" status) || fail "TLS status on $STB after failover"
case "$ls" in "active peer=$ACT:down"*) ;; *) fail "TLS: after failover $STB says '$ls' (want 'active peer=$ACT:down')";; esac
ok "TLS status after failover: $ls"
budget

say "PASS in $(ms_since "$T0") ms after the build ($(ms_since "$T_START") ms in all)"
