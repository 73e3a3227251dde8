"""Connecting to Ray the same way from every job, the CLI and the tests.

`address: local` starts a private cluster whose temp dir lives under MATRIX_HOME (or a short
/tmp path when that would be too long for Ray's Unix sockets), so it never collides with another
Ray on the machine and nobody ever needs `ray stop`.

A private local cluster is for this machine only: it binds loopback (see `_loopback_only`), and a
reaper process (jobs/reaper.py) ends its Ray processes when the driver dies, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import ray

from matrix.config import Settings
from matrix.ports import free_port

_RUNTIME_ENV_VARS = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
_JOB_CONFIG_ENV = "RAY_JOB_CONFIG_JSON_ENV_VAR"  # set by Ray's job manager on a submitted driver
_MAX_TEMP_DIR_LEN = 60  # Ray appends ~50 chars of session/socket path; AF_UNIX allows 107


def ray_temp_dir(settings: Settings) -> Path:
    """The local cluster's temp dir: MATRIX_HOME/ray, or a stable short /tmp path per home.

    Stable (not random) so tools can find what Ray writes there, e.g. the Prometheus
    service-discovery file `prom_metrics_service_discovery.json`.
    """
    preferred = settings.path("ray")
    if len(str(preferred)) <= _MAX_TEMP_DIR_LEN:
        return preferred
    import hashlib

    digest = hashlib.blake2b(str(settings.path()).encode(), digest_size=6).hexdigest()
    return Path(tempfile.gettempdir()) / f"mxray-{digest}"


def _temp_dir(settings: Settings) -> str:
    path = ray_temp_dir(settings)
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def _job_sets(environ: Mapping[str, str], field: str) -> bool:
    raw = environ.get(_JOB_CONFIG_ENV)
    if not raw:
        return False
    try:
        return field in (json.loads(raw).get("runtime_env") or {})
    except (ValueError, AttributeError):
        return False


def _job_env_var_keys(environ: Mapping[str, str]) -> set[str]:
    """Env var keys a submitted Ray job's own runtime env already sets (Ray injects the job config)."""
    raw = environ.get(_JOB_CONFIG_ENV)
    if not raw:
        return set()
    try:
        runtime_env = json.loads(raw).get("runtime_env") or {}
    except (ValueError, AttributeError):
        return set()
    return set((runtime_env.get("env_vars") or {}).keys())


def driver_runtime_env(settings: Settings, environ: Mapping[str, str]) -> dict[str, Any]:
    """The runtime env the driver asks for, minus what the submitted job's runtime env already sets.

    Why: Ray 2.60 refuses to merge a job's runtime env with a driver's `ray.init(runtime_env=)`
    when both set the same env var ("Failed to merge the Job's runtime env"), which made the
    KubeRay RayJob (whose runtimeEnvYAML sets HF_HUB_OFFLINE and MATRIX_HOME) fail at start.
    The job's values already reach every worker, so the driver simply leaves those keys out.
    """
    env = {k: environ.get(k, v) for k, v in _RUNTIME_ENV_VARS.items()}
    env["MATRIX_HOME"] = str(settings.home.expanduser().resolve())
    for key in _job_env_var_keys(environ):
        env.pop(key, None)
    runtime_env: dict[str, Any] = {"env_vars": env} if env else {}
    if not _job_sets(environ, "worker_process_setup_hook"):
        # every worker (tasks, actors, Serve replicas) exports matrix metrics through Ray
        runtime_env["worker_process_setup_hook"] = "jobs.ray_metrics.install"
    return runtime_env


_LOCAL_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


@contextlib.contextmanager
def _loopback_only() -> Iterator[None]:
    """While a private cluster starts: every Ray server binds 127.0.0.1, none binds 0.0.0.0.

    Ray 2.60 has no bind-address option: `ray.init(_node_ip_address="127.0.0.1")` is rewritten to
    the machine's outward IP, and GCS, raylet and worker gRPC servers then listen on all
    interfaces. Its single-machine mode (the one macOS and Windows get,
    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0) uses the loopback address as the node IP, and then
    every server binds loopback (measured: GCS, raylet, workers, agents, dashboard). The switch is
    read from the environment by the processes ray.init starts (their children inherit it) and
    from `ray_constants` in this one; both are restored afterwards, so a later `ray start` from
    this process is unaffected.
    """
    from ray._private import ray_constants

    saved_env, saved_const = os.environ.get(_LOCAL_ONLY_ENV), getattr(ray_constants, "ENABLE_RAY_CLUSTER", True)
    os.environ[_LOCAL_ONLY_ENV] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False  # read by services.get_node_ip_address in this process
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = saved_const
        if saved_env is None:
            os.environ.pop(_LOCAL_ONLY_ENV, None)
        else:
            os.environ[_LOCAL_ONLY_ENV] = saved_env


def _children() -> set[int]:
    import psutil

    return {c.pid for c in psutil.Process().children()}


