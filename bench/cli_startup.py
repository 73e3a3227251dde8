"""CLI start-up time: `matrix --help` and `matrix status --help` beside `python -c pass`, same run.

    .venv/bin/python bench/cli_startup.py            # 5 runs each, median wall seconds
    .venv/bin/python bench/cli_startup.py --runs 3

Each figure is the wall time of a fresh interpreter process (what a user waits for), so the
baseline `python -c pass` shows the share that is interpreter start-up, not our imports.
Goal (issue 17): both help commands <= 1 s on this machine. `measure()` returns the figures as
data; tests assert on those values, never on the printed text.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 1.0

CASES: dict[str, list[str]] = {
    "baseline: python -c pass": ["-c", "pass"],
    "matrix --help": ["-m", "matrix.cli", "--help"],
    "matrix status --help": ["-m", "matrix.cli", "status", "--help"],
}


def _wall(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(runs: int = 5) -> dict[str, float]:
    """Median wall seconds per case (interleaved, so a burst of machine load hits every case alike)."""
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, args in CASES.items():
            samples[name].append(_wall(args))
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    figures = measure(args.runs)
    for name, seconds in figures.items():
        print(f"{name:<28} {seconds:6.3f} s")
    worst = max(figures["matrix --help"], figures["matrix status --help"])
    print(f"goal <= {GOAL_S:.1f} s: {'met' if worst <= GOAL_S else 'NOT met'} (worst {worst:.3f} s)")
    return figures


if __name__ == "__main__":
    main()
