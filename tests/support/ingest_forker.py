"""A pre-loaded parent that forks one ingest process per request (the chaos test's launcher).

Why: a fresh `python jobs/ingest.py --local` spends seconds importing LanceDB, pandas, torch and
loading the model before it does anything; two dozen kills would spend minutes on that. This
process imports all of it once and never opens a table itself (so the fork is clean: no LanceDB
runtime or torch thread pool exists yet), then forks a child per run. Each child is a complete
ingest (`run_ingest(use_ray=False)`, the same steps the Ray job runs) that the fault point in
MATRIX_FAULT_AT ends with a real SIGKILL.

Protocol (JSON lines): stdin {"config": path, "home": path, "fault": "write:listings#1" | null, "out": path};
stdout {"pid": n, "signal": 9 | null, "exit": code | null, "seconds": s, "cpu_seconds": s}. "ready" is printed once
the imports are done.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore", message=".*fork support is experimental.*")

import hashlib  # noqa: E402

import numpy as np  # noqa: E402

import jobs.ingest  # noqa: E402  (the point: import once, fork many)
import matrix.embed  # noqa: E402,F401
import matrix.index.search  # noqa: E402,F401
import matrix.index.store  # noqa: E402,F401
import matrix.resolve.listings  # noqa: E402,F401  (sklearn, scipy: seconds of import per child otherwise)
import matrix.sources.openaffiliate  # noqa: E402,F401


def hash_vectors(self, texts: dict[str, str]) -> dict[str, np.ndarray]:
    """Stand-in for the model when MATRIX_TEST_EMBEDDER=hash: a unit vector seeded by the text.

    Deterministic per text, so two indexes built from the same input get the same vectors; the
    cache, the fault points and everything around the model still run. The chaos test uses it
    because the model is not what it tests and costs seconds per round on a loaded 2-core box.
    """
    out = {}
    for key, text in texts.items():
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal(self.dim)
        out[key] = (v / np.linalg.norm(v)).astype(np.float32)
    return out


if os.environ.get("MATRIX_TEST_EMBEDDER") == "hash":
    jobs.ingest.LocalCachedEmbedder.embed_misses = hash_vectors
else:
    from matrix.embed import load_model

    load_model()  # weights only; the first encode happens in a child


def _child(req: dict) -> None:
    from jobs.ingest import run_ingest
    from matrix.config import load_settings
    from matrix.faults import ENV_POINT

    if req.get("fault"):
        os.environ[ENV_POINT] = req["fault"]
    else:
        os.environ.pop(ENV_POINT, None)
    os.environ["MATRIX_HOME"] = req["home"]  # the environment wins over the file: set it per run
    settings = load_settings(req["config"])
    summary = run_ingest(settings, use_ray=False)
    Path(req["out"]).write_text(json.dumps(summary, default=str))


def main() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                sys.stdin.close()
                _child(req)
            except BaseException:  # noqa: BLE001 - report, never fall back into the loop
                traceback.print_exc()
                sys.stderr.flush()
                code = 1
            finally:
                os._exit(code)
        _, status, usage = os.wait4(pid, 0)
        print(json.dumps({"pid": pid, "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                          "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                          "seconds": round(time.monotonic() - t0, 2),
                          "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2)}), flush=True)


if __name__ == "__main__":
    main()
