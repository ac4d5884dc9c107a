#!/usr/bin/env bash
# Time asn1c-generated C codecs for the four baton modules.
#
#   bench/asn1c/run.sh [VECTORS_TSV]        (TSV on stdin if no file is given)
#
# input  (one case a line): name<TAB>interface<TAB>rule<TAB>hex
#        interface: election|role|monitor|status   rule: ber|der|uper
# output (stdout only):     name<TAB>rule<TAB>op<TAB>ns_median   (op: decode|encode)
# Everything else goes to stderr. See README.md.
#
# Exit: 0 all cases measured; 1 some case failed (the others are still printed);
#       2 usage/input error; 3 asn1c or gcc unavailable.
#
# Environment (all optional):
#   ASN1_DIR               modules to compile (default: <repo>/asn1/portable)
#   ASN1C_FLAGS            default: -fcompound-names -gen-PER -pdu=auto
#   ASN1C_BENCH_CFLAGS     default: -O2
#   ASN1C_BENCH_BATCHES    timed batches per measurement (default 31)
#   ASN1C_BENCH_TARGET_MS  wanted batch duration in ms (default 10)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$HERE/work"
ASN1_DIR="${ASN1_DIR:-$ROOT/asn1/portable}"
ASN1C_FLAGS="${ASN1C_FLAGS:--fcompound-names -gen-PER -pdu=auto}"
CFLAGS="${ASN1C_BENCH_CFLAGS:--O2}"

log() { printf '%s\n' "$*" >&2; }

# interface -> module file, PDU type
module_file() { echo "failover-$1-interface.asn"; }
pdu_type() {
    case "$1" in
        election) echo ElectionMessage ;;
        role) echo RoleMessage ;;
        monitor) echo HealthMonitorMessage ;;
        status) echo ServiceStatusMessage ;;
        *) return 1 ;;
    esac
}

# ---- input -----------------------------------------------------------------
if [ $# -gt 1 ]; then
    log "usage: $0 [VECTORS_TSV]"
    exit 2
fi
mkdir -p "$WORK"
INPUT="$WORK/input.tsv"
if [ $# -eq 1 ]; then
    [ -r "$1" ] || { log "cannot read $1"; exit 2; }
    cat -- "$1" >"$INPUT"
else
    cat >"$INPUT"
fi

# ---- tools -----------------------------------------------------------------
if ! command -v asn1c >/dev/null 2>&1; then
    log "asn1c not found; installing the Debian package asn1c"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q asn1c >&2; then
        log "apt-get install failed; running apt-get update once and retrying"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
               DEBIAN_FRONTEND=noninteractive apt-get install -y -q asn1c >&2; }; then
            log "asn1c unavailable: apt-get install asn1c failed (see messages above)"
            exit 3
        fi
    fi
    command -v asn1c >/dev/null 2>&1 || { log "asn1c unavailable: installed, but not on PATH"; exit 3; }
fi
command -v gcc >/dev/null 2>&1 || { log "asn1c unavailable: gcc not found, cannot build the generated code"; exit 3; }
ASN1C_VERSION="$({ asn1c -h 2>&1 || true; } | sed -n 's/^ASN\.1 Compiler, v\([^ ]*\).*/\1/p' | head -n1)"
log "asn1c ${ASN1C_VERSION:-(version unknown)}, $(gcc --version | head -n1), CFLAGS=$CFLAGS"
[ "$ASN1C_VERSION" = "0.9.28" ] || log "warning: written for asn1c 0.9.28; other versions may differ"

# ---- build one module ------------------------------------------------------
# work/<iface>/gen   asn1c output (regenerated when the module, flags or version change)
# work/<iface>/lib   objects of the generated code, libasn.a
# work/<iface>/harness
build_module() {
    local iface="$1" pdu asn dir stamp want
    pdu="$(pdu_type "$iface")"
    asn="$ASN1_DIR/$(module_file "$iface")"
    [ -r "$asn" ] || { log "missing module $asn"; return 1; }
    dir="$WORK/$iface"
    stamp="$dir/stamp"
    want="$(printf '%s\n' "asn1c $ASN1C_VERSION" "flags $ASN1C_FLAGS" "cflags $CFLAGS" \
        "$(sha256sum <"$asn")")"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -f "$dir/lib/libasn.a" ]; then
        log "[$iface] asn1c $ASN1C_FLAGS $(basename "$asn")"
        rm -rf "$dir"
        mkdir -p "$dir/gen" "$dir/lib"
        # shellcheck disable=SC2086  # flags are a word list
        if ! (cd "$dir/gen" && asn1c $ASN1C_FLAGS "$asn") >"$dir/asn1c.log" 2>&1; then
            cat "$dir/asn1c.log" >&2
            log "[$iface] asn1c failed"
            return 1
        fi
        log "[$iface] compiling generated code"
        local c objs=()
        for c in "$dir"/gen/*.c; do
            case "$(basename "$c")" in
                converter-sample.c | pdu_collection.c) continue ;; # asn1c's sample CLI
            esac
            # shellcheck disable=SC2086
            gcc $CFLAGS -w -I"$dir/gen" -c "$c" -o "$dir/lib/$(basename "$c" .c).o" || return 1
            objs+=("$dir/lib/$(basename "$c" .c).o")
        done
        ar rcs "$dir/lib/libasn.a" "${objs[@]}"
        printf '%s\n' "$want" >"$stamp"
    fi
    # The harness is small: always rebuild it.
    # shellcheck disable=SC2086
    gcc $CFLAGS -std=c11 -Wall -Wextra -Wno-unused-parameter -I"$dir/gen" \
        -DPDU_DEF="asn_DEF_$pdu" -DIFACE="\"$iface\"" \
        "$HERE/harness.c" "$dir/lib/libasn.a" -o "$dir/harness"
}

# ---- run -------------------------------------------------------------------
declare -A built=()
status=0
ncases=0
while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    case "$line" in "" | "#"*) continue ;; esac
    IFS=$'\t' read -r name iface rule hex <<<"$line"
    if [ -z "${hex:-}" ]; then
        log "bad input line (want name<TAB>interface<TAB>rule<TAB>hex): $line"
        status=1
        continue
    fi
    if ! pdu_type "$iface" >/dev/null; then
        log "$name: unknown interface '$iface' (election|role|monitor|status)"
        status=1
        continue
    fi
    case "$rule" in
        ber | der | uper) ;;
        *)
            log "$name: rule '$rule' is not supported by asn1c 0.9.28 (ber|der|uper), skipped"
            status=1
            continue
            ;;
    esac
    if [ -z "${built[$iface]:-}" ]; then
        if build_module "$iface"; then built[$iface]=ok; else built[$iface]=failed; fi
    fi
    if [ "${built[$iface]}" != ok ]; then
        log "$name: build of $iface failed, skipped"
        status=1
        continue
    fi
    ncases=$((ncases + 1))
    log "[$iface] $name $rule"
    # One process per case: a fresh process for every measurement (asn1c's
    # constraint checker is only reliable on the first call in a process).
    printf '%s\n' "$line" | "$WORK/$iface/harness" || status=1
done <"$INPUT"

[ "$ncases" -gt 0 ] || { log "no cases in input"; [ "$status" -ne 0 ] || status=2; }
exit "$status"
