"""Ray job: evaluate the trigger rules and dispatch the outbox - once, or every --interval seconds.

    python -m jobs.triggers                       # once
    python -m jobs.triggers --interval 900        # forever (or --iterations N), e.g. as a RayJob
    ray job submit --working-dir . -- python -m jobs.triggers --interval 900

Re-crawl actions become Ray tasks calling jobs.ingest.run_ingest, so a long crawl runs on the
cluster (with its own CPU request and retries) and a crash inside it fails one action - which the
outbox retries with backoff - instead of the trigger loop. A re-crawl waits at most
`triggers.recrawl_timeout_s`; a hung one is cancelled and the action retried under a new lease.
With --interval, a round that raises is logged and the loop goes on (matrix.triggers.engine.run_loop).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

import ray

from jobs.common import batch_job
from matrix.config import Settings, load_settings
from matrix.observability import get_logger, setup_logging
from matrix.triggers.engine import TriggerEngine, default_handlers, run_loop

log = get_logger(__name__)


@ray.remote(num_cpus=0.5, max_retries=0)  # retries belong to the outbox, which records each attempt
def _ingest_task(settings_json: str, names: list[str]) -> dict[str, Any]:
    from jobs.ingest import run_ingest

    settings = Settings.model_validate_json(settings_json)
    setup_logging(settings.logging.level, settings.logging.json_logs)
    summary = run_ingest(settings, names)
    return json.loads(json.dumps(summary, default=str))


def ray_recrawl_runner(settings: Settings, timeout_s: float | None = None) -> Callable[[list[str]], dict[str, Any]]:
    """A recrawl runner that runs the ingest of the named sources as one Ray task and waits for it,
    at most `timeout_s` (default triggers.recrawl_timeout_s); a task that does not finish in time is
    cancelled (force) and the wait raises TimeoutError, so the action is retried, not left hanging."""
    settings_json = settings.model_dump_json()
    limit = settings.triggers.recrawl_timeout_s if timeout_s is None else timeout_s

    def run(names: list[str]) -> dict[str, Any]:
        ref = _ingest_task.remote(settings_json, names)
        try:
            return ray.get(ref, timeout=limit)
        except ray.exceptions.GetTimeoutError:
            ray.cancel(ref, force=True)
            raise TimeoutError(f"recrawl {names} did not finish within {limit:g} s (task cancelled)") from None
    return run


def build_engine(settings: Settings) -> TriggerEngine:
    # the Ray runner enforces the timeout itself (and cancels the task): no second waiting thread
    handlers = default_handlers(settings, recrawl_runner=ray_recrawl_runner(settings))
    handlers["recrawl"].timeout_s = None  # type: ignore[attr-defined]  # a RecrawlHandler
    return TriggerEngine.from_settings(settings, handlers=handlers)


@batch_job("triggers")
def run_once(settings: Settings, engine: TriggerEngine | None = None, dry_run: bool = False) -> dict[str, Any]:
    engine = engine or build_engine(settings)
    out: dict[str, Any] = {"evaluation": vars(engine.evaluate(dry_run=dry_run))}
    if not dry_run:
        out["dispatch"] = vars(engine.dispatch())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate trigger rules and dispatch their actions.")
    parser.add_argument("--config", help="path to ray_config.yaml")
    parser.add_argument("--interval", type=float, nargs="?", const=-1.0, default=None,
                        help="repeat every N seconds (no value: triggers.interval_s)")
    parser.add_argument("--iterations", type=int, default=None, help="stop after N rounds (with --interval)")
    parser.add_argument("--dry-run", action="store_true", help="evaluate only; queue and run nothing")
    args = parser.parse_args(argv)
    settings = load_settings(args.config)
    setup_logging(settings.logging.level, settings.logging.json_logs)
    from jobs.common import connect_ray

    if not args.dry_run:
        connect_ray(settings)
    engine = build_engine(settings)
    interval = None if args.interval is None else (settings.triggers.interval_s if args.interval < 0 else args.interval)
    return run_loop(lambda: run_once(settings, engine, args.dry_run), interval, args.iterations,
                    on_result=lambda r: print(json.dumps(r, default=str), flush=True))


if __name__ == "__main__":
    sys.exit(main())
