#!/usr/bin/env bash
# End-to-end benchmark: N referral messages through a private Dovecot, the release daemon and
# aiosmtpd; then M messages one at a time for latency. Prints a JSON line.
# Usage: scripts/bench-e2e.sh [N=1000] [M=100]
# Environment: BENCH_SMTP=aiosmtpd|smtp-sink (smtp-sink: Postfix's benchmark server, installed
# here from Debian's postfix package when missing), BENCH_FILING=flag, BENCH_SMTP_CONCURRENCY=16,
# BENCH_LOG=warn (the daemon's REFERRAL_INTAKE_LOG).
set -euo pipefail
cd "$(dirname "$0")/.."
export AIOSMTPD_PYTHON="${AIOSMTPD_PYTHON:-$PWD/.venv-test/bin/python}"
[ -x "$AIOSMTPD_PYTHON" ] || { echo "run scripts/test.sh once first (it installs Dovecot and aiosmtpd)" >&2; exit 1; }
if [ "${BENCH_SMTP:-aiosmtpd}" = smtp-sink ] && [ ! -x /usr/sbin/smtp-sink ]; then
    # Only the smtp-sink binary is used; no mail system is configured or started.
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null
fi
cargo build --release --locked --quiet --bin referral-intake --example e2e_bench
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
exec "$target_dir/release/examples/e2e_bench" "${1:-1000}" "${2:-100}" "$target_dir/release/referral-intake"
