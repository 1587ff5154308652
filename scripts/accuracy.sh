#!/usr/bin/env bash
# Field and outcome accuracy over every golden set (fixtures/*/intent.json), per set, document kind
# and field; builds the release binary first. Arguments go to scripts/accuracy.py
# (--bin PATH to score another build, -v to list every miss, set folders to score only those).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " != *" --bin "* ]]; then
    cargo build --release --locked --quiet
fi
exec python3 scripts/accuracy.py "$@"
