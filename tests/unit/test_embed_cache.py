"""The text-hash embedding cache: unchanged text is never embedded twice, model changes miss."""

from __future__ import annotations

import numpy as np

from matrix.embed import CachedEmbedder, EmbeddingCache, text_hash
from tests.support.resolve_data import TrigramEmbedder


def test_cached_embedder_embeds_each_text_once(settings):
    inner = TrigramEmbedder()
    cache = EmbeddingCache(settings)
    ce = CachedEmbedder(inner, cache)
    first = ce.embed(["acme shoes", "bolt vpn", "acme shoes"])
    assert inner.calls == 2 and len(cache) == 2
    second = CachedEmbedder(inner, EmbeddingCache(settings)).embed(["bolt vpn", "acme shoes", "zebra"])
    assert inner.calls == 3  # only "zebra" reached the model, across cache instances
    np.testing.assert_allclose(second[1], first[0], rtol=1e-6)
    np.testing.assert_allclose(first[0], inner.embed(["acme shoes"])[0], rtol=1e-6)
    assert ce.hits == 0 and ce.misses == 3


def test_cache_is_per_model_and_validates_lengths(settings):
    c1 = EmbeddingCache(settings)
    c1.put_many(["x"], np.ones((1, 384), np.float32))
    assert c1.get_many(["x", "y"])[1] is None and c1.get_many(["x"])[0] is not None
    other = EmbeddingCache(settings, model="other-model")
    assert other.get_many(["x"]) == [None]
    assert text_hash("x", "a") != text_hash("x", "b")
    import pytest
    with pytest.raises(ValueError):
        c1.put_many(["a", "b"], np.ones((1, 384), np.float32))
    assert c1.put_many(["x"], np.ones((1, 384), np.float32)) == 0  # already there: nothing written


def test_embed_through_cache_sends_only_unseen_distinct_texts(settings):
    from matrix.embed import embed_through_cache

    inner = TrigramEmbedder()
    sent: list[dict[str, str]] = []

    def embed_fn(batch: dict[str, str]) -> dict[str, np.ndarray]:
        sent.append(dict(batch))
        return dict(zip(batch, inner.embed(list(batch.values()))))

    cache = EmbeddingCache(settings)
    texts = {"a:1": "acme shoes", "b:1": "zephyr tea", "c:1": "acme shoes"}
    vecs, n = embed_through_cache(texts, embed_fn, cache)
    assert n == 2 and len(sent) == 1 and sorted(sent[0].values()) == ["acme shoes", "zephyr tea"]
    np.testing.assert_allclose(vecs["a:1"], vecs["c:1"])
    assert not np.allclose(vecs["a:1"], vecs["b:1"])
    again, n2 = embed_through_cache({"x:9": "acme shoes", "y:9": "bolt vpn"}, embed_fn, cache)
    assert n2 == 1 and list(sent[-1].values()) == ["bolt vpn"]
    np.testing.assert_allclose(again["x:9"], vecs["a:1"], rtol=1e-6)
    none, n3 = embed_through_cache({"x:9": "acme shoes"}, embed_fn, cache)
    assert n3 == 0 and len(sent) == 2
