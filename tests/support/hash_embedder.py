"""A deterministic stand-in for the ingest's embedder: unit vectors seeded by a text's hash.
No model, no Ray - for tests that run the real ingest steps (jobs.ingest.index_listings)."""

from __future__ import annotations

import hashlib

import numpy as np


def hash_embedder(settings):
    from jobs.ingest import RayCachedEmbedder

    class HashEmbedder(RayCachedEmbedder):
        def embed_dict(self, texts):
            out = {}
            for k, t in texts.items():
                v = np.random.default_rng(int(hashlib.md5(t.encode()).hexdigest()[:8], 16)).standard_normal(384)
                out[k] = (v / np.linalg.norm(v)).astype(np.float32)
            self.embedded += len(texts)
            return out
    return HashEmbedder(settings)
