"""TTL + LRU result cache, cache keys, and the service's query-embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from matrix.cache import TTLCache, embedding_key, make_cache, result_key
from matrix.config import load_settings
from serve_apps.service import SearchService, build_request


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_entries_expire_after_ttl():
    clock = Clock()
    c = TTLCache("t", max_entries=10, ttl_s=5, clock=clock)
    c.set("a", {"x": 1})
    clock.t += 4.9
    assert c.get("a") == {"x": 1}
    clock.t += 0.2
    assert c.get("a") is None
    assert len(c) == 0
    assert c.stats()["hits"] == 1 and c.stats()["misses"] == 1


def test_lru_evicts_least_recently_used_and_stays_bounded():
    c = TTLCache("t", max_entries=3, ttl_s=60, clock=Clock())
    for k in "abc":
        c.set(k, k)
    assert c.get("a") == "a"  # a is now most recent
    c.set("d", "d")
    assert c.get("b") is None and c.get("a") == "a" and c.get("d") == "d"
    for i in range(100):
        c.set(f"k{i}", i)
    assert len(c) == 3 and c.stats()["evictions"] == 101


def test_disabled_cache_stores_nothing_and_bad_sizes_fail():
    c = TTLCache("off", max_entries=0, ttl_s=60)
    c.set("a", 1)
    assert c.get("a") is None and not c.enabled
    with pytest.raises(ValueError, match="max_entries"):
        TTLCache("bad", max_entries=-1, ttl_s=1)
    c2 = TTLCache("t", 5, 5)
    c2.set("a", 1)
    c2.clear()
    assert c2.get("a") is None


def test_result_key_includes_version_and_every_parameter():
    p = {"q": "vpn", "filters": {"networks": ["awin"]}, "limit": 10}
    assert result_key(3, p) == result_key(3, dict(p))
    assert result_key(3, p) != result_key(4, p)
    assert result_key(3, p) != result_key(3, {**p, "limit": 20})
    assert result_key(None, p).startswith("vnone:")
    assert embedding_key("m", "Email  Marketing") == embedding_key("m", "email marketing")
    assert embedding_key("m", "email") != embedding_key("other", "email")
    assert make_cache("x", max_entries=1, ttl_s=1).backend == "memory"


def test_service_embeds_each_distinct_query_once(tmp_path):
    settings = load_settings(overrides={"home": str(tmp_path)})
    calls: list[list[str]] = []

    def fake_embed(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 384), dtype=np.float32)

    svc = SearchService(settings, embed=fake_embed)
    v1 = svc.embed_query("Email marketing")
    v2 = svc.embed_query("email   marketing")
    assert v1 == v2 and len(v1) == 384
    assert calls == [["Email marketing"]]
    assert svc.embeddings.stats()["hits"] == 1


def test_request_params_are_canonical_for_the_cache(tmp_path):
    settings = load_settings(overrides={"home": str(tmp_path)})
    svc = SearchService(settings)
    a = svc.search(build_request(q="crm", network=["b", "a"]))
    b = svc.search(build_request(q=" crm ", network=["a", "b"]))
    assert a["cached"] is False and b["cached"] is True
