#!/usr/bin/env python3
"""Build config/ca_zip_county.csv (California ZIP -> county, city).

Source: the `zipcodes` package 1.3.0 on PyPI, which bundles `zipcodes/zips.json.bz2`
(public USPS/Census-derived data). We download the wheel with pip (no install), read the
JSON straight out of the wheel and keep California rows with a county.

Usage: python3 scripts/make_zip_table.py [OUTPUT]   (default: config/ca_zip_county.csv)
The output is sorted by ZIP, so re-running gives identical bytes.
"""
import bz2
import csv
import glob
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

VERSION = "1.3.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_rows(tmp):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, f"zipcodes=={VERSION}"],
        check=True,
    )
    wheels = glob.glob(os.path.join(tmp, "zipcodes-*.whl"))
    if not wheels:
        sys.exit("no zipcodes wheel downloaded")
    with zipfile.ZipFile(wheels[0]) as zf:
        raw = zf.read("zipcodes/zips.json.bz2")
    return json.loads(bz2.decompress(raw))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "config", "ca_zip_county.csv")
    with tempfile.TemporaryDirectory() as tmp:
        rows = load_rows(tmp)
    table = {}
    for r in rows:
        if r.get("state") != "CA":
            continue
        county = (r.get("county") or "").strip()
        if not county:
            continue
        if county.endswith(" County"):
            county = county[: -len(" County")]
        z = str(r.get("zip_code", "")).strip()
        if len(z) != 5 or not z.isdigit():
            continue
        # One row per ZIP; the data has one, but keep the first deterministically if not.
        table.setdefault(z, (county, (r.get("city") or "").strip()))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["zip", "county", "city"])
    for z in sorted(table):
        county, city = table[z]
        w.writerow([z, county, city])
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
    print(f"wrote {len(table)} ZIPs to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
