"""Budget benchmark on worlds whose history covers only part of each curve (issue 19).

    .venv/bin/python bench/budget_regret.py                 # full: 12 worlds each of dev, heldout, sealed, sealed2
    .venv/bin/python bench/budget_regret.py --families dev,heldout   # while developing: never the sealed family
    .venv/bin/python bench/budget_regret.py --smoke         # CI size
    .venv/bin/python bench/budget_regret.py --json out.json # figures as data too
    .venv/bin/python bench/budget_regret.py --families dev --worlds 12 --no-loop --strategies safe  # one-shot only
    .venv/bin/python bench/budget_regret.py --families dev --campaigns 4,8 --no-loop   # small accounts (any family)

Worlds (matrix.budget.simulator.make_partial_world): Hill curves with carry-over, concave and
S-shaped, Poisson (dev) or negative-binomial (held-out) conversions, change-points inside or after
the history; each campaign's history runs near one level, from far below its best to far above;
a cap of 0.5 x the budget per campaign. Three generator families: `dev` (strategies were developed
on it), `heldout` (other seeds *and* other settings: spread, noise, shape mix, change-points) and
`sealed` (other seeds and settings again: narrow jitter, heavy over-dispersion, late change-points
of four sizes, drift, longer carry-over, 100-day histories, 20 and 50 campaigns). `dev` and
`heldout` were looked at many times while developing; `sealed` was defined before the closed-loop
and interval work and run once at the end of session 3; after that run it became development data.
`sealed2` (jitter 3-60 % per campaign, a planning budget 0.6-1.6 x the historical one, sharp S-curves, carry-over
up to 0.6, change-points from early history deep into the loop, 75 days, 20 and 50 campaigns) was defined before the
evidence-sized trust region was built and run once at the end; development data since (session 4).
`sealed3` (defined at the start of session 4, before that session's loop work; see its docstring in
matrix/budget/simulator.py: under-funded histories with stepped budget changes, paused days, weekend-heavy weeks,
early-saturating curves, high-ticket noisy earnings, 60 days, 12 and 35 campaigns) was run once by the lead at the
end of session 4's loop work; development data since. `sealed4` (defined at 13:21 UTC in session 4 before the
default-vs-equal tuning: very uneven histories, late-launched campaigns, weekday-heavy weeks, budget cuts and
expansions; 90 days, 15 and 40 campaigns) was run once by the lead at the end of session 4; development data since.
`sealed5` (defined at 15:20 UTC in session 5 before that session's interval and loop work: 45-day histories over
18 and 45 campaigns, budgets mostly expanded 0.7-2x, soft curves, change-points deep into the loop) was run once
by the lead at 16:23 UTC in session 5 with the final code (figures in docs/budget.md); development data since.
`sealed7` (defined at 21:28 UTC in session 7 before that session's budget work: small and mid accounts, 8 and 30
campaigns, 56-day histories, budgets 0.6-1.8x, long carry-over, noisy high-variance earnings; see
matrix/budget/simulator.py) was run once by the lead at the end of session 7 (figures in docs/budget.md); development
data since.
`sealed8` (defined at 00:29 UTC in session 8 before that session's budget work: 84-day histories over 12 and 40
campaigns, budgets 0.7-1.4x, 55 % S-curves, a Monday-heavy week; see matrix/budget/simulator.py) is run once by the
lead at the end of session 8; nobody developing runs it.
`sealed9` (defined at 01:50 UTC in session 8 before that session's interval work: 63-day histories over 10 and 36
campaigns, budgets 0.8-1.6x, noisy earnings; see matrix/budget/simulator.py) is run once by the lead at the end of
session 8; nobody developing runs it.
`sealed10` (defined at 03:31 UTC in session 9 before that session's budget work: 49-day histories over 14 and 44
campaigns, budgets 0.6-1.7x, NB size 4, a Sunday-heavy week; see matrix/budget/simulator.py) is run once by the lead at
the end of session 9; nobody developing runs it.
`sealed11` (defined at 06:31 UTC in session 10 before that session's budget work: 77-day histories over 9 and 52
campaigns, budgets 0.7-2.0x, 30 % S-curves, a mid-week-heavy week; see matrix/budget/simulator.py) is run once by the
lead at the end of session 10; nobody developing runs it.
`sealed12` (defined at 11:00 UTC in session 11 before that session's budget work: 42-day histories over 11 and 38
campaigns, budgets 0.5-1.8x, 60 % S-curves, NB size 3, late launches, a weekend-light week; see
matrix/budget/simulator.py) is run once by the lead at the end of session 11; nobody developing runs it.
`sealed13` (defined at 02:48 UTC in session 13 before that session's budget work: 35-day histories over 6 and 45
campaigns, budgets 0.55-1.9x, 40 % S-curves, NB size 5, late launches, a Friday-heavy week; see
matrix/budget/simulator.py) is run once by the lead at the end of session 13; nobody developing runs it.
`sealed14` (defined at 06:40 UTC in session 14 before that session's budget work: 56-day histories over 7 and 40
campaigns, budgets 0.6-1.7x, 50 % S-curves, NB size 6, late launches, a weekend-light week; see
matrix/budget/simulator.py) is run once by the lead at the end of session 14; nobody developing runs it.
`sealed15` (defined at 10:40 UTC in session 15 before that session's budget work: 63-day histories over 9 and 42
campaigns, budgets 0.65-1.6x, 45 % S-curves, NB size 4, late launches, a Monday-heavy week; see
matrix/budget/simulator.py) is run once by the lead at the end of session 15; nobody developing runs it.
`sealed16` (defined at 15:30 UTC in session 16 before that session's budget work: 70-day histories over 8 and 46
campaigns, budgets 0.6-1.75x, 55 % S-curves, NB size 5, late launches, a Thursday-heavy week; see
matrix/budget/simulator.py) is run once by the lead at the end of session 16; nobody developing runs it.
`sealed17` (defined at 18:25 UTC in session 17 before that session's budget work: 49-day histories over 10 and 38
campaigns, budgets 0.7-1.6x, 40 % S-curves, NB size 4, late launches, a Tuesday-heavy week; see
matrix/budget/simulator.py) was run once by the lead at the end of session 17 (figures in docs/budget.md); development data since.
`sealed6` (defined at 18:15 UTC in session 6 before that session's budget work: 70-day histories over 16 and 48
campaigns, budgets 0.5-2.2x the historical one, half S-curves, late launches; see matrix/budget/simulator.py) was run
by the lead at the end of session 6 (its first run crashed on a numerical overflow, fixed without tuning and run again;
figures in docs/budget.md); development data since.

Per strategy (equal, proportional, safe = the default, explore):
  one-shot: fit on 120 days, plan the next day once; median / p90 regret vs the oracle (true curves),
  share of worlds where the plan is >= keeping the historical allocation, share of plans whose 80 %
  interval of expected earnings holds the true value;
  closed loop: import -> allocate -> play 7 days -> import ..., 8 weeks; median regret of week 2 and 8 (a week's regret
  is the mean true value over the days actually played: the plan's play schedule when it carries one, e.g. with the
  opt-in `safe --param dither=0.25`, session 7, matrix.budget.evaluate.week_plays); rev = how much
  the loop oscillates (matrix.budget.evaluate.reversal_share: of the campaign moves > 10 % that followed a move > 10 %,
  the share that reversed it; median over worlds);
  violations of the constraints (all plans, both modes);
  trust: best reachable regret inside the one-shot plan's trust region (the observed range, rescaled by the budget
  ratio since session 6, widened by each campaign's evidence step, matrix.budget.safe.evidence_steps) with the true
  curves (the loop's region grows each week as the plays extend the observed range); with --reach (session 9) also
  the default loop's own region at week 2 and week 8 (median over worlds): a week's regret minus its reach is what
  the posterior and the plan's hedges lose, the reach what the region still bars.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matrix.budget.evaluate import closed_loop, one_shot, reversal_share  # noqa: E402
from matrix.budget.simulator import make_partial_world  # noqa: E402
from matrix.budget.strategies import get_strategy  # noqa: E402

STRATEGIES = ["equal", "proportional", "safe", "explore"]


# per-family sizes that differ from the defaults (campaign counts cycle over the worlds)
FAMILY_SIZES: dict[str, dict] = {"sealed": {"campaigns": (20, 50), "history_days": 100},
                                  "sealed2": {"campaigns": (20, 50), "history_days": 75},
                                  "sealed3": {"campaigns": (12, 35), "history_days": 60},
                                  "sealed4": {"campaigns": (15, 40), "history_days": 90},
                                  "sealed5": {"campaigns": (18, 45), "history_days": 45},
                                  "sealed6": {"campaigns": (16, 48), "history_days": 70},
                                  "sealed7": {"campaigns": (8, 30), "history_days": 56},
                                  "sealed8": {"campaigns": (12, 40), "history_days": 84},
                                  "sealed9": {"campaigns": (10, 36), "history_days": 63},
                                  "sealed10": {"campaigns": (14, 44), "history_days": 49},
                                  "sealed11": {"campaigns": (9, 52), "history_days": 77},
                                  "sealed12": {"campaigns": (11, 38), "history_days": 42},
                                  "sealed13": {"campaigns": (6, 45), "history_days": 35},
                                  "sealed14": {"campaigns": (7, 40), "history_days": 56},
                                  "sealed15": {"campaigns": (9, 42), "history_days": 63},
                                  "sealed16": {"campaigns": (8, 46), "history_days": 70},
                                  "sealed17": {"campaigns": (10, 38), "history_days": 49}}


def run_family(family: str, worlds: int, campaigns: int, weeks: int, history_days: int,
               strategies: list[str] | None = None, counts: tuple[int, ...] | None = None,
               reach: bool = False) -> dict[str, dict[str, float]]:
    """`counts` (from --campaigns) overrides the family's campaign counts; they cycle over the worlds. `reach`
    (--reach): the default's loop also records each week's best reachable regret inside its trust region."""
    strategies = strategies or STRATEGIES
    per: dict[str, dict[str, list]] = {s: {"regret": [], "ge_hist": [], "covered": [], "w2": [], "w8": [], "viol": [],
                                           "rev": []}
                                       for s in strategies}
    trust, hist_regret, reach_w2, reach_w8 = [], [], [], []
    sizes = FAMILY_SIZES.get(family, {})
    counts = counts or sizes.get("campaigns", (campaigns,))
    history_days = sizes.get("history_days", history_days)
    for seed in range(worlds):
        n = counts[seed % len(counts)]
        for name in strategies:
            w, h, c = make_partial_world(n, seed, family, history_days)
            r = one_shot(w, h, c, get_strategy(name), seed=seed)
            per[name]["regret"].append(r.regret)
            per[name]["ge_hist"].append(r.at_least_history)
            if r.covered is not None:
                per[name]["covered"].append(r.covered)
            per[name]["viol"].append(r.violations)
            if name == "safe":
                trust.append(r.trust_regret)
                hist_regret.append(r.history_regret)
            if weeks <= 0:  # --no-loop: one-shot figures only
                continue
            w, h, c = make_partial_world(n, seed, family, history_days)
            plays: list[np.ndarray] = []
            wr: list[float] | None = [] if reach and name == "safe" else None
            lr, bad = closed_loop(w, h, c, get_strategy(name), weeks=weeks, seed=seed, plays=plays, reach=wr)
            if wr:
                reach_w2.append(wr[min(1, len(wr) - 1)])
                reach_w8.append(wr[-1])
            per[name]["rev"].append(reversal_share(plays))
            per[name]["w2"].append(lr[min(1, len(lr) - 1)])
            per[name]["w8"].append(lr[-1])
            per[name]["viol"][-1] += bad
    out: dict[str, dict[str, float]] = {}
    for name, d in per.items():
        r = 100 * np.array(d["regret"])
        out[name] = {"median": float(np.median(r)), "p90": float(np.percentile(r, 90)),
                     "ge_history": float(np.mean(d["ge_hist"])),
                     "coverage": float(np.mean(d["covered"])) if d["covered"] else float("nan"),
                     "week2": _median_pct(d["w2"]), f"week{weeks}": _median_pct(d["w8"]),
                     "violations": int(np.sum(d["viol"])), "reversals": _median_pct(d["rev"])}
    out["_world"] = {"history_median": _median_pct(hist_regret), "trust_best_median": _median_pct(trust),  # nan without safe
                     "worlds": worlds, "campaigns": "/".join(map(str, counts)), "weeks": weeks,
                     "reach_week2": _median_pct(reach_w2), f"reach_week{weeks}": _median_pct(reach_w8)}
    return out


def _counts(text: str) -> tuple[int, ...]:
    """--campaigns: positive integers separated by commas."""
    try:
        counts = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--campaigns wants counts like 4,8, got {text!r}") from None
    if not counts or min(counts) < 2:
        raise argparse.ArgumentTypeError(f"--campaigns wants counts of at least 2 campaigns, got {text!r}")
    return counts


def _median_pct(values: list) -> float:
    """Median in %, NaN when the loop was not run (--no-loop)."""
    v = [x for x in values if np.isfinite(x)]
    return float(100 * np.median(v)) if v else float("nan")


def print_family(family: str, res: dict[str, dict[str, float]], seconds: float) -> None:
    m = res["_world"]
    wk = int(m["weeks"])
    print(f"\n== {family} worlds: {int(m['worlds'])} x {m['campaigns']} campaigns, cap 0.5 x budget; "
          f"keeping history: median regret {m['history_median']:.2f} %; best reachable in the trust region "
          f"(true curves): {m['trust_best_median']:.2f} %  ({seconds:.0f} s)")
    if np.isfinite(m.get("reach_week2", float("nan"))):
        print(f"best reachable in the default loop's trust region (true curves): week 2 {m['reach_week2']:.2f} %, "
              f"week {wk} {m[f'reach_week{wk}']:.2f} %")
    print(f"{'strategy':<13}{'median %':>9}{'p90 %':>8}{'>=hist':>8}{'cover80':>8}{'week2 %':>9}{f'week{wk} %':>9}"
          f"{'viol':>6}{'rev %':>7}")
    for name in [s for s in STRATEGIES if s in res]:
        r = res[name]
        print(f"{name + (' *' if name == 'safe' else ''):<13}{r['median']:>9.2f}{r['p90']:>8.2f}{r['ge_history']:>8.2f}"
              f"{r['coverage']:>8.2f}{r['week2']:>9.2f}{r[f'week{wk}']:>9.2f}{r['violations']:>6d}{r['reversals']:>7.1f}")
    print("(* = default strategy; cover80 = share of plans whose 80 % interval holds the true expected earnings; rev = "
          "loop oscillation: median share of campaign moves > 10 % that reversed the previous week's move > 10 %)")


def forecast_section(smoke: bool) -> dict[str, dict]:
    """Backtest verdicts: simulated histories (drift + change-points) and the two real export samples."""
    import pandas as pd

    from matrix.budget import importers
    from matrix.budget.forecast import backtest, verdict
    from matrix.budget.simulator import make_world

    data = Path(__file__).resolve().parent.parent / "tests" / "data" / "budget"
    cases: dict[str, tuple[pd.DataFrame, str]] = {}
    for s in range(1 if smoke else 4):
        w = make_world(3 if smoke else 5, seed=200 + s, drift_sd=0.01, changepoint_prob=0.3)
        cases[f"simulated world {200 + s}"] = (w.history(100 if smoke else 150, np.random.default_rng(200 + s), hold_days=3),
                                               "commission")
    real = {"online advertising export (sample)": ("online_advertising_sample.csv", {"year": 2020}, "commission"),
            "facebook ads export, campaign 1178": ("facebook_kag_campaign1178.csv", {}, "conversions")}
    for name, (f, kw, target) in real.items():
        rows = importers.import_csv(data / f, default_currency="USD", duplicates="sum", **kw).rows
        cases[name] = (pd.DataFrame([r.model_dump() for r in rows]), target)
    out = {}
    print("\n== forecast backtest verdicts (rolling origin, horizons 1-7, pooled WAPE)")
    for name, (hist, target) in cases.items():
        try:
            t = backtest(hist, min_train=None, target=target)
            line, method = verdict(t)
            pooled = t[t.horizon == 0].set_index("method")["wape"].to_dict()
        except ValueError as exc:
            line, method, pooled = f"verdict: no backtest possible ({exc})", "moving_average", {}
        print(f"{name:<38} {line}")
        out[name] = {"method": method, "wape": pooled}
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser()
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--json", help="write the figures as JSON here")
    p.add_argument("--families", help="comma-separated world families (default: dev,heldout,sealed,sealed2; "
                                      "smoke: dev,heldout)")
    p.add_argument("--worlds", type=int, help="worlds per family (default 12; smoke 3)")
    p.add_argument("--no-forecast", action="store_true", help="skip the forecast backtest section")
    p.add_argument("--no-loop", action="store_true", help="one-shot figures only (no closed loop: week columns nan)")
    p.add_argument("--strategies", help=f"comma-separated subset of {','.join(STRATEGIES)} (default: all four)")
    p.add_argument("--campaigns", type=_counts, help="comma-separated campaign counts, e.g. 4,8 (overrides each "
                                                    "family's; they cycle over the worlds)")
    p.add_argument("--reach", action="store_true", help="the default's loop also prints the best reachable regret "
                                                         "inside each week's trust region (true curves; slower)")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    worlds, campaigns, weeks, days = (3, 8, 8, 90) if a.smoke else (12, 20, 8, 120)
    worlds = a.worlds or worlds
    weeks = 0 if a.no_loop else weeks
    families = (a.families or ("dev,heldout" if a.smoke else "dev,heldout,sealed,sealed2")).split(",")
    result: dict = {}
    for family in families:
        t = time.perf_counter()
        result[family] = run_family(family, worlds, campaigns, weeks, days,
                                    a.strategies.split(",") if a.strategies else None, a.campaigns, a.reach)
        print_family(family, result[family], time.perf_counter() - t)
    if not a.no_forecast:
        result["forecast"] = forecast_section(a.smoke)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
