"""Side-by-side comparison of 2-4 programs: terms with their source and age, differences, score components.

One function for the API (`GET /compare`), the CLI (`matrix compare`) and the MCP tool, so all
three show the same table. It reads the index (one pinned snapshot) but no web framework.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Sequence

MAX_COMPARE = 4
# (field, label): the terms a marketer weighs, in the order shown
FIELDS = [
    ("commission", "Commission"), ("cookie_days", "Cookie"), ("payout", "Payout"), ("approval", "Approval"),
    ("epc", "EPC"), ("restrictions", "Restrictions"), ("networks", "Networks"), ("category", "Category"),
    ("geo_allowed", "Countries"), ("last_verified", "Terms verified"),
]


class CompareError(ValueError):
    """Bad ids for a comparison; `argument` names what was wrong (for API/MCP errors)."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


def parse_ids(ids: str | Sequence[str]) -> list[str]:
    """"a,b,c" or a list -> unique ids in order; 2 to 4 of them."""
    raw = ids.split(",") if isinstance(ids, str) else list(ids)
    out: list[str] = []
    for i in raw:
        i = str(i).strip()
        if i and i not in out:
            out.append(i)
    if len(out) < 2 or len(out) > MAX_COMPARE:
        raise CompareError("ids", f"give 2 to {MAX_COMPARE} distinct program ids (got {len(out)})")
    for i in out:
        if len(i) > 200 or any(ord(c) < 32 for c in i):
            raise CompareError("ids", f"{i[:40]!r} is not a program id")
    return out


def _money(amount: float | None, currency: str | None) -> str:
    if amount is None:
        return "?"
    sym = {"USD": "$", "EUR": "€", "GBP": "£"}.get((currency or "").upper())
    num = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{sym}{num}" if sym else f"{num} {currency}" if currency else num


def _commission_text(c: dict[str, Any]) -> str | None:
    parts = []
    pct = c.get("percent_max") if c.get("percent_max") is not None else c.get("percent_min")
    if pct is not None:
        lo = c.get("percent_min")
        parts.append(f"{lo:g}–{pct:g} %" if lo is not None and lo != pct else f"{pct:g} %")
    flat = c.get("flat_max") if c.get("flat_max") is not None else c.get("flat_min")
    if flat is not None:
        parts.append(_money(flat, c.get("currency")))
    if not parts:
        return None
    text = " + ".join(parts)
    pt = c.get("payout_type")
    if pt and pt != "unknown":
        text += f" {pt.upper()}"
    if c.get("recurring"):
        text += f" recurring {c['duration_months']} months" if c.get("duration_months") else " recurring"
    if c.get("lifetime"):
        text += " lifetime"
    return text


def _payout_text(pay: dict[str, Any]) -> str | None:
    parts = []
    if pay.get("minimum") is not None:
        parts.append("min " + _money(pay["minimum"], pay.get("currency")))
    if pay.get("frequency"):
        parts.append(pay["frequency"])
    if pay.get("methods"):
        parts.append("/".join(pay["methods"]))
    return ", ".join(parts) or None


def format_value(name: str, p: dict[str, Any]) -> str | None:
    """A term as a short text; None when unknown (unknown is shown as such, never as 0)."""
    v = p.get(name)
    if name == "commission":
        return _commission_text(v or {})
    if name == "cookie_days":
        return None if v is None else ("session" if v == 0 else f"{v:g} days")
    if name == "payout":
        return _payout_text(v or {})
    if name == "approval":
        return None if v in (None, "unknown") else str(v)
    if name == "epc":
        return None if v is None else f"{v:g}"
    if name in ("restrictions", "networks", "geo_allowed"):
        return ", ".join(v) if v else None
    if name == "category":
        return v or None
    if name == "last_verified":
        return None if v is None else str(v)[:10]
    return None if v is None else str(v)


