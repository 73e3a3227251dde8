"""A killed ingest converges: SIGKILL `jobs/ingest.py` in the middle of a crawl, run it again, and
the listings table holds every page exactly once; a third run writes nothing.

The job runs as a real subprocess with its own local Ray (temp dir under its MATRIX_HOME) against
a generated Odigger-structured site on 127.0.0.1, rate-limited so the crawl takes a few seconds.
The whole process group (driver, raylet, workers) is killed at once, as when a pod dies.
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


def _job(cfg: Path, home: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
    env.update(MATRIX_HOME=str(home), RAY_USAGE_STATS_ENABLED="0", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.Popen([sys.executable, str(REPO / "jobs" / "ingest.py"), "--config", str(cfg)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the group this test created: driver + its Ray processes
    except ProcessLookupError:
        pass
    proc.wait(30)


def _finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, dict]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise
    start = out.find("\n{\n")
    summary = json.loads(out[start + 1:]) if start >= 0 else {}
    assert proc.returncode == 0, out[-4000:]
    return proc.returncode, summary


def _listing_keys(settings) -> list[tuple[str, str]]:
    from matrix.index import MasterIndex

    tbl = MasterIndex(settings).listings.to_arrow().select(["source", "source_id"]).to_pylist()
    return [(r["source"], r["source_id"]) for r in tbl]


def _versions(settings) -> dict[str, int]:
    from matrix.index import MasterIndex

    return {n: t["version"] for n, t in MasterIndex(settings).stats()["tables"].items()}


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

            # 1. kill the whole job once about half of the detail pages were fetched
            first = _job(cfg, home)
            procs.append(first)
            deadline = time.monotonic() + 240
            while _detail_hits(site) < N_DETAILS // 2:
                assert first.poll() is None, "the ingest ended before it could be killed:\n" + first.stdout.read()[-3000:]
                assert time.monotonic() < deadline, "the crawl never got half way"
                time.sleep(0.05)
            _kill_group(first)
            fetched_before_kill = _detail_hits(site)
            assert N_DETAILS // 2 <= fetched_before_kill < N_DETAILS
            conditional_before = site.conditional_hits

            # 2. run again to completion: every listing exactly once
            second = _job(cfg, home)
            procs.append(second)
            _, summary = _finish(second)
            keys = _listing_keys(settings)
            assert len(keys) == len(set(keys)) == N_DETAILS, "duplicate or missing (source, source_id)"
            assert set(keys) == {("gen", f"o{i}") for i in range(N_DETAILS)}
            if summary:
                assert summary["sources"]["gen"]["listings"] == N_DETAILS
            # pages cached before the kill were revalidated (304), not downloaded again
            assert site.conditional_hits - conditional_before > 0
            # parse() on the Ray workers remembered every page's records: the next run parses nothing
            assert len(list(settings.path("http_cache", "gen").rglob("*.records"))) == N_DETAILS
            versions = _versions(settings)

            # 3. a third run finds nothing new and writes nothing
            hits_before, cond_before = sum(site.hits.values()), site.conditional_hits
            third = _job(cfg, home)
            procs.append(third)
            _, summary3 = _finish(third)
            assert _versions(settings) == versions, "an ingest of unchanged pages wrote a new version"
            assert sorted(_listing_keys(settings)) == sorted(keys)
            if summary3:
                assert summary3["listings"]["inserted"] == summary3["listings"]["updated"] == 0
            detail_requests = sum(site.hits.values()) - hits_before
            assert site.conditional_hits - cond_before >= N_DETAILS, "unchanged pages must be answered 304"
            assert detail_requests >= N_DETAILS
    finally:
        for p in procs:
            if p.poll() is None:
                _kill_group(p)
        shutil.rmtree(home, ignore_errors=True)
