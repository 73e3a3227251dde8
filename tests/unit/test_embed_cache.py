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
