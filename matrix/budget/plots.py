"""PNG plots (matplotlib, Agg backend: no display needed on servers or in CI)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from matrix.budget.plan import AllocationPlan  # noqa: E402
from matrix.budget.response import HillPosterior  # noqa: E402


def response_curves(posteriors: dict[str, HillPosterior], history: pd.DataFrame, path: str | Path,
                    plan: AllocationPlan | None = None, max_panels: int = 12) -> Path:
    ids = list(posteriors)[:max_panels]
    cols = min(4, len(ids))
    rows = int(np.ceil(len(ids) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    proposed = {c.campaign_id: c.proposed for c in plan.campaigns} if plan else {}
    for ax, cid in zip(axes.ravel(), ids):
        p = posteriors[cid]
        g = history[history["campaign_id"] == cid]
        xmax = max(float(g["spend"].max()), proposed.get(cid, 0.0)) * 1.3
        xs = np.linspace(0, xmax, 80)
        d = p.predictive(xs, n=100)
        ax.fill_between(xs, np.quantile(d, 0.1, 0), np.quantile(d, 0.9, 0), alpha=0.3, label="80% band")
        ax.plot(xs, p.mean_curve()(xs), label="posterior mean")
        ax.scatter(g["spend"], g["commission"], s=6, alpha=0.5, color="k", label="days")
        if cid in proposed:
            ax.axvline(proposed[cid], color="tab:red", ls="--", label="proposed")
        ax.set_title(cid)
        ax.set_xlabel("daily spend")
        ax.set_ylabel("commission")
    for ax in axes.ravel()[len(ids):]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    return _save(fig, path)


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
