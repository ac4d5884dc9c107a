#!/usr/bin/env bash
# Installs the Python peers used by gen_vectors.py into $REPO/.venv (idempotent).
# Needs python3 (>= 3.8) with the venv module, and access to PyPI.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$REPO/.venv"
ASN1TOOLS_VERSION="0.169.0"
PYCRATE_VERSION="0.8.1"
# asn1tools' own dependencies, pinned too so that a fresh machine gets what the vectors were made with
BITSTRUCT_VERSION="8.24.0"
PYPARSING_VERSION="3.3.3"

die() { echo "install.sh: error: $*" >&2; exit 1; }

want_ok() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" - "$ASN1TOOLS_VERSION" "$PYCRATE_VERSION" "$BITSTRUCT_VERSION" "$PYPARSING_VERSION" \
        <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
for name, want in zip(("asn1tools", "pycrate", "bitstruct", "pyparsing"), sys.argv[1:]):
    assert version(name) == want, (name, version(name), want)
import asn1tools, pycrate_asn1c.asnproc  # noqa: F401
PY
}

if want_ok; then
    echo "install.sh: $VENV already has asn1tools==$ASN1TOOLS_VERSION pycrate==$PYCRATE_VERSION"
    exit 0
fi

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install python3 (Debian: apt-get install python3 python3-venv)"

if [ ! -x "$VENV/bin/python" ]; then
    echo "install.sh: creating venv $VENV"
    if ! "$PYTHON" -m venv "$VENV"; then
        rm -rf "$VENV"   # a half-made venv (no pip) would fool the next run
        die "'$PYTHON -m venv $VENV' failed (Debian: apt-get install python3-venv)"
    fi
fi

"$VENV/bin/python" -m pip --version >/dev/null 2>&1 || \
    "$VENV/bin/python" -m ensurepip --upgrade >/dev/null 2>&1 || \
    die "pip is not available in $VENV (Debian: apt-get install python3-venv python3-pip)"

PKGS=("asn1tools==$ASN1TOOLS_VERSION" "pycrate==$PYCRATE_VERSION"
      "bitstruct==$BITSTRUCT_VERSION" "pyparsing==$PYPARSING_VERSION")
echo "install.sh: installing ${PKGS[*]} into $VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "${PKGS[@]}" \
    || die "pip install ${PKGS[*]} failed (is PyPI reachable?)"

want_ok || die "packages installed but the version/import check failed in $VENV"
echo "install.sh: ok"
