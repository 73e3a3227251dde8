"""An ASGI app served by uvicorn on 127.0.0.1 in a thread, for browser and MCP-client tests."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from typing import Any, Iterator

import numpy as np

from matrix.ports import free_port


@contextlib.contextmanager
def serve_in_thread(app: Any, start_deadline_s: float = 120) -> Iterator[str]:
    """Yield the base URL once uvicorn has started (readiness, not a fixed sleep); stop after."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_deadline_s
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(30)


def hash_embed(texts):
    """Bag of hashed words, 384-d, unit length: deterministic and model-free (tests that exercise
    hybrid/vector plumbing, not ranking quality)."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in t.lower().split():
            out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % 384] += 1.0
        out[i] /= max(1e-6, float(np.linalg.norm(out[i])))
    return out
