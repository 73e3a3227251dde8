"""PNG plots (matplotlib, Agg backend: no display needed on servers or in CI)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from matrix.extras import require

matplotlib = require("matplotlib", "budget plots (--plots)")  # the [plots] extra
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from matrix.budget.plan import AllocationPlan  # noqa: E402
from matrix.budget.response import HillPosterior  # noqa: E402


def response_curves(posteriors: dict[str, HillPosterior], history: pd.DataFrame, path: str | Path,
                    plan: AllocationPlan | None = None, max_panels: int = 12, currency: str | None = None) -> Path:
    """First page of `response_curve_pages` (every campaign is drawn; further pages sit beside it)."""
    return response_curve_pages(posteriors, history, path, plan, max_panels, currency)[0]


def response_curve_pages(posteriors: dict[str, HillPosterior], history: pd.DataFrame, path: str | Path,
                         plan: AllocationPlan | None = None, per_page: int = 12,
                         currency: str | None = None) -> list[Path]:
    """Fitted curve with its 80 % band for every campaign (largest proposal first, `per_page` panels a
    page: path, path_p2, ...). The observed spend range is marked; beyond it the curve is an
    extrapolation and the area is shaded and labelled so; axes carry the currency."""
    cur = currency or (plan.currency if plan else "USD")
    proposed = {c.campaign_id: c.proposed for c in plan.campaigns} if plan else {}
    ids = sorted(posteriors, key=lambda c: -proposed.get(c, 0.0)) if proposed else list(posteriors)
    base = Path(path)
    pages = [ids[i:i + per_page] for i in range(0, len(ids), per_page)] or [[]]
    out = []
    for n, chunk in enumerate(pages, start=1):
        cols = max(1, min(4, len(chunk)))
        rows = max(1, int(np.ceil(len(chunk) / cols)))
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
        for ax, cid in zip(axes.ravel()[:len(chunk)], chunk, strict=True):
            p = posteriors[cid]
            g = history[history["campaign_id"] == cid]
            lo_obs, hi_obs = float(g["spend"].min()), float(g["spend"].max())
            xmax = max(hi_obs, proposed.get(cid, 0.0)) * 1.3
            xs = np.linspace(0, xmax, 80)
            d = p.predictive(xs, n=100)
            ax.fill_between(xs, np.quantile(d, 0.1, 0), np.quantile(d, 0.9, 0), alpha=0.3, label="80% band")
            ax.plot(xs, p.mean_curve()(xs), label="posterior mean")
            ax.axvspan(hi_obs, xmax, color="tab:orange", alpha=0.12, label="extrapolated (never spent)")
            ax.axvline(lo_obs, color="grey", lw=0.8, ls=":")
            ax.axvline(hi_obs, color="grey", lw=0.8, ls=":", label="observed spend range")
            ax.scatter(g["spend"], g["commission"], s=6, alpha=0.5, color="k", label="days")
            if cid in proposed:
                ax.axvline(proposed[cid], color="tab:red", ls="--", label="proposed")
            ax.set_xlim(0, xmax)
            ax.set_title(cid)
            ax.set_xlabel(f"daily spend ({cur})")
            ax.set_ylabel(f"commission ({cur}/day)")
        for ax in axes.ravel()[len(chunk):]:
            ax.axis("off")
        axes[0, 0].legend(fontsize=6)
        if len(pages) > 1:
            fig.suptitle(f"response curves, page {n}/{len(pages)} (largest proposals first)")
        target = base if n == 1 else base.with_name(f"{base.stem}_p{n}{base.suffix}")
        out.append(_save(fig, target))
    return out


def allocation_before_after(plan: AllocationPlan, path: str | Path) -> Path:
    ids = [c.campaign_id for c in plan.campaigns]
    cur = [c.current if c.current is not None else 0.0 for c in plan.campaigns]
    new = [c.proposed for c in plan.campaigns]
    x = np.arange(len(ids))
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(ids)), 4))
    ax.bar(x - 0.2, cur, 0.4, label="current")
    ax.bar(x + 0.2, new, 0.4, label=f"proposed ({plan.strategy})")
    ax.set_xticks(x, ids, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel(f"daily spend ({plan.currency})")
    ax.legend()
    return _save(fig, path)


def forecast_vs_actuals(history: pd.DataFrame, fc: pd.DataFrame, path: str | Path, campaign: str = "__total__",
                        actuals: pd.DataFrame | None = None, tail_days: int = 42) -> Path:
    h = history if campaign == "__total__" else history[history["campaign_id"] == campaign]
    hist = h.groupby("date")["commission"].sum().tail(tail_days)
    f = fc[fc["campaign_id"] == campaign]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(pd.to_datetime(hist.index), hist.to_numpy(), color="k", label="actual")
    if actuals is not None:
        a = actuals if campaign == "__total__" else actuals[actuals["campaign_id"] == campaign]
        a = a.groupby("date")["commission"].sum()
        ax.plot(pd.to_datetime(a.index), a.to_numpy(), color="k", ls=":", label="actual (after origin)")
    d = pd.to_datetime(f["date"])
    label = "forecast (conditional on planned spend)" if f["conditional"].all() else "forecast (spend held at recent mean)"
    ax.plot(d, f["forecast"], color="tab:blue", label=label)
    ax.fill_between(d, f["lower"].astype(float), f["upper"].astype(float), alpha=0.3, color="tab:blue", label="80% interval")
    ax.set_title(f"commission: {campaign}")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return _save(fig, path)


def regret_curves(daily: dict[str, Sequence[float]], path: str | Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, r in daily.items():
        ax.plot(np.arange(1, len(r) + 1), 100 * np.asarray(r), label=name)
    ax.set_xlabel("day")
    ax.set_ylabel("regret vs oracle (%)")
    ax.legend()
    return _save(fig, path)


def _save(fig: plt.Figure, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return p
