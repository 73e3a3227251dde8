"""`matrix serve` lifecycle (issue 12 item 5), as an operator drives it, on a real local Ray + Serve.

1. `matrix serve --detach` returns once the service answers; `matrix serve status` says so; every
   listening socket of the service's process tree (driver, GCS, raylet, workers, agents, the Serve
   proxy) is on loopback.
2. `matrix serve stop` (SIGTERM) shuts Serve and its private Ray cluster down: exit 0, every
   process of that tree gone after a bounded wait, no traceback in the log; status then says 3.
SIGINT takes the very same path (one handler sets one flag, tests/unit/test_serve_lifecycle.py
delivers both signals, SIGINT while inherited as ignored the way a shell starts a background job);
one real Serve start here keeps this test lean.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import yaml

from matrix.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]
LOOPBACK = {"127.0.0.1", "::ffff:127.0.0.1", "::1"}


def _build_index(settings) -> None:
    """A small real index (bundled registry slice) with hashed vectors: no model needed to build it."""
    from jobs.ingest import RayCachedEmbedder, index_listings
    from matrix.index import MasterIndex
    from matrix.sources import build_source

    class HashEmbedder(RayCachedEmbedder):
        def embed_misses(self, texts):
            out = {}
            for k, t in texts.items():
                v = np.random.default_rng(int(hashlib.md5(t.encode()).hexdigest()[:8], 16)).standard_normal(384)
                out[k] = (v / np.linalg.norm(v)).astype(np.float32)
            return out

    listings = list(build_source(settings.source("oa"), settings).listings())
    index_listings(settings, MasterIndex(settings), listings, embedder=HashEmbedder(settings))


def _matrix(cfg: Path, env: dict, *args: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "matrix.cli", "--config", str(cfg), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _family(pid: int) -> list[psutil.Process]:
    return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]


def _outside_loopback(family: list[psutil.Process]) -> list[tuple[str, str, int]]:
    pids = {p.pid: p for p in family}
    return [(pids[c.pid].name(), c.laddr.ip, c.laddr.port) for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.pid in pids and c.laddr.ip not in LOOPBACK]


def _wait_gone(family: list[psutil.Process], limit_s: float = 90) -> float:
    t0 = time.monotonic()
    while True:
        alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return time.monotonic() - t0
        assert time.monotonic() - t0 < limit_s, f"still running: {[(p.pid, p.name()) for p in alive]}"
        time.sleep(0.2)


def _state(home: Path) -> dict | None:
    try:
        return json.loads((home / "run" / "serve.json").read_text())
    except (OSError, ValueError):
        return None


def test_serve_detach_status_stop_and_sigint():
    from matrix.config import load_settings

    home = Path(tempfile.mkdtemp(prefix="mxl-", dir="/tmp"))  # short: Ray's socket paths live under it
    port = free_port()
    cfg = home / "ray_config.yaml"
    cfg.write_text(yaml.safe_dump({
        "home": str(home), "ray": {"address": "local", "num_cpus": 2}, "logging": {"level": "WARNING"},
        "serve": {"host": "127.0.0.1", "port": port, "cors_origins": [f"http://127.0.0.1:{port}"]},
        "sources": [{"name": "oa", "kind": "openaffiliate", "max_pages": 20}],
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
    env.update(MATRIX_HOME=str(home), RAY_USAGE_STATS_ENABLED="0", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    started: list[int] = []
    try:
        _build_index(load_settings(cfg, environ={"MATRIX_HOME": str(home)}))

        # 1. detach, status, loopback only
        up = _matrix(cfg, env, "serve", "--detach", "--timeout", "360")
        assert up.returncode == 0, up.stdout + up.stderr + (home / "logs" / "serve.log").read_text()[-3000:]
        state = _state(home)
        started.append(state["pid"])
        assert f"http://127.0.0.1:{port}" in up.stdout
        st = _matrix(cfg, env, "serve", "status", "--json")
        report = json.loads(st.stdout)
        assert st.returncode == 0 and report["running"] and report["pid"] == state["pid"] and report["healthy"], st.stdout
        family = _family(state["pid"])
        assert any(p.name() == "raylet" for p in family)
        outside = _outside_loopback(family)
        assert outside == [], f"processes of the service listen outside loopback: {outside}"

        # 2. stop = SIGTERM: clean exit, the private cluster goes with it
        down = _matrix(cfg, env, "serve", "stop", "--timeout", "120")
        assert down.returncode == 0 and "stopped" in down.stdout, down.stdout + down.stderr
        took = _wait_gone(family)
        log = (home / "logs" / "serve.log").read_text()
        assert "SIGTERM: stopping" in log and "Traceback" not in log, log[-3000:]
        assert _matrix(cfg, env, "serve", "status").returncode == 3
        assert _state(home) is None

        print(f"\nserve lifecycle: after `serve stop` every process of the service gone {took:.1f} s later")
    finally:
        for pid in started:  # our own service processes only, whatever state the test ended in
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        shutil.rmtree(home, ignore_errors=True)
