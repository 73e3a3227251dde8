"""A real S3-compatible server on 127.0.0.1 for tests: moto's server mode (PyPI `moto[server]`).

Why a server and not moto's in-process mock: LanceDB talks to S3 from its Rust object-store
client, which no Python-level mock can intercept, and the tests also need a second process (a
reader, a Ray worker) to reach the same bucket. The server is ours alone (free port, own process
group) and is stopped with the fixture.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from matrix.ports import free_port


@dataclass
class S3Server:
    endpoint: str
    proc: subprocess.Popen

    def env(self) -> dict[str, str]:
        """What LanceDB (object_store) and boto3 read: credentials, region, endpoint, plain HTTP."""
        return {"AWS_ACCESS_KEY_ID": "matrix-test", "AWS_SECRET_ACCESS_KEY": "matrix-test",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT": self.endpoint, "AWS_ENDPOINT_URL": self.endpoint, "AWS_ALLOW_HTTP": "true"}

    def create_bucket(self, name: str) -> None:
        import boto3

        boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                     aws_access_key_id="matrix-test", aws_secret_access_key="matrix-test").create_bucket(Bucket=name)

    def keys(self, bucket: str) -> list[str]:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="matrix-test", aws_secret_access_key="matrix-test")
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def start_s3_server(deadline_s: float = 120) -> S3Server:
    port = free_port()
    exe = Path(sys.executable).parent / "moto_server"
    if not exe.exists():
        raise RuntimeError("moto_server not found: install the test extras (`pip install -e .[dev]`, moto[server])")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = S3Server(f"http://127.0.0.1:{port}", proc)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(server.endpoint, timeout=5) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise TimeoutError(f"moto_server not ready within {deadline_s:.0f} s")