def _age_days(when: Any, now: dt.datetime) -> int | None:
    if when is None:
        return None
    if isinstance(when, str):
        try:
            when = dt.datetime.fromisoformat(when)
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0, int((now - when).total_seconds() // 86400))


def compare_programs(index: Any, ids: str | Sequence[str], weights: Any = None,
                     now: dt.datetime | None = None) -> dict[str, Any]:
    """The comparison table for `ids` (2-4) on the latest index version.

    Raises CompareError (argument "ids" or "weights") for bad input; unknown ids are an error
    naming them, so a typo is never silently a shorter table.
    """
    from matrix.index.search import program_scores
    from matrix.score import parse_weights

    wanted = parse_ids(ids)
    try:
        parse_weights(weights)
    except ValueError as exc:
        raise CompareError("weights", str(exc)) from None
    now = now or dt.datetime.now(dt.timezone.utc)
    snap = index.snapshot()
    missing = [i for i in wanted if i not in snap.columns.position]
    if missing:
        raise CompareError("ids", f"no program with id {', '.join(repr(m) for m in missing)}")
    table = program_scores(snap, index.settings.score, weights, now)
    positions = [snap.columns.position[i] for i in wanted]
    rows = snap.dataset.take(positions, columns=["program_id", "name", "merchant_domain", "signup_url", "provenance",
                                                  *[f for f, _ in FIELDS if f != "networks"], "networks"]).to_pylist()
    by_id = {r["program_id"]: r for r in rows}
    programs = [by_id[i] for i in wanted]
    heads = []
    for pid, pos, p in zip(wanted, positions, programs, strict=True):
        info = table.explain(pos)
        heads.append({"program_id": pid, "name": p["name"], "merchant_domain": p.get("merchant_domain"),
                      "signup_url": p.get("signup_url"), "score": info["score"], "confidence": info["confidence"],
                      "reasons": info["reasons"], "unknown": info["unknown"]})
    term_rows = []
    for name, label in FIELDS:
        cells = []
        for p in programs:
            prov = _provenance(p).get(name) or {}
            cells.append({"text": format_value(name, p), "source": prov.get("source"),
                          "age_days": _age_days(prov.get("fetched_at"), now)})
        texts = [c["text"] for c in cells]
        term_rows.append({"field": name, "label": label, "values": cells, "differs": len(set(texts)) > 1})
    score_rows = []
    for comp in table.weights:
        vals = [table.explain(pos)["components"][comp] for pos in positions]
        nums = [v["value"] for v in vals]
        known = [x for x in nums if x is not None]
        best = max(known) if known else None
        score_rows.append({"component": comp, "weight": table.weights[comp], "values": nums,
                           "reasons": [v["reason"] for v in vals],
                           "best": [x is not None and best is not None and math.isclose(x, best) for x in nums],
                           "differs": len(set(nums)) > 1})
    return {"programs": heads, "terms": term_rows, "score": score_rows, "weights": table.weights,
            "version": snap.version}


def _provenance(row: dict[str, Any]) -> dict[str, Any]:
    prov = row.get("provenance")
    if isinstance(prov, str):
        import json

        try:
            return json.loads(prov)
        except ValueError:
            return {}
    return prov or {}


def render_text(result: dict[str, Any]) -> str:
    """The comparison as a plain-text table (CLI); `*` marks a row whose values differ."""
    heads = result["programs"]
    width = 34
    lines = ["  " + "".ljust(16) + "".join(h["name"][: width - 2].ljust(width) for h in heads)]
    lines.append("  " + "score".ljust(16) + "".join(
        (f"{h['score']:.1f} (conf {h['confidence']:.2f})" if h["score"] is not None else "unknown").ljust(width)
        for h in heads))
    for row in result["terms"]:
        mark = "*" if row["differs"] else " "
        cells = []
        for c in row["values"]:
            text = c["text"] if c["text"] is not None else "unknown"
            src = f" [{c['source']}, {c['age_days']}d]" if c["source"] and c["age_days"] is not None else \
                f" [{c['source']}]" if c["source"] else ""
            cells.append((text + src)[: width - 2].ljust(width))
        lines.append(f"{mark} " + row["label"].ljust(16) + "".join(cells))
    lines.append("  score components (0-1; weight)")
    for row in result["score"]:
        mark = "*" if row["differs"] else " "
        cells = [("unknown" if v is None else f"{v:.2f}" + (" best" if b else "")).ljust(width)
                 for v, b in zip(row["values"], row["best"], strict=True)]
        lines.append(f"{mark} " + f"{row['component']} ({row['weight']:g})"[:16].ljust(16) + "".join(cells))
    lines.append("  reasons")
    for h in heads:
        lines.append(f"  {h['name']}: " + "; ".join(h["reasons"]))
    return "\n".join(lines)
