"""The dynamic-indexing optimizer as a Ray task / job (see matrix.index.optimizer for the logic).

    ray job submit --working-dir . -- python jobs/optimize_index.py [--dry-run]

Why a Ray task: in a cluster the index lives on object storage and the usage files under the
shared MATRIX_HOME; running the optimizer as a task puts it next to the data on a schedule
(a RayCronJob or a periodic call from the service) instead of on someone's laptop.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ray

from matrix.config import Settings, load_settings
from matrix.observability import setup_logging


@ray.remote(num_cpus=0.5, max_retries=1)
def optimize_task(settings_json: str, dry_run: bool = False) -> dict[str, Any]:
    from matrix.index.optimizer import optimize_index

    return optimize_index(Settings.model_validate_json(settings_json), dry_run=dry_run).to_dict()


def run_optimize(settings: Settings, dry_run: bool = False) -> dict[str, Any]:
    """Run the optimizer once as a Ray task in the configured cluster."""
    from jobs.common import connect_ray

    connect_ray(settings)
    return ray.get(optimize_task.remote(settings.model_dump_json(), dry_run))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    settings = load_settings()
    setup_logging(settings.logging.level, settings.logging.json_logs)
    report = run_optimize(settings, dry_run=args.dry_run)
    print(json.dumps(report, indent=2, default=str))
    return 1 if any(d.get("error") for d in report["decisions"]) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
