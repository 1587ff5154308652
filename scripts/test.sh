#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs or starts what the tests need when missing:
#   - a Rust toolchain is assumed (rustup); clippy and rustfmt components are added if absent;
#   - PostgreSQL at 127.0.0.1:5432 (the store's multi-instance backend) is started if installed
#     but stopped, and installed from Debian's packages if absent (needs root);
#   - Dovecot (the private IMAP server the mail tests start) from Debian's packages if absent;
#   - Tesseract with English data (OCR of scanned forms, issue #10) from Debian's packages if absent;
#   - a Python venv at .venv-test/ with aiosmtpd (the SMTP sink), exported as AIOSMTPD_PYTHON.
# Usage: scripts/test.sh            (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs) first" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy rustfmt >/dev/null 2>&1 || true

ensure_postgres() {
    export TEST_PG_URL="${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
        say "installing PostgreSQL (Debian packages)"
        as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    say "starting PostgreSQL"
    local v; v=$(ls /etc/postgresql | sort -V | tail -n1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
    # Trust auth on loopback and a `test` database, as the project's machines have.
    if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
        as_root su postgres -c "psql -qc 'CREATE DATABASE test'" >/dev/null 2>&1 || true
    fi
}
ensure_postgres

# The mail tests (tests/it/support/mailenv.rs) start a private Dovecot and aiosmtpd per test; the
# package only installs binaries (policy-rc.d keeps the system service down; /etc is never read).
ensure_mail_servers() {
    if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then
        say "installing Dovecot (Debian packages)"
        as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq dovecot-imapd dovecot-lmtpd >/dev/null
    fi
    # Built from the system interpreter: a pyenv one under /root cannot be run by other users.
    local py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3
    if ! .venv-test/bin/python -c 'import aiosmtpd' >/dev/null 2>&1; then
        say "creating .venv-test with aiosmtpd"
        "$py" -m venv .venv-test
        .venv-test/bin/pip install -q aiosmtpd
    fi
    AIOSMTPD_PYTHON="$(pwd)/.venv-test/bin/python"
    export AIOSMTPD_PYTHON
}
ensure_mail_servers

# OCR is optional at run time, but the scan tests (tests/it/ocr.rs) read with the real engine.
ensure_ocr() {
    if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
        say "installing Tesseract (Debian packages)"
        as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null
    fi
}
ensure_ocr

say "build"
cargo build --locked --all-targets

say "check-config on every shipped configuration"
for c in config/*.toml; do
    case "$c" in config/subjects.toml|config/catalog.toml) continue ;; esac
    cargo run --locked --quiet -- check-config --config "$c" >/dev/null && echo "ok: $c"
done

say "systemd unit"
if command -v systemd-analyze >/dev/null; then
    unit_dir=$(mktemp -d)
    bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/referral-intake"
    for unit in systemd/*.service systemd/*.timer; do
        sed "s#/usr/local/bin/referral-intake#$bin#g" "$unit" > "$unit_dir/$(basename "$unit")"
    done
    (cd "$unit_dir" && systemd-analyze verify ./*.service ./*.timer) && echo "ok: systemd-analyze verify"
    rm -rf "$unit_dir"
else
    echo "systemd-analyze not present; unit not verified"
fi

say "alert rules (docs/ops)"
# promtool comes with Debian's `prometheus` package (19 MB; the service itself stays down).
if ! command -v promtool >/dev/null; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || true
fi
if command -v promtool >/dev/null; then
    promtool check rules docs/ops/referral-intake.rules.yml
else
    echo "promtool not available (Debian package prometheus could not be installed); alert rules not checked"
fi
python3 -m json.tool docs/ops/grafana-dashboard.json >/dev/null && echo "ok: docs/ops/grafana-dashboard.json is JSON"

say "format and lints"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings

# The fuzz crate (fuzz/) is its own workspace, so nothing above compiles it: without this step a
# changed signature in src/ breaks every fuzz target silently (it did once, issue #9). A plain
# `cargo check` needs only the stable toolchain (libfuzzer-sys builds its C++ with cc; the
# nightly-only sanitizer flags are cargo-fuzz's, for real fuzz builds). It uses the main target
# directory rather than checking every dependency again in fuzz/target.
say "fuzz targets type-check"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
cargo fmt --check --manifest-path fuzz/Cargo.toml
cargo check --locked --quiet --manifest-path fuzz/Cargo.toml --target-dir "$target_dir" --all-targets || {
    echo "fuzz/ does not build against src/: fix fuzz/fuzz_targets (a changed signature?), or, after a" >&2
    echo "dependency change, refresh its lock from the main one (same versions as the daemon):" >&2
    echo "  cp Cargo.lock fuzz/Cargo.lock && cargo check --manifest-path fuzz/Cargo.toml" >&2
    exit 1
}
echo "ok: fuzz/fuzz_targets/*.rs"

say "tests"
cargo test --locked --lib --bins --tests

# The Debian package: built with cargo-deb, installed, checked (check-config on
# /etc/referral-intake, systemd-analyze verify on the installed units) and purged.
say "Debian package"
if command -v dpkg >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
    scripts/deb.sh --verify
else
    echo "dpkg or root not available; package not built"
fi
