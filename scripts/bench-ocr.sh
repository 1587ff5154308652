#!/usr/bin/env bash
# OCR time per page and per message on fixtures/scans/ (issue #10), release build, real Tesseract.
# Each scan is read by `referral-intake extract` (decode, prepare, Tesseract, layout, mapping)
# RUNS times; the median wall time is reported, per file and per page.
# Usage: scripts/bench-ocr.sh [RUNS]    (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cargo build --release --locked --quiet
python3 - "$runs" <<'PY'
import json, statistics, subprocess, sys, time
runs = int(sys.argv[1])
listing = json.load(open("fixtures/scans/scans.json"))
per_kind = {}
print(f"{'file':42s} {'pages':>5s} {'s/message':>10s} {'s/page':>8s}")
for e in listing:
    ts = []
    for _ in range(runs):
        t = time.monotonic()
        subprocess.run(["target/release/referral-intake", "extract", "fixtures/scans/" + e["file"]],
                       check=True, capture_output=True)
        ts.append(time.monotonic() - t)
    m = statistics.median(ts)
    per_kind.setdefault(e["kind"], []).append((m, e["pages"]))
    print(f"{e['file']:42s} {e['pages']:5d} {m:10.2f} {m / e['pages']:8.2f}")
for k, v in per_kind.items():
    secs = sum(m for m, _ in v); pages = sum(p for _, p in v)
    print(f"{k}: {secs / len(v):.2f} s per message, {secs / pages:.2f} s per page, slowest message {max(m for m, _ in v):.2f} s")
PY
