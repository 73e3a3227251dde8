"""Real multi-process Ray clusters for tests: `ray start` nodes with their own temp dirs.

Why not `ray.init(address="local")`: a submitted RayJob, a second node or a job-submission
client need a cluster that lives outside the test process, exactly as on KubeRay. Each node is
a `ray start --block` process in its own session, so stopping it (SIGTERM to the process group,
then SIGKILL of anything still carrying its temp dir) touches only this node, never another Ray on
the machine: `ray stop` is never used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from matrix.ports import free_port

VENV_BIN = str(Path(sys.executable).parent)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # a head starts with token auth on (the token in ~/.ray/auth_token); a joining node must be
    # told so, or it connects without the token and the GCS refuses it
    env.setdefault("RAY_AUTH_MODE", "token")
    env.pop("RAY_ADDRESS", None)
    return env


def _auth_headers() -> dict[str, str]:
    """Ray's token auth is on by default: the dashboard answers 401 without the cluster token."""
    path = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")
    token = os.environ.get("RAY_AUTH_TOKEN") or (path.read_text().strip() if path.is_file() else "")
    return {"Authorization": f"Bearer {token}"} if token else {}


def _wait(predicate, what: str, deadline_s: float, proc: subprocess.Popen | None = None) -> None:
    """Poll until `predicate()` is true; a generous deadline, because CI machines are loaded."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the node process exited with {proc.returncode}")
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready within {deadline_s:.0f} s")


@dataclass
class RayNode:
    """One `ray start` node; `address` is the GCS address workers and drivers join."""

    temp_dir: str
    proc: subprocess.Popen
    address: str
    dashboard_url: str | None = None
    resources: dict[str, float] = field(default_factory=dict)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        for p in psutil.process_iter(["cmdline"]):
            try:
                if any(self.temp_dir in part for part in (p.info["cmdline"] or [])):
                    p.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass


def start_head(num_cpus: int = 1, dashboard: bool = True, resources: str | None = None,
               deadline_s: float = 180) -> RayNode:
    """Start a head node bound to 127.0.0.1 and wait until its dashboard (job API) answers.

    The head runs with Ray's token auth (the default); drivers this process starts afterwards
    inherit RAY_AUTH_MODE=token, as `ray.init` itself sets it for a local cluster, because a
    driver given an explicit address never enables token auth on its own.
    """
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    temp_dir = tempfile.mkdtemp(prefix="mxrc-", dir="/tmp")
    gcs_port = free_port()
    dash_port = free_port()
    cmd = [os.path.join(VENV_BIN, "ray"), "start", "--head", "--block", f"--temp-dir={temp_dir}",
           f"--port={gcs_port}", "--node-ip-address=127.0.0.1", f"--num-cpus={num_cpus}",
           "--disable-usage-stats", f"--ray-client-server-port={free_port()}",
           f"--dashboard-agent-listen-port={free_port()}"]
    if dashboard:
        cmd += ["--include-dashboard=true", "--dashboard-host=127.0.0.1", f"--dashboard-port={dash_port}"]
    else:
        cmd += ["--include-dashboard=false"]
    if resources:
        cmd += [f"--resources={resources}"]
    proc = subprocess.Popen(cmd, env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    node = RayNode(temp_dir=temp_dir, proc=proc, address=f"127.0.0.1:{gcs_port}",
                   dashboard_url=f"http://127.0.0.1:{dash_port}" if dashboard else None)
    try:
        if dashboard:
            _wait(lambda: urllib.request.urlopen(urllib.request.Request(f"{node.dashboard_url}/api/version",
                                                                        headers=_auth_headers()), timeout=5).status == 200,
                  "ray dashboard", deadline_s, proc)
        else:
            _wait(lambda: subprocess.run([os.path.join(VENV_BIN, "ray"), "status", f"--address={node.address}"],
                                         env=_env(), capture_output=True, timeout=30).returncode == 0,
                  "ray head", deadline_s, proc)
    except Exception:
        node.stop()
        raise
    return node


def start_worker(head: RayNode, num_cpus: int = 1, resources: str | None = None,
                 deadline_s: float = 180) -> RayNode:
    """Join a second node (own temp dir) to `head`; wait until the head counts it alive."""
    temp_dir = tempfile.mkdtemp(prefix="mxrw-", dir="/tmp")
    cmd = [os.path.join(VENV_BIN, "ray"), "start", "--block", f"--address={head.address}",
           f"--temp-dir={temp_dir}", "--node-ip-address=127.0.0.1", f"--num-cpus={num_cpus}",
           "--disable-usage-stats", f"--dashboard-agent-listen-port={free_port()}"]
    if resources:
        cmd += [f"--resources={resources}"]
    proc = subprocess.Popen(cmd, env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    node = RayNode(temp_dir=temp_dir, proc=proc, address=head.address)

    def two_nodes_alive() -> bool:
        out = subprocess.run([os.path.join(VENV_BIN, "ray"), "list", "nodes", f"--address={head.dashboard_url}",
                              "--format=json"], env=_env(), capture_output=True, text=True, timeout=60)
        return out.stdout.count('"ALIVE"') >= 2

    try:
        _wait(two_nodes_alive, "second ray node", deadline_s, proc)
    except Exception:
        node.stop()
        raise
    return node
