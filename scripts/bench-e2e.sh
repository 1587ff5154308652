#!/usr/bin/env bash
# End-to-end benchmark: N referral messages through a private Dovecot, the release daemon and
# aiosmtpd; then M messages one at a time for latency. Prints a JSON line.
# Usage: scripts/bench-e2e.sh [N=1000] [M=100]
set -euo pipefail
cd "$(dirname "$0")/.."
export AIOSMTPD_PYTHON="${AIOSMTPD_PYTHON:-$PWD/.venv-test/bin/python}"
[ -x "$AIOSMTPD_PYTHON" ] || { echo "run scripts/test.sh once first (it installs Dovecot and aiosmtpd)" >&2; exit 1; }
cargo build --release --locked --quiet --bin referral-intake --example e2e_bench
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
exec "$target_dir/release/examples/e2e_bench" "${1:-1000}" "${2:-100}" "$target_dir/release/referral-intake"
