"""API keys through the real key manager (encrypted local backend) and the rate limiter's bounds."""

from __future__ import annotations


from matrix.config import load_settings
from serve_apps.security import ClientRateLimiter, KeyManagerVerifier, StaticVerifier


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_admin_key_stored_by_admin_is_verified_by_the_serve_component(tmp_path, monkeypatch):
    from matrix.keys import CredentialRef, KeyManager

    monkeypatch.setenv("MATRIX_KEYS__BACKEND", "local")
    settings = load_settings(overrides={"home": str(tmp_path)})
    ref = settings.serve.admin_key_ref
    admin = KeyManager.from_settings(settings, component="admin")
    admin.put(CredentialRef(*ref.split("/")), "s3cret-admin-key-value")
    v = KeyManagerVerifier(settings)
    assert v.verify(ref, "s3cret-admin-key-value") is True
    assert v.verify(ref, "wrong") is False
    assert v.verify(ref, None) is False
    assert v.verify(settings.serve.search_key_ref, "s3cret-admin-key-value") is False  # never stored
    assert v.verify("not-a-ref", "x") is False  # malformed ref fails closed


def test_verifier_without_a_key_manager_fails_closed(tmp_path):
    settings = load_settings(overrides={"home": str(tmp_path)})

    def broken():
        raise RuntimeError("store unreachable")

    assert KeyManagerVerifier(settings, manager_factory=broken).verify("matrix/serve/admin_api_key", "x") is False

    class GetOnly:  # a manager without verify(): compared against the revealed secret
        def get(self, ref):
            from matrix.keys import Secret

            return Secret("k" * 20)

    v = KeyManagerVerifier(settings, manager_factory=GetOnly)
    assert v.verify("matrix/serve/admin_api_key", "k" * 20) and not v.verify("matrix/serve/admin_api_key", "k")
    assert StaticVerifier({"a/b/c": "x"}).verify("a/b/c", "x") and not StaticVerifier({}).verify("a/b/c", "x")


def test_rate_limiter_refills_over_time_and_bounds_clients():
    clock = Clock()
    rl = ClientRateLimiter(per_minute=60, max_clients=3, clock=clock)
    results = [rl.allow("a")[0] for _ in range(61)]
    assert results[:60] == [True] * 60 and results[60] is False
    allowed, wait = rl.allow("a")
    assert not allowed and 0 < wait <= 1.0
    clock.t += 1.0
    assert rl.allow("a")[0] is True
    for c in "bcdef":
        rl.allow(c)
    assert len(rl._buckets) == 3
