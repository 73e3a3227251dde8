"""The Redis cache backend against a real redis-server (Debian), started on 127.0.0.1 by the test."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from matrix.cache import RedisCache, make_cache
from matrix.config import load_settings
from matrix.ports import free_port
from serve_apps.service import SearchService, build_request
from tests.support.components import require
from tests.support.serve_data import build_registry_index

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
pytestmark = pytest.mark.integration


def _free_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    require(shutil.which(REDIS) is not None, "redis-server", "apt-get install redis-server")
    port = _free_port()
    d = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(d)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_values_round_trip_expire_and_are_shared_between_instances(redis_url):
    a = RedisCache.from_url("results", redis_url, ttl_s=0.3, namespace="t1")
    b = RedisCache.from_url("results", redis_url, ttl_s=0.3, namespace="t1")
    a.set("k", {"hits": [1, 2], "total": 2})
    assert b.get("k") == {"hits": [1, 2], "total": 2}  # another replica sees it
    time.sleep(0.45)
    assert b.get("k") is None
    a.set("k2", [1])
    a.clear()
    assert a.get("k2") is None
    assert b.stats()["hits"] == 1 and b.stats()["backend"] == "redis"


def test_unreachable_redis_is_a_miss_not_an_error():
    c = RedisCache.from_url("results", f"redis://127.0.0.1:{_free_port()}/0", ttl_s=10, timeout_s=0.2)
    c.set("k", 1)
    assert c.get("k") is None
    assert c.stats()["errors"] == 2


def test_two_services_share_results_through_redis(redis_url, tmp_path):
    settings = load_settings(overrides={"home": str(tmp_path), "serve": {"redis_url": redis_url}})
    build_registry_index(settings, n=30)
    s1, s2 = SearchService(settings), SearchService(settings)
    assert s1.results.backend == "redis" and make_cache("x", max_entries=1, ttl_s=1, redis_url=redis_url).backend == "redis"
    req = build_request(q="marketing", facets=["category"])
    first = s1.search(req)
    second = s2.search(req)
    assert first["cached"] is False and second["cached"] is True
    assert second["hits"] == first["hits"] and second["total"] == first["total"]
