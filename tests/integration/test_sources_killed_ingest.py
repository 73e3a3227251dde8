"""A killed Ray ingest converges, and a killed driver takes its Ray cluster with it.

`jobs/ingest.py` runs as a real subprocess with its own local Ray (temp dir under its MATRIX_HOME)
against a generated Odigger-structured site on 127.0.0.1, rate-limited so the crawl takes a few
seconds. Only the DRIVER is SIGKILLed (not its process group): first in the middle of the crawl,
then, in the second run, right after it wrote the changed programs (fault point, the process is
frozen first so the test can record its Ray processes). After each kill every Ray process of that
run must be gone within a bounded wait (jobs/reaper.py), and while it ran none of them listened
outside loopback. The third run completes with every page exactly once and every listing owned
by a program; `status` never showed the killed runs; a fourth run writes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
import yaml

from matrix.config import load_settings
from tests.support.site_server import Site, SiteServer
from tests.support.sites_generated import odigger_like

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
N_DETAILS = 300
RATE = 60.0  # requests/s: ~5 s of crawling, long enough to be killed in the middle


def _detail_hits(site: Site) -> int:
    return sum(n for path, n in site.hits.items() if path.startswith("/offer/o"))


LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1", "::1"}


def _job(cfg: Path, home: Path, **extra_env: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
    env.update(MATRIX_HOME=str(home), RAY_USAGE_STATS_ENABLED="0", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               **extra_env)
    return subprocess.Popen([sys.executable, str(REPO / "jobs" / "ingest.py"), "--config", str(cfg)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group this test created: driver + its Ray processes
    except ProcessLookupError:
        pass
    proc.wait(30)


def _family(proc: subprocess.Popen) -> list[psutil.Process]:
    """The driver's Ray processes (and its reaper): everything below it right now."""
    return psutil.Process(proc.pid).children(recursive=True)


def _outside_loopback(family: list[psutil.Process]) -> list[tuple[str, str, int]]:
    pids = {p.pid: p for p in family}
    out = []
    for conn in psutil.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN and conn.pid in pids and conn.laddr.ip not in LOOPBACK:
            out.append((pids[conn.pid].name(), conn.laddr.ip, conn.laddr.port))
    return out


def _kill_driver_only(proc: subprocess.Popen, family: list[psutil.Process], limit_s: float = 90) -> float:
    """SIGKILL the driver alone; return how long its Ray processes took to disappear (poll, bounded)."""
    assert any("raylet" in p.name() or "gcs_server" in p.name() for p in family), [p.name() for p in family]
    t0 = time.monotonic()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    while True:
        alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return time.monotonic() - t0
        assert time.monotonic() - t0 < limit_s, f"still running {limit_s} s after the driver died: " \
                                                  f"{[(p.pid, p.name()) for p in alive]}"
        time.sleep(0.2)


def _wait_stopped(proc: subprocess.Popen, limit_s: float = 300) -> None:
    """Wait until the driver froze itself at its fault point (MATRIX_FAULT_ACTION=stop)."""
    deadline = time.monotonic() + limit_s
    while psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED:
        assert proc.poll() is None, "the ingest ended before its fault point:\n" + proc.stdout.read()[-3000:]
        assert time.monotonic() < deadline, "the ingest never reached its fault point"
        time.sleep(0.1)


def _finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, dict]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise
    assert proc.returncode == 0, out[-4000:]
    start = 0 if out.startswith("{\n") else out.rfind("\n{\n") + 1
    assert start > 0 or out.startswith("{\n"), f"no JSON summary in the job's output: {out[-2000:]}"
    summary = json.loads(out[start:])
    return proc.returncode, summary


def _listing_keys(settings) -> list[tuple[str, str]]:
    from matrix.index import MasterIndex

    tbl = MasterIndex(settings).listings.to_arrow().select(["source", "source_id"]).to_pylist()
    return [(r["source"], r["source_id"]) for r in tbl]


def _versions(settings) -> dict[str, int]:
    from matrix.index import MasterIndex

    return {n: t["version"] for n, t in MasterIndex(settings).stats()["tables"].items()}


def _reader_view(settings) -> tuple:
    from matrix.index import MasterIndex

    index = MasterIndex(settings)
    if not index.has_table(settings.index.programs_table):
        return {}, 0
    return index.stats().get("last_ingest") or {}, index.snapshot().rows


