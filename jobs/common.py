"""Connecting to Ray the same way from every job, the CLI and the tests.

`address: local` starts a private cluster whose temp dir lives under MATRIX_HOME (or a short
/tmp path when that would be too long for Ray's Unix sockets), so it never collides with another
Ray on the machine and nobody ever needs `ray stop`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import ray

from matrix.config import Settings

_RUNTIME_ENV_VARS = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
_MAX_TEMP_DIR_LEN = 60  # Ray appends ~50 chars of session/socket path; AF_UNIX allows 107


def _temp_dir(settings: Settings) -> str:
    preferred = settings.path("ray")
    if len(str(preferred)) <= _MAX_TEMP_DIR_LEN:
        preferred.mkdir(parents=True, exist_ok=True)
        return str(preferred)
    return tempfile.mkdtemp(prefix="mxray-", dir="/tmp")


def connect_ray(settings: Settings) -> None:
    """Join the configured cluster, or start a private local one; reuse an existing connection."""
    if ray.is_initialized():
        return
    env = {k: os.environ.get(k, v) for k, v in _RUNTIME_ENV_VARS.items()}
    env["MATRIX_HOME"] = str(settings.home.expanduser().resolve())
    kwargs = dict(namespace=settings.ray.namespace, runtime_env={"env_vars": env}, log_to_driver=False)
    address = settings.ray.address
    if address == "local":
        ray.init(address="local", num_cpus=settings.ray.num_cpus, _temp_dir=_temp_dir(settings),
                 include_dashboard=settings.ray.include_dashboard, dashboard_port=settings.ray.dashboard_port, **kwargs)
    else:
        ray.init(address=address, **kwargs)


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
