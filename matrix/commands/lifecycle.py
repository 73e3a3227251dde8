"""The search service's lifecycle: run until signalled, detach, stop, status (issue 12 item 5).

Why a pid file and signal handlers of our own:
- `matrix serve` started in the background by a shell inherits SIGINT as *ignored*, and Ray's
  driver turns SIGTERM into `sys.exit` in the middle of whatever runs; both left Serve and its
  private Ray cluster behind or logged a crash. Here SIGINT and SIGTERM only set a flag; the main
  thread then shuts Serve down, then Ray (which stops a private cluster), removes the state file
  and exits 0 with one log line.
- `matrix serve --detach` starts that same foreground server as a new session with its output in
  MATRIX_HOME/logs/serve.log and waits until it is serving; `matrix serve stop` sends SIGTERM to
  the recorded process (checked by pid AND start time, so a recycled pid is never signalled) and
  waits for it; `matrix serve status` says whether it runs and whether /healthz answers.

Imports stay light at module level: the CLI table imports this only for `matrix serve`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from matrix.config import Settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
NOT_RUNNING = 3  # `status` exit code for "not running" (the LSB init-script convention)


def state_path(settings: Settings) -> Path:
    return settings.path("run", "serve.json")


def log_path(settings: Settings) -> Path:
    return settings.path("logs", "serve.log")


def read_state(settings: Settings) -> dict[str, Any] | None:
    try:
        return json.loads(state_path(settings).read_text())
    except (OSError, ValueError):
        return None


def _process(state: dict[str, Any] | None):
    """The recorded server process if it still runs (same pid and start time), else None."""
    import psutil

    if not state or not isinstance(state.get("pid"), int):
        return None
    try:
        proc = psutil.Process(state["pid"])
        if abs(proc.create_time() - float(state.get("create_time", 0))) > 1.0 or proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except psutil.Error:
        return None


def _write_state(settings: Settings, url: str) -> None:
    import psutil

    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "create_time": psutil.Process().create_time(), "url": url,
                               "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "log": str(log_path(settings))}))
    tmp.replace(path)  # readers never see half a file


def _clear_state(settings: Settings) -> None:
    state = read_state(settings)
    if state is None or state.get("pid") == os.getpid():
        state_path(settings).unlink(missing_ok=True)


class StopFlag:
    """SIGINT/SIGTERM -> a flag the main thread waits on (never an exception in the middle of Ray)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name: str | None = None

    def install(self) -> None:
        for sig in STOP_SIGNALS:  # also overrides an inherited SIG_IGN and Ray's SIGTERM -> sys.exit
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame) -> None:  # noqa: ARG002
        self.signal_name = signal.Signals(signum).name
        self.event.set()

    def wait(self) -> str:
        while not self.event.wait(1.0):
            pass
        return self.signal_name or "stop"


def serve_until_stopped(settings: Settings, start: Callable[[], str], say: Callable[[str], None],
                        block: bool = True) -> int:
    """Start the service with `start()` (returns its URL), record it, serve until SIGINT/SIGTERM, shut down."""
    running = read_state(settings) or {}
    if _process(running) is not None and running.get("pid") != os.getpid():
        say(f"already serving at {running['url']} (pid {running['pid']}); `matrix serve stop` first")
        return 1
    if not block:  # deploy and return: the caller's own signal handling stays as it was
        start()
        return 0
    flag = StopFlag()
    flag.install()  # a signal during start-up is honoured once the service is up
    url = start()
    flag.install()  # ray.init installed its own SIGTERM handler meanwhile
    _write_state(settings, url)
    say(f"serving at {url} (pid {os.getpid()}) — Ctrl-C, SIGTERM or `matrix serve stop` to stop")
    try:
        why = flag.wait()
        say(f"{why}: stopping the search service")
        shutdown_service()
    finally:
        _clear_state(settings)
    say("stopped")
    return 0


def shutdown_service() -> None:
    """Serve first (replicas drain, the proxy closes its port), then Ray (stops a private cluster)."""
    import ray
    from ray import serve

    if ray.is_initialized():
        try:
            serve.shutdown()
        finally:
            ray.shutdown()


def detach(settings: Settings, say: Callable[[str], None], timeout_s: float = 600) -> int:
    """Start `matrix serve` as its own session, logging to a file; return once it serves (or failed)."""
    running = read_state(settings) or {}
    if _process(running) is not None:
        say(f"already serving at {running['url']} (pid {running['pid']})")
        return 1
    run_dir = state_path(settings).parent
    run_dir.mkdir(parents=True, exist_ok=True)
    # the child gets exactly these settings (env overrides included), whatever its environment
    config = run_dir / "serve-config.json"
    config.write_text(settings.model_dump_json())
    log = log_path(settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    repo = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "MATRIX_HOME": str(settings.home.expanduser().resolve()),
           "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
    with log.open("ab") as out:
        child = subprocess.Popen([sys.executable, "-m", "matrix.cli", "--config", str(config), "serve"],
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                 start_new_session=True, close_fds=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = read_state(settings)
        if state and state.get("pid") == child.pid:
            say(f"serving at {state['url']} (pid {child.pid}); log {log}; stop with `matrix serve stop`")
            return 0
        if child.poll() is not None:
            say(f"the service exited with code {child.returncode} before serving; last lines of {log}:\n"
                + _tail(log))
            return 1
        time.sleep(0.2)
    say(f"the service did not come up within {timeout_s:.0f} s (pid {child.pid} still starting); see {log}")
    return 1


def stop(settings: Settings, say: Callable[[str], None], timeout_s: float = 60) -> int:
    """SIGTERM the recorded server and wait for it; SIGKILL only when it does not stop in time."""
    import psutil

    state = read_state(settings)
    proc = _process(state)
    if proc is None:
        if state is not None:
            state_path(settings).unlink(missing_ok=True)  # stale: that process is gone
        say("not running")
        return 0
    proc.send_signal(signal.SIGTERM)
    gone, alive = psutil.wait_procs([proc], timeout=timeout_s)
    if alive:
        say(f"pid {proc.pid} did not stop within {timeout_s:.0f} s of SIGTERM; sending SIGKILL")
        proc.kill()
        psutil.wait_procs([proc], timeout=10)
        state_path(settings).unlink(missing_ok=True)
        return 1
    state_path(settings).unlink(missing_ok=True)
    say(f"stopped (pid {proc.pid})")
    return 0


def status(settings: Settings) -> tuple[int, dict[str, Any]]:
    """(exit code, report): 0 when serving, NOT_RUNNING otherwise; `healthy` from GET /healthz."""
    state = read_state(settings) or {}
    proc = _process(state)
    if proc is None:
        return NOT_RUNNING, {"running": False, "state_file": str(state_path(settings))}
    report = {"running": True, "pid": proc.pid, "url": state["url"], "started_at": state.get("started_at"),
              "log": state.get("log"), "healthy": _healthy(state["url"])}
    return 0, report


def _healthy(url: str) -> bool:
    """GET /healthz through matrix.http (our own 127.0.0.1 service: no robots.txt, one try)."""
    from matrix.config import RateLimit
    from matrix.http import HttpOptions, fetch_sync
    from matrix.ratelimit import RetryPolicy

    resp = fetch_sync(f"{url}/healthz", HttpOptions(timeout_s=5, respect_robots=False),
                      RateLimit(requests_per_second=10, burst=1, max_concurrency=1), retry=RetryPolicy(max_retries=0))
    return resp.ok and resp.status == 200


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
