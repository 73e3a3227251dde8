"""Checker for a new (sealed) terms round before its single run: python3 bench/terms_round_check.py ROUND.jsonl am|nz
Verifies JSON shape, label keys/types, ids, that no program is already in tests/data/terms/*.jsonl, and the
program-name letter partition (am: first letter a-m or a digit; nz: n-z). Used by the collectors of sealed rounds, who
never see the extractor (session 14: `null` is allowed inside percent / flat, the convention's "up to 30%" = [null, 30])."""
import glob
import json
import re
import sys
import unicodedata
from pathlib import Path

KEYS = ["model", "percent", "flat", "currency", "tiers", "recurring", "recurring_months", "lifetime", "payout_type",
        "cookie_days", "payout_minimum", "payout_currency", "frequency", "methods", "restrictions"]
def norm(name):
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", s)
def first_letter(name):
    s = norm(name)
    return s[:1]
path, part = sys.argv[1], sys.argv[2]
rnd = re.search(r"round(\d+)", path).group(1)
known = set()
for f in glob.glob(str(Path(__file__).resolve().parent.parent / "tests" / "data" / "terms" / "*.jsonl")):
    for line in open(f):
        line = line.strip()
        if line:
            known.add(norm(json.loads(line).get("program", "")))
errors, ids, programs = [], set(), set()
n = 0
for i, line in enumerate(open(path), 1):
    if not line.strip():
        continue
    n += 1
    try:
        r = json.loads(line)
    except Exception as e:
        errors.append(f"line {i}: bad JSON {e}")
        continue
    for k in ("id", "program", "url", "retrieved", "split", "text", "labels"):
        if k not in r:
            errors.append(f"line {i}: missing {k}")
    if not re.fullmatch(rf"r{rnd}-\d{{3}}", str(r.get("id", ""))):
        errors.append(f"line {i}: id {r.get('id')!r} should be r{rnd}-NNN")
    if r.get("id") in ids:
        errors.append(f"line {i}: duplicate id")
    ids.add(r.get("id"))
    if r.get("split") != f"round{rnd}":
        errors.append(f"line {i}: split should be round{rnd}")
    if not str(r.get("url", "")).startswith("http"):
        errors.append(f"line {i}: url")
    t = r.get("text", "")
    if not (20 <= len(t) <= 1200):
        errors.append(f"line {i}: text length {len(t)} (20-1200)")
    p = r.get("program", "")
    programs.add(norm(p))
    if norm(p) in known:
        errors.append(f"line {i}: program {p!r} already in tests/data/terms")
    fl = first_letter(p)
    ok = (fl and (fl <= "m")) if part == "am" else (fl >= "n" and not fl.isdigit())
    if not ok:
        errors.append(f"line {i}: program {p!r} outside partition {part}")
    lab = r.get("labels", {})
    if sorted(lab) != sorted(KEYS):
        errors.append(f"line {i}: label keys {sorted(set(lab) ^ set(KEYS))}")
        continue
    if lab["model"] not in (None, "percent", "flat", "hybrid"):
        errors.append(f"line {i}: model {lab['model']!r}")
    for k in ("percent", "flat", "tiers"):
        v = lab[k]
        if k == "tiers":
            ok = v is None or (isinstance(v, list) and all(isinstance(x, (int, float)) for x in v))
        else:   # percent / flat: [min, max], either end may be null ("up to 30%" = [null, 30])
            ok = v is None or (isinstance(v, list) and len(v) == 2 and all(x is None or isinstance(x, (int, float))
                                                                           for x in v) and v != [None, None])
        if not ok:
            errors.append(f"line {i}: {k} must be null or a list of numbers ([min, max] for percent / flat)")
    for k in ("recurring", "lifetime"):
        if lab[k] not in (None, True, False):
            errors.append(f"line {i}: {k} must be null/true/false")
    for k in ("recurring_months", "cookie_days", "payout_minimum"):
        if lab[k] is not None and not isinstance(lab[k], (int, float)):
            errors.append(f"line {i}: {k} must be null or a number")
    if lab["payout_type"] not in (None, "cps", "cpa", "cpl", "revshare", "cpi", "cpc", "cpm", "hybrid"):
        errors.append(f"line {i}: payout_type {lab['payout_type']!r}")
    for k in ("methods", "restrictions"):
        v = lab[k]
        if v is not None and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            errors.append(f"line {i}: {k} must be null or a list of strings")
    for k in ("currency", "payout_currency"):
        v = lab[k]
        if v is not None and not re.fullmatch(r"[A-Z]{3}", str(v)):
            errors.append(f"line {i}: {k} must be an ISO code")
print(f"{n} quotes, {len(programs)} programs, {len(errors)} errors")
for e in errors[:60]:
    print(" ", e)
