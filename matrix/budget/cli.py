"""`matrix budget import | simulate | report | allocate | forecast | tune`.

Thin: parse, call the package, print. Every command reads MATRIX_HOME/budget (the store) and the
`budget` section of ray_config.yaml; flags override single values for one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from matrix.budget.constraints import ConstraintError, Constraints
from matrix.budget.model import PerformanceError
from matrix.config import ConfigError, Settings


def _one_line(name: str):
    """Every command that cannot work on the data says why in one line (exit 1), never a traceback
    (ConfigError goes on to matrix.cli, which prints it as one line with exit 2)."""
    import functools

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(args: argparse.Namespace, settings: Settings) -> int:
            try:
                return fn(args, settings)
            except ConfigError:
                raise
            except (PerformanceError, ConstraintError, ValueError, KeyError, FileNotFoundError,
                    json.JSONDecodeError) as exc:
                msg = str(exc).strip() or type(exc).__name__
                print(f"matrix budget {name}: {msg}")
                return 1
        return wrapper
    return deco


def split_stopped(hist: pd.DataFrame, stale_days: int) -> tuple[list[str], dict[str, str]]:
    """(active campaign ids, {stopped id: last day with spend}). A campaign with no spend in the last
    `stale_days` days of the data has stopped: it gets no budget, no forecast, no "current" spend."""
    d = pd.to_datetime(hist["date"])
    end = d.max()
    spent = hist[(hist["spend"].fillna(0) > 0) | hist["spend"].isna()]
    last = pd.to_datetime(spent["date"]).groupby(spent["campaign_id"]).max()
    ids = sorted(hist["campaign_id"].unique())
    stopped = {c: str(last[c].date()) if c in last else "never" for c in ids
               if c not in last or (end - last[c]).days >= stale_days}
    return [c for c in ids if c not in stopped], stopped


def _print_stopped(stopped: dict[str, str], end: Any) -> None:
    for c, day in stopped.items():
        print(f"{c}: stopped (last spend {day}, data ends {pd.Timestamp(end).date()}): left out of current spend, "
              "plan and forecast")


def store_for(settings: Settings):
    from matrix.budget.store import PerformanceStore

    return PerformanceStore(settings.path("budget"))


def _kv(items: list[str] | None, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"{what}: expected KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
    return out


def _history(settings: Settings) -> pd.DataFrame:
    from matrix.budget.metrics import to_base_currency

    df = store_for(settings).performance()
    if df.empty:
        raise ConfigError(f"no performance data under {settings.path('budget')}; run `matrix budget import FILE` first")
    df = to_base_currency(df, settings.budget.base_currency, settings.budget.fx_rates)
    cutoff = pd.to_datetime(df["date"]).max() - pd.Timedelta(days=settings.budget.fit_window_days - 1)
    return df[pd.to_datetime(df["date"]) >= cutoff]


# --- import -------------------------------------------------------------------------------------
@_one_line("import")
def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.budget import importers
    from matrix.models import PerformanceRow

    b = settings.budget
    try:
        if args.network_report:
            lines = Path(args.path).read_text().splitlines()
            reports = [PerformanceRow.model_validate_json(line) for line in lines if line.strip()]
            rows = importers.from_network_report(reports, default_currency=args.currency, duplicates=args.duplicates or "sum")
        else:
            mapping = {**b.csv_mapping, **{k: str(v) for k, v in _kv(args.map, "--map").items()}}
            res = importers.import_csv(args.path, mapping, default_currency=args.currency or b.base_currency,
                                       duplicates=args.duplicates or b.duplicates, date_format=args.date_format,
                                       year=args.year, strict=args.strict)
            print(res.mapping_line())
            for w in res.warnings:
                print(f"warning: {w}")
            rows = res.rows
        report = store_for(settings).upsert(rows, on_conflict=args.on_conflict or b.on_conflict)
    except (PerformanceError, ValueError) as exc:
        print(f"matrix budget import: {exc}")
        return 1
    print(f"{args.path}: {len(rows)} rows valid; {report}")
    return 0


@_one_line("simulate")
def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.budget.simulator import make_world

    world = make_world(args.campaigns, seed=args.seed, drift_sd=args.drift, changepoint_prob=args.changepoints)
    if args.end:
        import datetime as dt
        world.start = dt.date.fromisoformat(args.end) - dt.timedelta(days=args.days - 1)
    hist = world.history(args.days, np.random.default_rng(args.seed), hold_days=args.hold_days)
    hist.to_csv(args.out, index=False)
    print(f"wrote {len(hist)} rows ({args.campaigns} campaigns x {args.days} days) to {args.out}")
    return 0


# --- report -------------------------------------------------------------------------------------
@_one_line("report")
def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.budget.metrics import marginal_roi, summarize
    from matrix.budget.strategies import build_context

    hist = _history(settings)
    ids = sorted(hist["campaign_id"].unique())
    ctx = build_context(hist, Constraints(1.0, len(ids)), ids, fit=True,
                        fit_kwargs={"half_life_days": settings.budget.half_life_days})
    posts = dict(zip(ids, ctx.posteriors, strict=True))
    table = summarize(hist, args.by, base_currency=settings.budget.base_currency, marginal=marginal_roi(posts, hist))
    if args.json:
        print(table.to_json(orient="records", indent=2))
    else:
        with pd.option_context("display.max_columns", None, "display.width", 200):
            print(table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    if args.plots:
        from matrix.budget import plots

        fitted = {k: v for k, v in posts.items() if v is not None}
        if fitted:
            for f in plots.response_curve_pages(fitted, hist, Path(args.plots) / "response_curves.png",
                                                currency=settings.budget.base_currency):
                print(f)
    return 0


# --- allocate -----------------------------------------------------------------------------------
def build_constraints(settings: Settings, n: int, budget: float, current: np.ndarray | None,
                      args: argparse.Namespace) -> Constraints:
    b = settings.budget
    mult = args.max_multiple if args.max_multiple is not None else b.max_spend_multiple
    frac = args.max_change_fraction if args.max_change_fraction is not None else b.max_change_fraction
    return Constraints(budget, n, min_spend=args.min_spend if args.min_spend is not None else b.min_spend,
                       max_spend=None if mult is None else budget * min(1.0, mult / n),
                       previous=current, max_change_fraction=frac)


@_one_line("allocate")
def cmd_allocate(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.budget.evaluate import SAFE_FIT
    from matrix.budget.plan import make_plan
    from matrix.budget.strategies import build_context, get_strategy

    for mod in args.strategy_module or []:
        importlib.import_module(mod)  # registers custom strategies
    b = settings.budget
    hist = _history(settings)
    if hist["spend"].isna().all():
        raise ValueError("no spend recorded for any campaign, so there is nothing to allocate from; import an "
                         'export with a spend column (e.g. --map spend="Cost")')
    if hist["commission"].isna().all():
        raise ValueError("no earnings (commission) recorded for any campaign, so no strategy can compare them; "
                         'import an export with an earnings column (e.g. --map commission="Revenue")')
    ids, stopped = split_stopped(hist, b.stale_days)
    _print_stopped(stopped, pd.to_datetime(hist["date"]).max())
    if not ids:
        raise ValueError(f"every campaign stopped spending more than {b.stale_days} days before the data ends")
    hist = hist[hist["campaign_id"].isin(ids)]
    current = hist.sort_values("date").groupby("campaign_id")["spend"].last().reindex(ids).to_numpy(float)
    current = None if np.isnan(current).any() else current
    name = args.strategy or b.strategy
    params = _kv(args.param, "--param")
    if name in ("safe", "explore"):
        params.setdefault("trust_multiple", b.trust_multiple)
    cons = build_constraints(settings, len(ids), args.budget, current, args)
    strategy = get_strategy(name, **params)
    fit = {**SAFE_FIT, **({"half_life_days": b.half_life_days} if b.half_life_days else {})}
    ctx = build_context(hist, cons, ids, fit=True, rng=np.random.default_rng(b.seed), current=current,
                        fit_kwargs=fit, pool=True, anchor_before=_anchor_date(args.anchor_before))
    plan = make_plan(strategy, ctx, interval=b.interval, currency=b.base_currency)
    print(plan.to_json() if args.json else plan.table())
    if args.out:
        Path(args.out).write_text(plan.to_json())
    if args.plots:
        from matrix.budget import plots

        d = Path(args.plots)
        print(plots.allocation_before_after(plan, d / "allocation_before_after.png"))
        if ctx.has_posteriors():
            fitted = dict(zip(ids, ctx.posteriors, strict=True))
            for f in plots.response_curve_pages(fitted, hist, d / "response_curves.png", plan,  # type: ignore[arg-type]
                                                currency=b.base_currency):
                print(f)
    return 0


def _anchor_date(text: str | None) -> dt.date | None:
    """`--anchor-before` as a date; a clear error for anything that is not YYYY-MM-DD."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--anchor-before {text!r}: expected a date as YYYY-MM-DD") from None


