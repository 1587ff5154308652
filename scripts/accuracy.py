#!/usr/bin/env python3
"""Field and outcome accuracy of `referral-intake explain` over the golden sets.

Each set is a folder with `intent.json` (what a careful reader expects: disposition, programs,
referrals with program/outcome/reasons/region and the fields the form holds) beside its `.eml`
files. For every message this runs the real binary (`explain`, and `extract` for the document
kinds) and prints, per set: messages fully right, classification, referral outcomes, fields, the
same per document kind and per field, and every referral that was asked (`missing_field:K`) for
a field its form holds. `explain` is stateless, so a message that repeats an earlier one's
Message-ID in the same set (a redelivery) is scored by `replay`ing the two into a scratch SQLite
store: the daemon's answer for the second is what counts. Any binary can be scored, so a new blind set can be scored on the code as
it was before any fix.

    scripts/accuracy.py [--bin PATH] [--config PATH] [--verbose] [--json OUT] [SET_DIR...]

Default sets: every fixtures/*/intent.json except the demo mailbox (whose intent is golden-tested
separately). Standard library only. Exit 0 always (a report, not a test).
"""
import argparse
import collections
import json
import os
import email
import email.policy
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A field a sender can be asked for, and the intent fields that mean the form holds it.
HOLDS = {
    "member_cin": ("member_cin", "member_mrn"),
    "member_phone": ("member_phone", "member_address"),
    "referrer_phone": ("referrer_phone", "referrer_email"),
}