def start_reaper(roots: set[int]) -> subprocess.Popen | None:
    """Start jobs/reaper.py: it ends `roots` (this driver's Ray processes) and their children when we die."""
    if not roots:
        return None
    cmd = [sys.executable, "-m", "jobs.reaper", "--driver", str(os.getpid())]
    for pid in sorted(roots):
        cmd += ["--root", str(pid)]
    path = os.pathsep.join(filter(None, [str(repo_root()), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": path}, close_fds=True)


def connect_ray(settings: Settings) -> None:
    """Join the configured cluster, or start a private local one; reuse an existing connection."""
    if ray.is_initialized():
        return
    kwargs: dict[str, Any] = dict(namespace=settings.ray.namespace, runtime_env=driver_runtime_env(settings, os.environ),
                                  log_to_driver=False)
    address = settings.ray.address
    if address == "local":
        before = _children()
        for attempt in (1, 2):
            try:
                with _loopback_only():
                    ray.init(address="local", num_cpus=settings.ray.num_cpus, _temp_dir=_temp_dir(settings),
                             include_dashboard=settings.ray.include_dashboard, dashboard_host="127.0.0.1",
                             dashboard_port=settings.ray.dashboard_port or free_port(), **kwargs)
                break
            except Exception as exc:
                # Ray gives its raylet a fixed 30 s to register; a loaded machine can miss that once.
                if attempt == 2 or "timed out during startup" not in str(exc):
                    raise
                ray.shutdown()
        start_reaper(_children() - before)
    else:
        ray.init(address=address, **kwargs)
    from jobs.ray_metrics import install

    install()  # the driver's own metrics (ingest counts, drift) go through Ray's exporter too


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _metrics_server(settings: Settings) -> None:
    """Serve this process's registry on logging.metrics_port (long-running drivers, loops)."""
    global _METRICS_SERVED
    port = settings.logging.metrics_port
    if port and not _METRICS_SERVED:
        from matrix.observability import serve_metrics

        serve_metrics(port)
        _METRICS_SERVED = True


_METRICS_SERVED = False


def record_batch_job(settings: Settings, job: str, ok: bool, summary: Mapping[str, Any] | None = None) -> None:
    """Job and per-source success gauges, then a push to the Pushgateway if one is configured.

    Why push: an ingest or a triggers round usually ends before Prometheus scrapes it, and its
    Ray workers are gone; the gateway keeps the final figures for the staleness and
    job-failure alerts. A failing push is logged, never raised: monitoring must not fail the job.
    """
    import time as _time

    from matrix import observability as obs

    now = _time.time()
    obs.JOB_LAST_RUN.labels(job).set(now)
    obs.JOB_LAST_RUN_OK.labels(job).set(1 if ok else 0)
    if ok:
        obs.JOB_LAST_SUCCESS.labels(job).set(now)
    for name, report in ((summary or {}).get("sources") or {}).items():
        if isinstance(report, Mapping) and not report.get("error"):
            obs.SOURCE_LAST_SUCCESS.labels(name).set(now)
        if isinstance(report, Mapping) and isinstance(report.get("listings"), (int, float)):
            # worker-side counters die with a batch job's cluster: the driver pushes the totals
            obs.SOURCE_LAST_LISTINGS.labels(name).set(report["listings"])
    url = settings.logging.pushgateway_url
    if url:
        try:
            obs.push_metrics(url, job=f"matrix-{job}")
        except Exception as exc:  # noqa: BLE001 - reported, never fatal
            obs.get_logger(__name__).warning("pushgateway push failed", extra={"url": url, "error": str(exc)})


def batch_job(job: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a job function `f(settings, ...)`: metrics port while it runs, job gauges + push at its end."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def run(settings: Settings, *args: Any, **kwargs: Any) -> Any:
            _metrics_server(settings)
            try:
                result = fn(settings, *args, **kwargs)
            except BaseException:
                record_batch_job(settings, job, ok=False)
                raise
            summary = result if isinstance(result, Mapping) else None
            record_batch_job(settings, job, ok=not (summary or {}).get("error"), summary=summary)
            return result
        return run
    return wrap


# --- neighbour-search threads in Ray tasks --------------------------------------------------------
# matrix.resolve.blocking reads this variable at each neighbour search (`blocking.search_threads`);
# matrix/ knows nothing of Ray, so a task sets it from the CPUs Ray gave the task.
SEARCH_THREADS_ENV = "MATRIX_SEARCH_THREADS"
# What the worker process started with (an operator's runtime env), before any task set it: a cap
_OPERATOR_SEARCH_THREADS = os.environ.get(SEARCH_THREADS_ENV)


def task_search_threads(assigned: Mapping[str, float], operator: str | None = None) -> int:
    """Search threads for a task given `assigned` resources: its whole CPUs (a fractional or
    missing CPU is one thread), no more than an operator's MATRIX_SEARCH_THREADS when set."""
    n = max(1, int(assigned.get("CPU") or 0))
    if operator and operator.strip():
        try:
            n = min(n, max(1, int(operator)))
        except ValueError:
            pass  # blocking.search_threads reports a bad value where it is read
    return n


def limit_search_threads() -> int | None:
    """In a Ray task or actor: set MATRIX_SEARCH_THREADS to the CPUs it was given (`task_search_threads`).

    Why: a worker's neighbour search otherwise sizes its thread pool from the process (affinity,
    torch's threads), and a Ray worker sees the whole node: four search threads in a task given one
    CPU oversubscribe the node when many tasks run side by side. Called first thing in each resolve
    task (jobs.resolve_partitioned); a worker is reused by tasks of other sizes, so every task sets
    it again. Outside a worker (the driver) nothing changes and None is returned.
    """
    context = ray.get_runtime_context()
    if context.worker.mode != ray.WORKER_MODE:  # the driver keeps its own setting
        return None
    n = task_search_threads(context.get_assigned_resources(), _OPERATOR_SEARCH_THREADS)
    os.environ[SEARCH_THREADS_ENV] = str(n)
    return n
