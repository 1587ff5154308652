#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets) for a bounded time, one after another, and
# prints executions and findings per target. Exits non-zero when any target found a crash,
# timeout, OOM or leak (the inputs are in fuzz/artifacts/<target>/). See docs/FUZZING.md.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]   (default: all targets)
# Environment:
#   FUZZ_SANITIZER    address (default) | none
#   FUZZ_RSS_LIMIT_MB libFuzzer -rss_limit_mb (default 1024: the 64 MiB per-document budget
#                     plus ASan's shadow memory and quarantine)
#   FUZZ_TIMEOUT      seconds one input may take before it counts as a hang (default 10)
#   FUZZ_DEBUG_ASSERTIONS=1  build with debug assertions (integer overflow checks) as well
#
# Only the stable toolchain is needed: cargo-fuzz's nightly flags (-Zsanitizer, sanitizer
# coverage) are unlocked with RUSTC_BOOTSTRAP=1, for the fuzz build only.
set -uo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.1
ALL_TARGETS=(mime pdf sheet csv normalize decide)

secs="${1:-60}"
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${ALL_TARGETS[@]}"); fi
case "$secs" in '' | *[!0-9]*) echo "SECONDS_PER_TARGET must be a whole number" >&2; exit 2 ;; esac

sanitizer="${FUZZ_SANITIZER:-address}"
rss="${FUZZ_RSS_LIMIT_MB:-1024}"
timeout="${FUZZ_TIMEOUT:-10}"
build_flags=(--sanitizer "$sanitizer")
[ "${FUZZ_DEBUG_ASSERTIONS:-0}" = 1 ] && build_flags+=(--debug-assertions)
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked || exit 2
fi

# ---- seed corpora (copied from fixtures/, never committed; existing corpus entries are kept)
seed() { # seed TARGET FILE...
    local dir="fuzz/corpus/$1"
    shift
    mkdir -p "$dir"
    local f
    for f in "$@"; do
        [ -f "$f" ] && cp -n "$f" "$dir/seed-$(basename "$f")"
    done
}
shopt -s nullglob
emls=(fixtures/demo/*.eml fixtures/holdout/*.eml fixtures/blind2/*.eml)
pdfs=(fixtures/forms/*.pdf fixtures/forms/edge/*.pdf fixtures/pdf-unit/*.pdf)
sheets=(fixtures/forms/*.{xls,xlsx,xlsm,xlsb,ods} fixtures/sheet-unit/*.{xls,xlsx,xlsm,xlsb,ods})
csvs=(fixtures/forms/*.csv fixtures/sheet-unit/*.csv)
seed mime "${emls[@]}"
seed decide "${emls[@]}"
seed pdf "${pdfs[@]}"
seed sheet "${sheets[@]}"
seed csv "${csvs[@]}"
# Zip members are deflated, so byte mutations rarely reach the XML inside. Stored (uncompressed)
# copies of the workbooks let the fuzzer mutate the XML directly.
python3 - fuzz/corpus/sheet "${sheets[@]}" <<'PY'
import os, sys, zipfile
out = sys.argv[1]
for src in sys.argv[2:]:
    if not zipfile.is_zipfile(src):
        continue
    dst = os.path.join(out, "stored-" + os.path.basename(src))
    if os.path.exists(dst):
        continue
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename), zipfile.ZIP_STORED)
PY
mkdir -p fuzz/corpus/normalize
i=0
for s in "03/02/2001" "2001-03-02" "March 2, 2001" "2 Mar 01" "36952" "36952.0" "9165550123" \
    "(916) 555-0123 x12" "+1 916.555.0123" "94692357N" "9469 2357 n 01 0124" "12345678" \
    "1234567890" "95814-1234" "95814" "1905 Fakecrest Dr, Apt 4, Sacramento, CA 95814" \
    "Sampleton, Jane Q." "Jane Q Sampleton Jr." "jane.sample@example.org" \
    "Jane <jane@example.org>" "Los Angeles County" "contra costa" "Yes" "[X]" "( )" "N/A" \
    "Member Name: Jane Sample" "<p>DOB:&nbsp;01/05/1980<br>Phone: 555-0100</p>"; do
    i=$((i + 1))
    [ -e "fuzz/corpus/normalize/seed-$i" ] || printf '%s' "$s" >"fuzz/corpus/normalize/seed-$i"
done

# ---- build once, so the time budget is spent fuzzing
echo "== building fuzz targets (sanitizer: $sanitizer)" >&2
for t in "${targets[@]}"; do
    cargo fuzz build "${build_flags[@]}" "$t" || exit 2
done

# ---- run
mkdir -p fuzz/logs
summary=()
failed=0
for t in "${targets[@]}"; do
    log="fuzz/logs/$t.log"
    mkdir -p "fuzz/artifacts/$t"
    marker=$(mktemp)
    dict=()
    case "$t" in
        pdf) dict=(-dict=fuzz/dict/pdf.dict) ;;
        mime | decide) dict=(-dict=fuzz/dict/mime.dict) ;;
    esac
    echo "== $t: ${secs}s" >&2
    start=$(date +%s)
    cargo fuzz run "${build_flags[@]}" "$t" -- \
        -max_total_time="$secs" -rss_limit_mb="$rss" -timeout="$timeout" \
        -print_final_stats=1 "${dict[@]}" >"$log" 2>&1
    rc=$?
    elapsed=$(($(date +%s) - start))
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -n1 | awk '{print $2}')
    if [ -z "$execs" ]; then # crashed before the final stats: take the last status line
        execs=$(grep -oE '^#[0-9]+' "$log" | tail -n1 | tr -d '#')
    fi
    findings=$(find "fuzz/artifacts/$t" -type f -newer "$marker" \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) |
        grep -v slow-unit || true)
    rm -f "$marker"
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    nfind=$(printf '%s' "$findings" | grep -c . || true)
    if [ "$rc" -ne 0 ] || [ "$nfind" -gt 0 ]; then
        failed=1
        status="FINDING (exit $rc)"
    else
        status=ok
    fi
    summary+=("$(printf '%-10s %6ss %12s execs  corpus %6s  %s' "$t" "$elapsed" "${execs:-?}" "$corpus" "$status")")
    for f in $findings; do summary+=("           -> $f"); done
    [ "$rc" -ne 0 ] && [ "$nfind" -eq 0 ] && summary+=("           -> see $log")
done

echo
echo "target       time       executions  corpus   result   (sanitizer: $sanitizer, rss ${rss} MB, timeout ${timeout}s)"
printf '%s\n' "${summary[@]}"
exit "$failed"
