"""Serve replicas of a loopback-only cluster listen on loopback only (issue 12 item 5).

Why: every Ray Serve 2.60 replica starts an inter-deployment gRPC server on the hard-coded address
"[::]:0" (all interfaces), whatever the node IP; Ray has no setting for it. On a private local
cluster (`jobs.common.connect_ray`, node IP 127.0.0.1) nothing outside this machine may reach it,
so in a replica process of such a node the address becomes "127.0.0.1:0". On a real multi-node
cluster (node IP not loopback) nothing changes: replicas on other nodes must reach each other.

Applied when `serve_apps` is imported, which a replica does while loading its deployment class,
before it starts that server. Outside a replica process (the Ray module is not loaded) it does
nothing and imports nothing.
"""

from __future__ import annotations

import sys
from typing import Any

_ALL_INTERFACES = ("[::]:", "0.0.0.0:")


def bind_replicas_to_loopback() -> bool:
    """Patch the running replica module; True when it was patched (now or before)."""
    replica: Any = sys.modules.get("ray.serve._private.replica")
    original = getattr(replica, "add_port_to_grpc_server", None)
    if replica is None or original is None:
        return False
    if getattr(original, "_matrix_loopback", False):
        return True
    try:
        import ray

        node_ip = ray.util.get_node_ip_address()
    except Exception:  # noqa: BLE001 - not inside a connected worker: leave Ray as it is
        return False
    if node_ip not in ("127.0.0.1", "::1", "localhost"):
        return False

    def add_port(server, address: str):
        for prefix in _ALL_INTERFACES:
            if address.startswith(prefix):
                address = "127.0.0.1:" + address[len(prefix):]
        return original(server, address)

    add_port._matrix_loopback = True  # type: ignore[attr-defined]
    replica.add_port_to_grpc_server = add_port
    return True
