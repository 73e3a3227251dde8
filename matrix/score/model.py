"""The program score: seven components in [0, 1], a weighted mean over the known ones, a confidence.

Why this shape
- Commission values are not on one scale: 30 % recurring SaaS and a $40 CPA cannot be compared
  raw. Earnings are therefore a *percentile* inside the program's group = (category, commission
  kind: percent or flat), after recurring/lifetime terms are turned into a month horizon. A
  small group's percentile is shrunk towards 0.5 (`group_prior` pseudo-programs), so one of
  two programs is not "top 50 %" with full weight; its reliability lowers the confidence.
  Percentiles stay inside the group, so adding a program of another category changes nothing.
- Everything else is on an absolute, monotone scale (cookie days, payout minimum, EPC, age of
  the terms), so a program's score never depends on unrelated programs.
- Unknown is not zero: an unknown component drops out of the weighted mean (the value is built
  from what is known) and lowers `confidence` = known weight / total weight.

All arrays are aligned by row; NaN = unknown. No I/O, no index, no clock unless `now` is omitted.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

COMPONENTS = ("earnings", "cookie", "payout", "epc", "access", "freshness", "data_quality")
DEFAULT_WEIGHTS = {"earnings": 4.0, "cookie": 1.5, "payout": 1.0, "epc": 1.5, "access": 1.0, "freshness": 1.0,
                   "data_quality": 0.5}
APPROVAL_VALUE = {"auto": 1.0, "manual": 0.6, "invite": 0.25}
RESTRICTION_COST = 0.1  # per listed restriction, at most half of the access component
FREQUENCY_VALUE = {"daily": 1.0, "weekly": 0.95, "biweekly": 0.85, "bi-weekly": 0.85, "semimonthly": 0.85,
                   "monthly": 0.7, "net-15": 0.8, "net-30": 0.7, "net-45": 0.6, "net-60": 0.5, "net-90": 0.35,
                   "quarterly": 0.35}
CURRENCY_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}
_DAY_S = 86400.0


def parse_weights(spec: str | Mapping[str, Any] | None, base: Mapping[str, float] | None = None) -> dict[str, float]:
    """`"earnings:2,cookie:1"` (or a mapping) over `base`: named components change, the rest keep
    their weight. Errors name the argument `weights`, the bad part and what is allowed."""
    out = dict(DEFAULT_WEIGHTS if base is None else base)
    if spec is None or spec == "" or spec == {}:
        return _checked(out)
    items: Iterable[tuple[str, Any]]
    if isinstance(spec, str):
        pairs = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            name, sep, value = part.partition(":")
            if not sep:
                name, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"weights = {spec!r}: {part!r} is not NAME:NUMBER (e.g. earnings:2,cookie:1)")
            pairs.append((name.strip(), value.strip()))
        items = pairs
    elif isinstance(spec, Mapping):
        items = spec.items()
    else:
        raise ValueError(f"weights = {spec!r}: must be a string like 'earnings:2,cookie:1' or a mapping")
    for name, value in items:
        if name not in COMPONENTS:
            raise ValueError(f"weights: unknown component {name!r}; allowed {', '.join(COMPONENTS)}")
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"weights: {name} = {value!r} is not a number") from None
        if not math.isfinite(w) or w < 0 or w > 1000:
            raise ValueError(f"weights: {name} = {value!r} must be between 0 and 1000")
        out[name] = w
    return _checked(out)


def _checked(weights: dict[str, float]) -> dict[str, float]:
    bad = [k for k in weights if k not in COMPONENTS]
    if bad:
        raise ValueError(f"weights: unknown component(s) {bad}; allowed {', '.join(COMPONENTS)}")
    if sum(weights.get(c, 0.0) for c in COMPONENTS) <= 0:
        raise ValueError("weights: at least one component needs a weight above 0")
    return {c: float(weights.get(c, 0.0)) for c in COMPONENTS}


def _f(value: Any) -> float:
    if value is None:
        return math.nan
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def _epoch(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return math.nan
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).timestamp()
    return math.nan


def _label(value: Any) -> str | None:
    value = getattr(value, "value", value)  # enums
    if value is None:
        return None
    text = str(value).strip().lower()
    return text if text and text != "unknown" else None


@dataclass
class ScoreInputs:
    """The terms the score reads, one entry per program (NaN / None = unknown)."""

    category: list[str | None]
    percent: np.ndarray
    flat: np.ndarray
    currency: list[str | None]
    payout_type: list[str | None]
    recurring: list[bool | None]
    lifetime: list[bool | None]
    duration_months: np.ndarray
    cookie_days: np.ndarray
    payout_minimum: np.ndarray
    payout_currency: list[str | None]
    payout_frequency: list[str | None]
    epc: np.ndarray
    approval: list[str | None]
    restrictions: np.ndarray
    last_verified: np.ndarray  # epoch seconds
    n_sources: np.ndarray

    def __len__(self) -> int:
        return len(self.category)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> "ScoreInputs":
        """From Program dumps or index rows (`commission`/`payout` as nested dicts)."""
        cols: dict[str, list[Any]] = {k: [] for k in cls.__dataclass_fields__}
        for r in rows:
            c = r.get("commission") or {}
            p = r.get("payout") or {}
            pct = r.get("commission_percent", c.get("percent_max") if c.get("percent_max") is not None else c.get("percent_min"))
            flat = r.get("commission_flat", c.get("flat_max") if c.get("flat_max") is not None else c.get("flat_min"))
            cols["category"].append(r.get("category") or None)
            cols["percent"].append(_f(pct))
            cols["flat"].append(_f(flat))
            cols["currency"].append(c.get("currency"))
            cols["payout_type"].append(_label(c.get("payout_type")))
            cols["recurring"].append(c.get("recurring"))
            cols["lifetime"].append(c.get("lifetime"))
            cols["duration_months"].append(_f(c.get("duration_months")))
            cols["cookie_days"].append(_f(r.get("cookie_days")))
            cols["payout_minimum"].append(_f(p.get("minimum")))
            cols["payout_currency"].append(p.get("currency"))
            cols["payout_frequency"].append(_label(p.get("frequency")))
            cols["epc"].append(_f(r.get("epc")))
            cols["approval"].append(_label(r.get("approval")))
            cols["restrictions"].append(len(r.get("restrictions") or []))
            cols["last_verified"].append(_epoch(r.get("last_verified")))
            cols["n_sources"].append(len(set(r.get("sources") or [])))
        arrays = {"percent", "flat", "duration_months", "cookie_days", "payout_minimum", "epc", "restrictions",
                  "last_verified", "n_sources"}
        fields: dict[str, Any] = {k: (np.asarray(v, dtype=np.float64) if k in arrays else v) for k, v in cols.items()}
        return cls(**fields)


def _arrow_floats(col: Any) -> np.ndarray:
    import pyarrow as pa

    return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _arrow_labels(col: Any) -> list[str | None]:
    return [_label(v) for v in col.to_pylist()]


def inputs_from_arrow(table: Any) -> ScoreInputs:
    """ScoreInputs from an Arrow table of index rows (the `SCORE_COLUMNS` of matrix.index.search),
    column-wise: the same values as `ScoreInputs.from_rows(table.to_pylist())`, ~10x faster."""
    import pyarrow as pa
    import pyarrow.compute as pc

    com, pay = table.column("commission"), table.column("payout")

    def field(col: Any, name: str) -> Any:
        return pc.struct_field(col, name)

    def best(hi: str, lo: str) -> np.ndarray:
        a, b = _arrow_floats(field(com, hi)), _arrow_floats(field(com, lo))
        return np.where(np.isnan(a), b, a)

    names = table.column_names
    percent = _arrow_floats(table.column("commission_percent")) if "commission_percent" in names \
        else best("percent_max", "percent_min")
    flat = _arrow_floats(table.column("commission_flat")) if "commission_flat" in names else best("flat_max", "flat_min")
    verified = table.column("last_verified").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return ScoreInputs(
        category=[c or None for c in table.column("category").to_pylist()],
        percent=percent, flat=flat,
        currency=field(com, "currency").to_pylist(),
        payout_type=_arrow_labels(field(com, "payout_type")),
        recurring=field(com, "recurring").to_pylist(),
        lifetime=field(com, "lifetime").to_pylist(),
        duration_months=_arrow_floats(field(com, "duration_months")),
        cookie_days=_arrow_floats(table.column("cookie_days")),
        payout_minimum=_arrow_floats(field(pay, "minimum")),
        payout_currency=field(pay, "currency").to_pylist(),
        payout_frequency=_arrow_labels(field(pay, "frequency")),
        epc=_arrow_floats(table.column("epc")),
        approval=_arrow_labels(table.column("approval")),
        restrictions=np.asarray(pc.fill_null(pc.list_value_length(table.column("restrictions")), 0)
                                .to_numpy(zero_copy_only=False), dtype=np.float64),
        last_verified=_arrow_floats(verified) / 1e6,
        n_sources=np.asarray([len(set(s or ())) for s in table.column("sources").to_pylist()], dtype=np.float64),
    )


@dataclass
class ScoreTable:
    """Scores of one set of programs under one weighting, with what is needed to explain a row."""

    inputs: ScoreInputs
    weights: dict[str, float]
    components: dict[str, np.ndarray]  # each in [0, 1], NaN = unknown
    score: np.ndarray  # 0..100, NaN when nothing is known
    confidence: np.ndarray  # 0..1
    kind: list[str | None]  # "percent" / "flat" / None (earnings unknown)
    horizon_months: np.ndarray
    group_size: np.ndarray
    group_top: np.ndarray  # fraction of the group at or above this program (0.1 = top 10 %)
    now_s: float
    _cache: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    bands: list[float] = field(default_factory=list)  # score facet band edges (set by the index's search)

    def explain(self, i: int, top: int = 3) -> dict[str, Any]:
        """Score, confidence, the `top` reasons (largest weighted contributions first), each component."""
        if i in self._cache:
            return self._cache[i]
        texts = {name: _reason(self, name, i) for name in COMPONENTS}
        contrib = sorted(((self.weights[n] * self.components[n][i], n) for n in COMPONENTS
                          if self.weights[n] > 0 and not math.isnan(self.components[n][i])), reverse=True)
        s = self.score[i]
        out = {
            "score": None if math.isnan(s) else round(float(s), 1),
            "confidence": round(float(self.confidence[i]), 2),
            "reasons": [texts[n] for _, n in contrib[:top] if texts[n]],
            "unknown": [n for n in COMPONENTS if self.weights[n] > 0 and math.isnan(self.components[n][i])],
            "components": {n: {"value": None if math.isnan(self.components[n][i]) else round(float(self.components[n][i]), 3),
                               "weight": self.weights[n], "reason": texts[n]} for n in COMPONENTS},
        }
        self._cache[i] = out
        return out


def score_programs(inputs: ScoreInputs, cfg: Any = None, weights: str | Mapping[str, Any] | None = None,
                   now: dt.datetime | float | None = None) -> ScoreTable:
    """Score every program of `inputs`. `cfg` is a ScoreSettings (or None for defaults); `weights`
    overrides some of `cfg.weights`; `now` fixes the clock for freshness (tests, cache keys)."""
    if cfg is None:
        from matrix.config import ScoreSettings

        cfg = ScoreSettings()
    w = parse_weights(weights, base=parse_weights(cfg.weights))
    now_s = _epoch(now) if now is not None else dt.datetime.now(dt.timezone.utc).timestamp()
    n = len(inputs)
    kind, value, horizon = _earning_values(inputs, cfg)
    earnings, group_size, group_top, reliability = _group_percentiles(inputs.category, kind, value, cfg.group_prior)
    comps = {
        "earnings": earnings,
        "cookie": _cookie(inputs.cookie_days, cfg.cookie_full_days),
        "payout": _payout(inputs, cfg.payout_minimum_half),
        "epc": np.where(inputs.epc >= 0, inputs.epc / (inputs.epc + cfg.epc_half), np.nan),
        "access": _access(inputs),
        "freshness": _freshness(inputs.last_verified, now_s, cfg.freshness_half_life_days),
        "data_quality": np.where(inputs.n_sources > 0, 1.0 - 0.5 ** inputs.n_sources, np.nan),
    }
    num = np.zeros(n)
    den = np.zeros(n)
    conf = np.zeros(n)
    total = sum(w.values())
    for name in COMPONENTS:
        c = comps[name]
        known = ~np.isnan(c)
        num += np.where(known, w[name] * np.nan_to_num(c), 0.0)
        den += np.where(known, w[name], 0.0)
        trust = reliability if name == "earnings" else 1.0
        conf += np.where(known, w[name] * trust, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)
    score = np.clip(score, 0.0, 100.0)
    return ScoreTable(inputs=inputs, weights=w, components=comps, score=score, confidence=np.clip(conf / total, 0, 1),
                      kind=kind, horizon_months=horizon, group_size=group_size, group_top=group_top, now_s=now_s)


# --- components -------------------------------------------------------------------------------
def _earning_values(inp: ScoreInputs, cfg: Any) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """Per program: which scale its commission is on, its value over the horizon, the horizon."""
    n = len(inp)
    kind: list[str | None] = []
    value = np.full(n, np.nan)
    horizon = np.ones(n)
    for i in range(n):
        if not math.isnan(inp.percent[i]) and inp.percent[i] >= 0:
            kind.append("percent")
            base = inp.percent[i]
        elif not math.isnan(inp.flat[i]) and inp.flat[i] >= 0:
            kind.append("flat")
            base = inp.flat[i]
        else:
            kind.append(None)
            continue
        months = 1.0
        if inp.recurring[i]:
            d = inp.duration_months[i]
            fallback = cfg.lifetime_months if inp.lifetime[i] else cfg.recurring_default_months
            months = d if not math.isnan(d) and d >= 1 else fallback
        elif inp.lifetime[i]:
            months = cfg.lifetime_months
        months = min(float(months), float(cfg.max_months))
        horizon[i] = months
        # later months count `recurring_month_value` of the first (churn, payout delay)
        value[i] = base * (1.0 + cfg.recurring_month_value * (months - 1.0))
    return kind, value, horizon


def _group_percentiles(category: Sequence[str | None], kind: Sequence[str | None], value: np.ndarray,
                       prior: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mid-rank percentile of each value inside its (category, kind) group, shrunk to 0.5 by `prior`."""
    n = len(value)
    pct = np.full(n, np.nan)
    size = np.zeros(n)
    top = np.full(n, np.nan)
    groups: dict[tuple[str, str], list[int]] = {}
    for i in range(n):
        k = kind[i]
        if k is not None:
            groups.setdefault((category[i] or "unknown", k), []).append(i)
    for rows in groups.values():
        idx = np.asarray(rows)
        vals = value[idx]
        ordered = np.sort(vals)
        less = np.searchsorted(ordered, vals, side="left")
        not_greater = np.searchsorted(ordered, vals, side="right")
        m = len(idx)
        raw = (less + 0.5 * (not_greater - less)) / m
        pct[idx] = (m * raw + prior * 0.5) / (m + prior)
        size[idx] = m
        top[idx] = (m - less) / m  # share of the group at or above this value
    reliability = np.where(size > 0, size / (size + prior), 0.0)
    return pct, size, top, reliability


