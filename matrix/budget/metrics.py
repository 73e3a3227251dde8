"""Performance metrics per campaign, program, network or period.

Definitions (money in the base currency; `commission` is what the marketer earned):
ROAS = commission / spend, ROI = (commission - spend) / spend, EPC = commission / clicks,
CVR = conversions / clicks, CPA = spend / conversions, marginal ROI = d commission / d spend - 1
at the recent spend level, read from the fitted response curve (what one more unit of budget
would return, which is what allocation decisions need; average ROI hides saturation).
A metric whose inputs are unknown or zero is None, never 0.
"""

from __future__ import annotations

from typing import Literal, Mapping

import numpy as np
import pandas as pd

from matrix.budget.model import PerformanceError
from matrix.budget.response import HillPosterior

GroupBy = Literal["campaign", "program", "network", "day", "week", "month"]
MONEY = ["spend", "commission", "revenue"]


def to_base_currency(df: pd.DataFrame, base: str, fx_rates: Mapping[str, float]) -> pd.DataFrame:
    """Money columns converted with fx_rates (units of base per unit of currency)."""
    out = df.copy()
    rates = {base: 1.0, **{k.upper(): float(v) for k, v in fx_rates.items()}}
    missing = sorted(set(out["currency"].dropna()) - set(rates))
    if missing:
        raise PerformanceError(f"no exchange rate for {missing} into {base}; add them to budget.fx_rates in "
                               f"ray_config.yaml (e.g. MATRIX_BUDGET__FX_RATES='{{{missing[0]}: 1.1}}')")
    r = out["currency"].map(rates).astype(float)
    for c in MONEY:
        if c in out:
            out[c] = out[c].astype(float) * r
    out["currency"] = base
    return out


def marginal_roi(posteriors: Mapping[str, HillPosterior | None], history: pd.DataFrame, days: int = 7) -> dict[str, float | None]:
    """Per campaign: slope of the posterior-mean curve at the mean spend of the last `days` days, minus 1."""
    out: dict[str, float | None] = {}
    for cid, post in posteriors.items():
        g = history[history["campaign_id"] == cid].sort_values("date")
        spend = g["spend"].dropna().tail(days)
        if post is None or spend.empty:
            out[cid] = None
            continue
        x = float(spend.mean())
        out[cid] = float(post.mean_curve().marginal(np.array([x]))[0]) - 1.0
    return out


def _key(df: pd.DataFrame, by: GroupBy) -> pd.Series:
    d = pd.to_datetime(df["date"])
    if by == "campaign":
        return df["campaign_id"]
    if by in ("program", "network"):
        return df[f"{by}_id" if by == "program" else by].fillna("(unknown)")
    if by == "day":
        return d.dt.strftime("%Y-%m-%d")
    if by == "week":
        return d.dt.strftime("%G-W%V")
    if by == "month":
        return d.dt.strftime("%Y-%m")
    raise ValueError(f"unknown grouping {by!r}; allowed: campaign, program, network, day, week, month")


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    a, b = a.astype(float), b.astype(float)
    r = a / b.where(b > 0)
    return r.where(a.notna() & b.notna())


def summarize(df: pd.DataFrame, by: GroupBy = "campaign", *, base_currency: str = "USD",
              fx_rates: Mapping[str, float] | None = None,
              marginal: Mapping[str, float | None] | None = None) -> pd.DataFrame:
    """One row per group with totals and ROI, ROAS, EPC, CVR, CPA and (when given) marginal ROI."""
    if df.empty:
        return pd.DataFrame(columns=["group", "spend", "commission", "roi", "roas", "epc", "cvr", "cpa", "marginal_roi"])
    data = to_base_currency(df, base_currency, fx_rates or {})
    data["group"] = _key(data, by)
    cols = ["spend", "impressions", "clicks", "conversions", "commission"]
    for c in cols:
        data[c] = data[c].astype(float)
    g = data.groupby("group")[cols].sum(min_count=1)
    # a sum is only known if every row is known: one day without spend makes total spend unknown
    known = data.groupby("group")[cols].agg(lambda s: s.notna().all())
    g = g.where(known)
    g["roas"] = _ratio(g["commission"], g["spend"])
    g["roi"] = g["roas"] - 1
    g["epc"] = _ratio(g["commission"], g["clicks"])
    g["cvr"] = _ratio(g["conversions"], g["clicks"])
    g["cpa"] = _ratio(g["spend"], g["conversions"])
    g["marginal_roi"] = np.nan
    if marginal:
        m = data[["campaign_id", "group", "spend"]].copy()
        m["mroi"] = m["campaign_id"].map(lambda c: marginal.get(c))
        m = m.dropna(subset=["mroi", "spend"])
        if not m.empty:
            w = m.groupby("group").apply(lambda x: np.average(x["mroi"].astype(float), weights=x["spend"] + 1e-12),
                                         include_groups=False)
            g["marginal_roi"] = w.reindex(g.index)
    g = g.reset_index().astype(object)
    return g.where(pd.notna(g), None)
