#!/usr/bin/env bash
# Builds the Debian package with cargo-deb; with --verify also installs it on this machine, runs
# `check-config` on the installed configuration and `systemd-analyze verify` on the installed
# units, then purges it. Needs root (or sudo) for --verify. scripts/test.sh runs it with --verify.
#   scripts/deb.sh [--verify]      -> target/debian/referral-intake_<version>-1_<arch>.deb
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest cargo-deb at the time of writing (rust-version 1.85); it builds with Rust 1.95.
CARGO_DEB_VERSION=3.8.0
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
    echo "== installing cargo-deb $CARGO_DEB_VERSION (crates.io)"
    cargo install --locked --quiet cargo-deb --version "=$CARGO_DEB_VERSION"
fi

# What differs from the repository layout: the store under /var/lib, the templates beside the
# config in /etc/referral-intake, and the binary in /usr/bin. Each edit must have matched.
stage=target/deb-assets
rm -rf "$stage" && mkdir -p "$stage/systemd"
sed -e 's#^url = "sqlite://../data/referral-intake.db"#url = "sqlite:///var/lib/referral-intake/referral-intake.db"#' \
    -e 's#^templates = "../templates" #templates = "templates"    #' \
    config/referral-intake.toml > "$stage/referral-intake.toml"
grep -q '^url = "sqlite:///var/lib/referral-intake/referral-intake.db"' "$stage/referral-intake.toml"
grep -q '^templates = "templates"' "$stage/referral-intake.toml"
for unit in systemd/*.service systemd/*.timer; do
    sed 's#/usr/local/bin/referral-intake#/usr/bin/referral-intake#g' "$unit" > "$stage/systemd/$(basename "$unit")"
done

cargo deb --locked
deb=$(ls -t target/debian/referral-intake_*.deb | head -n1)
echo "built: $deb"
dpkg-deb --info "$deb" | grep -E 'Package|Version|Depends|Recommends'

[ "${1:-}" = "--verify" ] || exit 0

echo "== installing $deb"
trap 'as_root dpkg --purge referral-intake >/dev/null 2>&1 || true' EXIT
as_root dpkg -i "$deb"
getent passwd referral-intake >/dev/null || { echo "no referral-intake user after install" >&2; exit 1; }
dpkg-query -W -f='${Conffiles}\n' referral-intake | grep -q /etc/referral-intake/referral-intake.toml \
    || { echo "/etc/referral-intake/referral-intake.toml is not a conffile" >&2; exit 1; }
echo "== check-config on the installed configuration"
checked=$(as_root /usr/bin/referral-intake check-config --config /etc/referral-intake/referral-intake.toml)
# The installed files are the ones read, not the built-in copies.
grep -q '/etc/referral-intake/templates/ack.txt' <<<"$checked" \
    || { echo "check-config did not read the installed templates:" >&2; echo "$checked" >&2; exit 1; }
echo "ok: check-config /etc/referral-intake/referral-intake.toml"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /lib/systemd/system/referral-intake.service \
        /lib/systemd/system/referral-intake-purge.service /lib/systemd/system/referral-intake-purge.timer
    echo "ok: systemd-analyze verify on the installed units"
else
    echo "systemd-analyze not present; installed units not verified"
fi
echo "== purging"
as_root dpkg --purge referral-intake
[ ! -e /usr/bin/referral-intake ] && [ ! -e /etc/referral-intake/referral-intake.toml ] \
    || { echo "files left after purge" >&2; exit 1; }
trap - EXIT
echo "ok: installed, verified and purged"
