#!/usr/bin/env bash
# Builds the Debian package of baton with cargo-deb (`cargo install cargo-deb` first):
#   bash dist/deb.sh            # -> target/debian/baton_<version>-1_<arch>.deb
# The manual pages and completions are generated from the binary itself (`baton man`,
# `baton completions`), the unit file from dist/baton.service with the binary in /usr/bin.
# Install: apt install ./target/debian/baton_*.deb (docs/OPERATIONS.md, "Install").
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null 2>&1 || { echo "dist/deb.sh: needs cargo-deb: cargo install cargo-deb" >&2; exit 2; }
target=${CARGO_TARGET_DIR:-target}
cargo build --release -p baton-node
assets=$target/release/deb-assets
rm -rf "$assets"
mkdir -p "$assets/completions"
"$target/release/baton" man "$assets/man"
gzip -9n "$assets"/man/*.1
"$target/release/baton" completions bash > "$assets/completions/baton.bash"
"$target/release/baton" completions zsh > "$assets/completions/_baton"
"$target/release/baton" completions fish > "$assets/completions/baton.fish"
sed 's|/usr/local/bin/baton|/usr/bin/baton|g' dist/baton.service > "$assets/baton.service"
cargo deb -p baton-node --no-build "$@"
