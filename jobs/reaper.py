"""The reaper: when a driver that started its own local Ray cluster dies, its Ray processes die too.

Why: `ray.init(address="local")` makes the driver the parent of GCS, raylet and friends, and Ray
ties those to the driver with PR_SET_PDEATHSIG; but the raylet's own children (dashboard agent,
runtime-env agent, workers mid-start) are orphaned when the raylet is killed that way and were
measured still running a minute later. A SIGKILLed driver runs no cleanup, so the cleanup has to
live in another process: this one. `jobs.common.connect_ray` starts it right after `ray.init`.

It records the Ray head processes and, every `--every` seconds, everything below them; when the
driver is gone it sends SIGTERM to each recorded process still alive (same pid AND start time, so
a recycled pid is never hit), waits `--grace` seconds, SIGKILLs the rest and exits. Only the
standard library and psutil: starting it costs a fraction of a second.

    python -m jobs.reaper --driver PID --root PID [--root PID ...]
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import time

import psutil


def _key(p: psutil.Process) -> tuple[int, float] | None:
    try:
        return p.pid, p.create_time()
    except psutil.Error:
        return None


def _alive(pid: int, created: float) -> psutil.Process | None:
    try:
        p = psutil.Process(pid)
        if abs(p.create_time() - created) > 0.01 or p.status() == psutil.STATUS_ZOMBIE:
            return None
        return p
    except psutil.Error:
        return None


def _wait_driver(driver: int, every: float) -> bool:
    """Sleep until the driver exits (True) or `every` seconds pass (False)."""
    try:
        fd = os.pidfd_open(driver)
    except (AttributeError, OSError):
        fd = None
    if fd is None:
        time.sleep(every)
        return not psutil.pid_exists(driver) or psutil.Process(driver).status() == psutil.STATUS_ZOMBIE
    try:
        ready, _, _ = select.select([fd], [], [], every)
        return bool(ready)
    finally:
        os.close(fd)


def watch(driver: int, roots: list[int], every: float = 0.5, grace: float = 5.0) -> int:
    """Track `roots` and their descendants while `driver` lives; then end those still running."""
    me = os.getpid()
    tracked: dict[tuple[int, float], psutil.Process] = {}

    def record() -> None:
        for pid in roots:
            try:
                root = psutil.Process(pid)
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for p in family:
                k = _key(p)
                if k is not None and p.pid not in (me, driver):
                    tracked.setdefault(k, p)

    try:
        driver_proc = psutil.Process(driver)
    except psutil.NoSuchProcess:
        driver_proc = None
    record()
    while driver_proc is not None and not _wait_driver(driver, every):
        record()
    left = [p for (pid, created) in tracked if (p := _alive(pid, created)) is not None]
    for p in left:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, still = psutil.wait_procs(left, timeout=grace)
    for p in still:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(still, timeout=grace)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", type=int, required=True)
    parser.add_argument("--root", type=int, action="append", default=[])
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--grace", type=float, default=5.0)
    args = parser.parse_args(argv)
    # Ctrl-C in a terminal reaches the whole foreground group: the driver handles it, we wait for it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return watch(args.driver, args.root, args.every, args.grace)


if __name__ == "__main__":
    sys.exit(main())