def run_json(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        return None


def message_id(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.compat32)
    return (msg.get("Message-ID") or "").strip() or None


def scratch_config(config, folder):
    """The config with its store in `folder` and its rule paths made absolute."""
    base = os.path.dirname(os.path.abspath(config))
    text = open(config).read()
    text = re.sub(r'^url = "sqlite://[^"]*"', f'url = "sqlite://{folder}/replay.db"', text, flags=re.M)
    head, sep, rest = text.partition("[paths]")
    body, sep2, tail = rest.partition("\n[")

    def absolute(m):
        return f'{m.group(1)} = "{os.path.normpath(os.path.join(base, m.group(2)))}"'

    body = re.sub(r'^(\w+) = "([^"]+)"', absolute, body, flags=re.M)
    path = os.path.join(folder, "replay.toml")
    with open(path, "w") as f:
        f.write(head + sep + body + sep2 + tail)
    return path


def replayed(binary, config, earlier, path):
    """The `replay` row of `path` replayed after `earlier` into a scratch store."""
    folder = tempfile.mkdtemp(prefix="accuracy-")
    try:
        out = run_json([binary, "--config", scratch_config(config, folder), "replay", "--format", "json", earlier, path])
        rows = (out or {}).get("rows", [])
        return rows[-1] if len(rows) == 2 else None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def kind_of(binary, config, eml):
    out = run_json([binary, "--config", config, "extract", eml]) or []
    kinds = [d.get("kind") for d in out if d.get("kind")]
    if not kinds:
        return "none"
    pdf = {"pdf_form", "pdf_text"}
    if all(k in pdf for k in kinds):
        return kinds[0] if len(set(kinds)) == 1 else "pdf_mixed"
    return kinds[0]


def score_set(binary, config, folder, verbose):
    intent = json.load(open(os.path.join(folder, "intent.json")))
    s = collections.Counter()
    per_kind = collections.defaultdict(collections.Counter)
    per_field = collections.defaultdict(collections.Counter)
    problems, asked = [], []
    seen = {}
    for want in intent:
        path = os.path.join(folder, want["file"])
        got = run_json([binary, "--config", config, "explain", path])
        mid = message_id(path)
        if mid in seen:
            row = replayed(binary, config, seen[mid], path)
            if row and "duplicate" in row.get("reasons", []):
                got = row
        elif mid:
            seen[mid] = path
        kind = kind_of(binary, config, path)
        k = per_kind[kind]
        s["messages"] += 1
        k["messages"] += 1
        if got is None:
            problems.append(f"{want['file']}: explain failed")
            continue
        msg_ok = True
        cls_ok = got.get("disposition") == want.get("disposition")
        if "programs" in want:
            cls_ok = cls_ok and sorted(got.get("programs", [])) == sorted(want["programs"])
        if not cls_ok:
            msg_ok = False
            problems.append(
                f"{want['file']}: classification {got.get('disposition')} {got.get('programs')}"
                f" want {want.get('disposition')} {want.get('programs')}"
            )
        s["class_ok"] += cls_ok
        if sorted(got.get("reasons", [])) != sorted(want.get("reasons", [])):
            msg_ok = False
            problems.append(f"{want['file']}: message reasons {got.get('reasons')} want {want.get('reasons')}")
        gr, wr = got.get("referrals", []), want.get("referrals", [])
        s["referrals"] += len(wr)
        k["referrals"] += len(wr)
        if len(gr) != len(wr):
            msg_ok = False
            problems.append(f"{want['file']}: {len(gr)} referrals want {len(wr)}")
        for i, w in enumerate(wr):
            g = gr[i] if i < len(gr) else {}
            same = (
                g.get("program") == w.get("program")
                and g.get("outcome") == w.get("outcome")
                and sorted(g.get("reasons", [])) == sorted(w.get("reasons", []))
                and g.get("region") == w.get("region")
            )
            s["outcome_ok"] += same
            k["outcome_ok"] += same
            if not same:
                msg_ok = False
                problems.append(
                    f"{want['file']} #{i}: got {g.get('program')} {g.get('outcome')} {sorted(g.get('reasons', []))}"
                    f" {g.get('region')} want {w.get('program')} {w.get('outcome')} {sorted(w.get('reasons', []))} {w.get('region')}"
                )
            fields = w.get("fields", {})
            gf = g.get("fields", {})
            for key, val in fields.items():
                # SPEC §7: a referral's program is its own key, not one of its fields.
                got_val = g.get("program") if key == "program" else gf.get(key)
                # Lists are sets: SPEC's order for CHW needs is not alphabetical.
                if isinstance(val, list) and isinstance(got_val, list):
                    ok = sorted(map(str, got_val)) == sorted(map(str, val))
                else:
                    ok = got_val == val
                s["fields"] += 1
                s["fields_ok"] += ok
                k["fields"] += 1
                k["fields_ok"] += ok
                per_field[key]["n"] += 1
                per_field[key]["ok"] += ok
                if not ok:
                    msg_ok = False
                    problems.append(f"{want['file']} #{i}: {key} = {json.dumps(gf.get(key))} want {json.dumps(val)}")
            for r in g.get("reasons", []):
                if r.startswith("missing_field:"):
                    key = r.split(":", 1)[1]
                    if any(h in fields for h in HOLDS.get(key, (key,))):
                        asked.append(f"{want['file']} #{i}: asked for {key}, which the form holds")
        s["messages_ok"] += msg_ok
        k["messages_ok"] += msg_ok
    return s, per_kind, per_field, problems, asked


def pct(a, b):
    return f"{100.0 * a / b:5.1f}%" if b else "   - "


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/referral-intake"))
    ap.add_argument("--config", default=os.path.join(ROOT, "config/referral-intake.toml"))
    ap.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    ap.add_argument("--json", help="write the figures as JSON here")
    ap.add_argument("sets", nargs="*")
    a = ap.parse_args()
    sets = a.sets or sorted(
        os.path.join(ROOT, "fixtures", d)
        for d in os.listdir(os.path.join(ROOT, "fixtures"))
        if d != "demo" and os.path.exists(os.path.join(ROOT, "fixtures", d, "intent.json"))
    )
    if not os.access(a.bin, os.X_OK):
        sys.exit(f"no binary at {a.bin}: run `cargo build --release` or pass --bin")
    report = {}
    total = collections.Counter()
    for folder in sets:
        name = os.path.basename(os.path.normpath(folder))
        s, per_kind, per_field, problems, asked = score_set(a.bin, a.config, folder, a.verbose)
        total.update(s)
        total["asked"] += len(asked)
        print(f"== {name}: {s['messages_ok']}/{s['messages']} messages fully right; "
              f"classification {s['class_ok']}/{s['messages']}; "
              f"outcomes {s['outcome_ok']}/{s['referrals']} ({pct(s['outcome_ok'], s['referrals']).strip()}); "
              f"fields {s['fields_ok']}/{s['fields']} ({pct(s['fields_ok'], s['fields']).strip()}); "
              f"asked for a field the form holds: {len(asked)}")
        print(f"   {'kind':<12} {'msgs':>5} {'outcomes':>14} {'fields':>16}")
        for kind in sorted(per_kind):
            k = per_kind[kind]
            print(f"   {kind:<12} {k['messages']:>5} {k['outcome_ok']:>4}/{k['referrals']:<3} {pct(k['outcome_ok'], k['referrals'])}"
                  f" {k['fields_ok']:>4}/{k['fields']:<4} {pct(k['fields_ok'], k['fields'])}")
        missed = {f: c for f, c in per_field.items() if c["ok"] < c["n"]}
        if missed:
            print("   fields missed: " + ", ".join(
                f"{f} {c['n'] - c['ok']}/{c['n']}" for f, c in sorted(missed.items(), key=lambda x: x[1]["ok"] - x[1]["n"])))
        for line in asked:
            print("   ASKED: " + line)
        if a.verbose:
            for p in problems:
                print("   - " + p)
        report[name] = {"summary": dict(s), "asked": asked, "problems": problems,
                        "per_kind": {k: dict(v) for k, v in per_kind.items()},
                        "per_field": {k: dict(v) for k, v in per_field.items()}}
    print(f"== all: {total['messages_ok']}/{total['messages']} messages fully right; "
          f"classification {total['class_ok']}/{total['messages']}; "
          f"outcomes {total['outcome_ok']}/{total['referrals']} ({pct(total['outcome_ok'], total['referrals']).strip()}); "
          f"fields {total['fields_ok']}/{total['fields']} ({pct(total['fields_ok'], total['fields']).strip()}); "
          f"asked: {total['asked']}")
    if a.json:
        json.dump(report, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
