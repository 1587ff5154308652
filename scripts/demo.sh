#!/usr/bin/env bash
# The main job on the embedded default: replay the demo mailbox (fixtures/demo) through the whole
# pipeline into a fresh SQLite store, write the outbound mail to out/, and print what happened to
# each message. No mail server needed.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs) first" >&2; exit 1; }
rm -rf data/referral-intake.db* out
REFERRAL_INTAKE_LOG="${REFERRAL_INTAKE_LOG:-warn}" \
    cargo run --release --locked --quiet -- replay fixtures/demo --out out --format table
echo
echo "Store: data/referral-intake.db   Outbound mail: out/*.eml"
echo "Look at one decision:  cargo run --release -q -- explain fixtures/demo/07-county-batch-xlsx-mixed.eml"
