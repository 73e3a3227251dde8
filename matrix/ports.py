"""Picking a free TCP port for a server we are about to start (tests, benchmarks, local services).

Why not bind port 0: the kernel hands out ports from the ephemeral range, the same range every
outgoing connection uses, so between "this port is free" and the server's own bind another
process's client socket (Ray opens many) can take it. Ports below the ephemeral range (and above
Ray's worker-port range, 10002-19999) are never given to client sockets, which closes that race.
"""

from __future__ import annotations

import random
import socket

LOW, HIGH = 20_000, 32_000


def free_port(host: str = "127.0.0.1", attempts: int = 200) -> int:
    """A port in [LOW, HIGH) that nothing listens on right now."""
    rng = random.Random()
    for _ in range(attempts):
        port = rng.randrange(LOW, HIGH)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in [{LOW}, {HIGH}) on {host} after {attempts} attempts")