def test_killed_ingest_converges_without_duplicates():
    home = Path(tempfile.mkdtemp(prefix="mxk-", dir="/tmp"))  # short: Ray's socket paths live under it
    site = Site("generated", generator=odigger_like(N_DETAILS))
    procs: list[subprocess.Popen] = []
    try:
        with SiteServer([site]) as srv:
            cfg = home / "ray_config.yaml"
            cfg.write_text(yaml.safe_dump({
                "home": str(home),
                "ray": {"address": "local", "num_cpus": 2},
                "logging": {"level": "WARNING"},
                "crawl": {"timeout_s": 10, "max_retries": 2, "backoff_base_s": 0.05},
                "sources": [{"name": "gen", "kind": "odigger", "url": srv.url("generated"),
                             "rate_limit": {"requests_per_second": RATE, "burst": 4, "max_concurrency": 4}}],
            }))
            settings = load_settings(cfg, environ={"MATRIX_HOME": str(home)})

            # 1. kill the driver once about half of the detail pages were fetched
            first = _job(cfg, home)
            procs.append(first)
            deadline = time.monotonic() + 240
            while _detail_hits(site) < N_DETAILS // 2:
                assert first.poll() is None, "the ingest ended before it could be killed:\n" + first.stdout.read()[-3000:]
                assert time.monotonic() < deadline, "the crawl never got half way"
                time.sleep(0.05)
            family = _family(first)
            assert _outside_loopback(family) == [], "a Ray process of ours listens outside loopback"
            gone_after = [_kill_driver_only(first, family)]
            fetched_before_kill = _detail_hits(site)
            assert N_DETAILS // 2 <= fetched_before_kill < N_DETAILS
            conditional_before = site.conditional_hits

            # 2. run again, killed (driver only) right after it wrote the programs: nothing is committed
            before = _reader_view(settings)
            second = _job(cfg, home, MATRIX_FAULT_AT="write:programs", MATRIX_FAULT_ACTION="stop")
            procs.append(second)
            _wait_stopped(second)
            family = _family(second)
            assert _outside_loopback(family) == [], "a Ray process of ours listens outside loopback"
            gone_after.append(_kill_driver_only(second, family))
            assert _reader_view(settings) == before, "readers saw the killed run's writes"
            print(f"\nRay processes of the killed drivers gone after {[round(g, 1) for g in gone_after]} s")

            # 3. run again to completion: every listing exactly once, every listing in a program
            third = _job(cfg, home)
            procs.append(third)
            _, summary = _finish(third)
            keys = _listing_keys(settings)
            assert len(keys) == len(set(keys)) == N_DETAILS, "duplicate or missing (source, source_id)"
            assert set(keys) == {("gen", f"o{i}") for i in range(N_DETAILS)}
            from matrix.index import MasterIndex

            owned = [k for p in MasterIndex(settings).all_programs() for k in p.listing_keys]
            assert sorted(owned) == sorted(f"{s}:{i}" for s, i in keys), "unowned or doubly owned listings"
            assert summary["sources"]["gen"]["listings"] == N_DETAILS
            assert summary["recovered"] and summary["recovered"]["rolled_back"], "the dead run was not rolled back"
            # pages cached before the kill were revalidated (304), not downloaded again
            assert site.conditional_hits - conditional_before > 0
            # parse() on the Ray workers remembered every page's records: the next run parses nothing
            assert len(list(settings.path("http_cache", "gen").rglob("*.records"))) == N_DETAILS
            versions = _versions(settings)

            # 4. a fourth run finds nothing new and writes nothing
            hits_before, cond_before = sum(site.hits.values()), site.conditional_hits
            fourth = _job(cfg, home)
            procs.append(fourth)
            _, summary3 = _finish(fourth)
            assert _versions(settings) == versions, "an ingest of unchanged pages wrote a new version"
            assert sorted(_listing_keys(settings)) == sorted(keys)
            assert summary3["listings"]["inserted"] == summary3["listings"]["updated"] == 0
            detail_requests = sum(site.hits.values()) - hits_before
            assert site.conditional_hits - cond_before >= N_DETAILS, "unchanged pages must be answered 304"
            assert detail_requests >= N_DETAILS
    finally:
        for p in procs:
            if p.poll() is None:
                _kill_group(p)
        shutil.rmtree(home, ignore_errors=True)
