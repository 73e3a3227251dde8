"""Budget benchmark: regret vs the simulator's oracle, the 90-day online loop, forecast backtest.

    .venv/bin/python bench/budget_regret.py            # full: 20 worlds x {5,20,50} campaigns
    .venv/bin/python bench/budget_regret.py --smoke    # CI size, < 60 s

Offline: each world gets 180 days of exploring history; every strategy fits/allocates once for
the next day; regret = (oracle value - value of the strategy's allocation) / oracle value, both on
the true curves. Online: 90 days, strategies see only noisy daily outcomes. Forecast: rolling-origin
backtest (horizons 1-7) on simulated histories vs last value, seasonal naive, moving average.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matrix.budget.evaluate import offline_regret, online_regret  # noqa: E402
from matrix.budget.forecast import backtest  # noqa: E402
from matrix.budget.simulator import make_world  # noqa: E402
from matrix.budget.strategies import available_strategies, get_strategy  # noqa: E402

OFFLINE = ["equal", "proportional", "pareto", "epsilon_greedy", "thompson", "optimum"]


def offline(sizes: list[int], worlds: int, history_days: int) -> None:
    print(f"\n== offline regret vs oracle ({worlds} worlds per size, {history_days} days of history, mixed concave/S-shaped)")
    print(f"{'campaigns':>9} {'strategy':<15} {'median %':>9} {'p90 %':>8} {'max %':>8} {'s':>6}")
    for n in sizes:
        hists = {}
        for name in OFFLINE:
            t = time.perf_counter()
            r = []
            for s in range(worlds):
                w = make_world(n, seed=s)
                if s not in hists:
                    hists[s] = w.history(history_days, np.random.default_rng(s))
                r.append(offline_regret(w, get_strategy(name), seed=s, history=hists[s]))
            r = 100 * np.array(r)
            print(f"{n:>9} {name:<15} {np.median(r):>9.3f} {np.percentile(r, 90):>8.3f} {r.max():>8.3f} {time.perf_counter() - t:>6.1f}", flush=True)


def online(n: int, worlds: int, days: int) -> None:
    print(f"\n== online loop: {days} days, {n} campaigns, {worlds} worlds (noisy daily outcomes only)")
    print(f"{'strategy':<15} {'cumulative %':>13} {'final week %':>13} {'s':>6}")
    for name in ["thompson", "epsilon_greedy", "optimum", "equal"]:
        t = time.perf_counter()
        res = [online_regret(make_world(n, seed=100 + s), get_strategy(name), days=days, seed=100 + s) for s in range(worlds)]
        cum = 100 * np.mean([r.cumulative_regret for r in res])
        fin = 100 * np.mean([r.final_week_regret for r in res])
        print(f"{name:<15} {cum:>13.3f} {fin:>13.3f} {time.perf_counter() - t:>6.1f}", flush=True)


def forecast_bench(worlds: int, campaigns: int, days: int) -> None:
    print(f"\n== forecast backtest: {worlds} worlds x {campaigns} campaigns x {days} days (drift + change-points), horizons 1-7")
    import pandas as pd
    tables = []
    for s in range(worlds):
        w = make_world(campaigns, seed=200 + s, drift_sd=0.01, changepoint_prob=0.3)
        h = w.history(days, np.random.default_rng(200 + s), hold_days=3)
        tables.append(backtest(h, min_train=min(56, days - 28), step=7))
    t = pd.concat(tables).groupby(["method", "horizon"])[["wape", "smape"]].mean().reset_index()
    piv = t.pivot(index="horizon", columns="method", values="wape")
    print("WAPE by horizon (0 = all pooled):")
    print(piv.to_string(float_format=lambda v: f"{v:.3f}"))
    pooled = t[t.horizon == 0].set_index("method")
    best_naive = pooled.drop("model")["wape"].min()
    print(f"sMAPE pooled: " + ", ".join(f"{m}={v:.3f}" for m, v in pooled["smape"].items()))
    print(f"model WAPE {pooled.loc['model', 'wape']:.3f} vs best naive {best_naive:.3f}: "
          f"{100 * (1 - pooled.loc['model', 'wape'] / best_naive):.1f}% lower")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--part", choices=["all", "offline", "online", "forecast"], default="all")
    a = p.parse_args()
    t0 = time.perf_counter()
    print(f"strategies registered: {available_strategies()}")
    if a.smoke:
        sizes, worlds, hist, on_n, on_w, on_d, fw, fc, fd = [5, 20], 3, 120, 5, 1, 30, 1, 2, 90
    else:
        sizes, worlds, hist, on_n, on_w, on_d, fw, fc, fd = [5, 20, 50], 20, 180, 10, 5, 90, 4, 5, 150
    if a.part in ("all", "offline"):
        offline(sizes, worlds, hist)
    if a.part in ("all", "online"):
        online(on_n, on_w, on_d)
    if a.part in ("all", "forecast"):
        forecast_bench(fw, fc, fd)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
