#!/usr/bin/env bash
# Regenerates conformance/vectors/{valid,malformed}.json with asn1tools and pycrate.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$REPO/conformance/peer/install.sh"
exec "$REPO/.venv/bin/python" "$REPO/conformance/peer/gen_vectors.py" "$@"