def _cookie(days: np.ndarray, full_days: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(days >= 0, np.minimum(1.0, np.log1p(np.maximum(days, 0)) / math.log1p(full_days)), np.nan)


def _payout(inp: ScoreInputs, half: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        minimum = np.where(inp.payout_minimum >= 0, half / (half + np.maximum(inp.payout_minimum, 0)), np.nan)
    freq = np.asarray([FREQUENCY_VALUE.get(f, np.nan) if f else np.nan for f in inp.payout_frequency], dtype=np.float64)
    both = np.vstack([minimum, freq]) if len(minimum) else np.zeros((2, 0))
    known = ~np.isnan(both)
    cnt = known.sum(axis=0)
    return np.where(cnt > 0, np.nansum(both, axis=0) / np.maximum(cnt, 1), np.nan)


def _access(inp: ScoreInputs) -> np.ndarray:
    base = np.asarray([APPROVAL_VALUE.get(a, np.nan) if a else np.nan for a in inp.approval], dtype=np.float64)
    return base * (1.0 - np.minimum(0.5, RESTRICTION_COST * inp.restrictions))


def _freshness(verified_s: np.ndarray, now_s: float, half_life_days: float) -> np.ndarray:
    age_days = np.maximum(0.0, (now_s - verified_s) / _DAY_S)
    return np.where(np.isnan(verified_s), np.nan, 0.5 ** (age_days / half_life_days))


# --- reasons ----------------------------------------------------------------------------------
def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}".rstrip("0").rstrip(".")


def _money(amount: float, currency: str | None) -> str:
    sym = CURRENCY_SYMBOL.get((currency or "").upper())
    return f"{sym}{_num(amount)}" if sym else f"{_num(amount)} {currency}" if currency else _num(amount)


def _earnings_reason(t: ScoreTable, i: int) -> str:
    """The commission as text, then where it ranks among programs of the same category and kind."""
    inp = t.inputs
    if t.kind[i] == "percent":
        text = f"{_num(inp.percent[i])} %"
    else:
        pt = inp.payout_type[i]
        text = _money(inp.flat[i], inp.currency[i]) + (f" {pt.upper()}" if pt else " flat")
    if inp.recurring[i]:
        months = t.horizon_months[i]
        text += " recurring " + ("(lifetime)" if inp.lifetime[i] and math.isnan(inp.duration_months[i])
                                 else f"for {_num(months)} months")
    elif inp.lifetime[i]:
        text += " lifetime"
    group = (inp.category[i] or "uncategorized") + " programs"
    scale = "paying a %" if t.kind[i] == "percent" else "paying a flat fee"
    m = int(t.group_size[i])
    if m < 2:
        return f"{text}, the only {group.rstrip('s')} {scale}"
    share = t.group_top[i]
    if share <= 0.5:
        pct = max(1, int(math.ceil(share * 100 / 5.0) * 5)) if share > 0.05 else max(1, int(math.ceil(share * 100)))
        return f"{text}, top {pct} % of {m} {group} {scale}"
    return f"{text}, lower half of {m} {group} {scale}"


def _reason(t: ScoreTable, name: str, i: int) -> str | None:
    inp = t.inputs
    if math.isnan(t.components[name][i]):
        return None
    if name == "earnings":
        return _earnings_reason(t, i)
    if name == "cookie":
        d = inp.cookie_days[i]
        return "session cookie only" if d == 0 else f"cookie {_num(d)} days"
    if name == "payout":
        parts = []
        if not math.isnan(inp.payout_minimum[i]):
            parts.append("no payout minimum" if inp.payout_minimum[i] == 0
                         else f"payout from {_money(inp.payout_minimum[i], inp.payout_currency[i])}")
        if inp.payout_frequency[i] in FREQUENCY_VALUE:
            parts.append(f"paid {inp.payout_frequency[i]}")
        return ", ".join(parts) or None
    if name == "epc":
        return f"EPC {_num(inp.epc[i])}"
    if name == "access":
        text = {"auto": "auto-approval", "manual": "manual approval", "invite": "invite only"}[inp.approval[i] or ""]
        r = int(inp.restrictions[i])
        return text + (f", {r} restriction{'s' if r != 1 else ''}" if r else "")
    if name == "freshness":
        days = int(max(0.0, (t.now_s - inp.last_verified[i]) / _DAY_S))
        return "terms verified today" if days == 0 else f"terms verified {days} day{'s' if days != 1 else ''} ago"
    if name == "data_quality":
        k = int(inp.n_sources[i])
        return f"seen in {k} sources" if k > 1 else "1 source"
    return None
