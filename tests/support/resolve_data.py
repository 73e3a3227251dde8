"""Test helpers for resolution: a deterministic stand-in embedder and small listing factories."""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np

from matrix.models import Commission, CommissionModel, Listing

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


class TrigramEmbedder:
    """Hashed character trigrams: similar strings get similar vectors, no model download, deterministic."""

    dim = 384

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts):
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            t = f"  {t.lower()}  "
            for j in range(len(t) - 2):
                out[i, zlib.crc32(t[j:j + 3].encode()) % self.dim] += 1.0
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(n == 0, 1, n)


def listing(source: str, sid: str, name: str, url: str | None = None, pct: float | None = None,
            cookie: float | None = None, fetched: dt.datetime = T0, **kw) -> Listing:
    com = Commission(model=CommissionModel.PERCENT if pct is not None else CommissionModel.UNKNOWN, percent_max=pct)
    return Listing(source=source, source_id=sid, name=name, merchant_url=url, fetched_at=fetched,
                   commission=com, cookie_days=cookie, **kw)
