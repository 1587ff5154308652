#!/usr/bin/env bash
# Crash and outage soak: many SIGKILLs of the real daemon (tests/it/crash.rs), then the IMAP
# outage for real minutes (tests/it/outage.rs). Prints the crash figures as a JSON line
# (CRASH-SOAK ...): kills, messages, emails, duplicates delivered, accept-to-commit window.
# Usage: scripts/crash-soak.sh [KILLS=500] [OUTAGE_SECS=180]
#   CRASH_SEED=<n> repeats a run; CRASH_MAX_DELAY_MS changes how long a life lasts after connecting.
set -euo pipefail
cd "$(dirname "$0")/.."
export AIOSMTPD_PYTHON="${AIOSMTPD_PYTHON:-$PWD/.venv-test/bin/python}"
[ -x "$AIOSMTPD_PYTHON" ] || { echo "run scripts/test.sh once first (it installs Dovecot and aiosmtpd)" >&2; exit 1; }
export CRASH_KILLS="${1:-500}" OUTAGE_SECS="${2:-180}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
cargo build --locked --quiet --bin referral-intake
cargo test --locked --quiet --test it crash::sigkill -- --nocapture 2>&1 | grep -E 'CRASH_SEED|campaign|CRASH-SOAK|panicked|test result'
cargo test --locked --quiet --test it outage::imap_down -- --nocapture 2>&1 | grep -E 'IMAP down|panicked|test result'