# --- forecast -----------------------------------------------------------------------------------
@_one_line("forecast")
def cmd_forecast(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.budget.forecast import ForecastConfig, backtest, forecast, naive_forecast, verdict

    hist = _history(settings)
    target = args.target
    if target is None:
        target = "commission" if hist["commission"].notna().any() else "conversions"
        if target == "conversions":
            print("no earnings (commission) in the data: forecasting conversions instead")
    if hist[target].isna().all():
        raise ValueError(f"no {target} recorded for any campaign: nothing to forecast")
    if hist["spend"].isna().all():
        raise ValueError("no spend recorded: the forecaster is spend-aware and needs a spend column")
    ids, stopped = split_stopped(hist, settings.budget.stale_days)
    _print_stopped(stopped, pd.to_datetime(hist["date"]).max())
    hist = hist[hist["campaign_id"].isin(ids)]
    cfg = ForecastConfig(interval=settings.budget.interval)
    horizon = args.horizon or settings.budget.forecast_horizon
    try:
        table = backtest(hist, horizons=min(horizon, 7) if args.backtest else 7, min_train=None, cfg=cfg, target=target)
        line, method = verdict(table)
    except ValueError as exc:
        if args.backtest:
            raise
        table, line, method = None, (f"verdict: no backtest possible ({exc}); forecasts fall back to the 7-day "
                                     "moving average (the model is not trusted unchecked)"), "moving_average"
    if args.backtest:
        print(table.pivot(index="horizon", columns="method", values=["wape", "smape"]).to_string(
            float_format=lambda v: f"{v:.3f}"))
        print(line)
        return 0
    planned = None
    if args.plan:
        plan = json.loads(Path(args.plan).read_text())
        planned = {c["campaign_id"]: c["proposed"] for c in plan["campaigns"]}
    print(line)
    if method == "model":
        fc = forecast(hist, horizon=horizon, planned=planned, cfg=cfg, target=target)
        kind = "conditional on the plan's spend" if planned else "unconditional: spend held at each campaign's 7-day mean"
    else:
        fc = naive_forecast(hist, horizon, method, target=target)
        kind = f"{method} baseline, ignores spend"
    out = fc if args.campaign is None else fc[fc["campaign_id"] == args.campaign]
    print(f"forecast of {target} ({kind}); {int(100 * cfg.interval)}% intervals")
    print(out.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    if args.plots:
        from matrix.budget import plots

        print(plots.forecast_vs_actuals(hist.rename(columns={target: "commission"}) if target != "commission" else hist,
                                        fc, Path(args.plots) / "forecast.png", args.campaign or "__total__"))
    return 0


# --- tune ---------------------------------------------------------------------------------------
@_one_line("tune")
def cmd_tune(args: argparse.Namespace, settings: Settings) -> int:
    from jobs import tune_budget  # Ray is imported only here

    argv = [args.mode, "--strategy", args.strategy]
    for flag in ("samples", "seed", "worlds", "campaigns", "days", "out"):
        v = getattr(args, flag)
        if v is not None:
            argv += [f"--{flag}", str(v)]
    tune_budget.main(argv, settings)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("budget", help="campaign tracking, allocation, forecasting, tuning")
    sub = p.add_subparsers(dest="budget_command", metavar="ACTION")
    sub.required = True

    imp = sub.add_parser("import", help="import daily performance (CSV export or network report JSONL)")
    imp.add_argument("path")
    imp.add_argument("--map", action="append", metavar="FIELD=HEADER", help="column mapping (repeatable)")
    imp.add_argument("--currency", help="currency for rows without one (default: budget.base_currency)")
    imp.add_argument("--duplicates", choices=["error", "sum", "last"])
    imp.add_argument("--on-conflict", choices=["error", "replace", "keep"])
    imp.add_argument("--network-report", action="store_true", help="PATH is JSONL of matrix.models.PerformanceRow")
    imp.add_argument("--date-format", help="strftime codes of the date column, e.g. %%d-%%m-%%Y or %%m/%%d/%%Y")
    imp.add_argument("--year", type=int, help="year for dates without one (month/day columns, or --date-format without %%Y)")
    imp.add_argument("--strict", action="store_true", help="missing spend or earnings column is an error, not a warning")
    imp.set_defaults(handler=cmd_import)

    sim = sub.add_parser("simulate", help="write a simulated performance history CSV (demo / testing)")
    sim.add_argument("--campaigns", type=int, default=8)
    sim.add_argument("--days", type=int, default=120)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--drift", type=float, default=0.0)
    sim.add_argument("--changepoints", type=float, default=0.0)
    sim.add_argument("--hold-days", type=int, default=1)
    sim.add_argument("--end", help="last date (YYYY-MM-DD); default: the simulator's fixed start + days")
    sim.add_argument("--out", required=True)
    sim.set_defaults(handler=cmd_simulate)

    rep = sub.add_parser("report", help="ROI, ROAS, EPC, CVR, CPA, marginal ROI")
    rep.add_argument("--by", default="campaign", choices=["campaign", "program", "network", "day", "week", "month"])
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--plots", help="directory for PNG plots")
    rep.set_defaults(handler=cmd_report)

    al = sub.add_parser("allocate", help="propose next period's daily budget per campaign")
    al.add_argument("--budget", type=float, required=True, help="total daily budget")
    al.add_argument("--strategy", help="default: budget.strategy (safe); explore spends a share to learn "
                    "(--param share=0.2 --param explore_step=0.5)")
    al.add_argument("--param", action="append", metavar="KEY=VALUE", help="strategy parameter (repeatable)")
    al.add_argument("--strategy-module", action="append", help="import this module first (registers custom strategies)")
    al.add_argument("--min-spend", type=float)
    al.add_argument("--max-multiple", type=float, help="cap per campaign as a multiple of the equal share")
    al.add_argument("--max-change-fraction", type=float)
    al.add_argument("--anchor-before", metavar="YYYY-MM-DD",
                    help="the day you started following plans (weekly loop): safe plans are judged against your "
                         "allocation of the 7 days before it, and the weeks played since count as evidence")
    al.add_argument("--json", action="store_true")
    al.add_argument("--out", help="write the plan as JSON")
    al.add_argument("--plots", help="directory for PNG plots")
    al.set_defaults(handler=cmd_allocate)

    fc = sub.add_parser("forecast", help="forecast commission per campaign and in total")
    fc.add_argument("--horizon", type=int)
    fc.add_argument("--plan", help="plan JSON from `allocate --out`: forecast conditional on its spend")
    fc.add_argument("--campaign", help="show one campaign (or __total__)")
    fc.add_argument("--backtest", action="store_true", help="rolling-origin backtest vs naive baselines, with a verdict")
    fc.add_argument("--target", choices=["commission", "conversions", "clicks"],
                    help="what to forecast (default: commission, or conversions when earnings are unknown)")
    fc.add_argument("--plots", help="directory for PNG plots")
    fc.set_defaults(handler=cmd_forecast)

    tu = sub.add_parser("tune", help="Ray Tune + Optuna over simulated worlds (hyper) or allocation search")
    tu.add_argument("mode", choices=["hyper", "allocation"])
    tu.add_argument("--strategy", default="epsilon_greedy")
    for flag in ("samples", "seed", "worlds", "campaigns", "days"):
        tu.add_argument(f"--{flag}", type=int)
    tu.add_argument("--out")
    tu.set_defaults(handler=cmd_tune)
