"""Contract tests: every network client against its local fake (tests/support/network_fakes.py).

Credentials come from the real KeyManager (encrypted local backend under a tmp MATRIX_HOME).
"""

from __future__ import annotations

import datetime as dt

import pytest

from matrix.config import load_settings
from matrix.keys.manager import KeyManager
from matrix.keys.types import CredentialError, CredentialRef, Secret
from matrix.models import Listing, PerformanceRow
from matrix.networks import NETWORKS, build_client
from matrix.networks.errors import MalformedResponse, NetworkCredentialError, NetworkError, NotSupported, QuotaSpent
from matrix.networks.http import ApiTransport, Limiter
from matrix.ratelimit import DailyQuota, TokenBucket
from tests.support.network_fakes import CREDS, FakeNetworks, Fault

ALL = sorted(NETWORKS)
# requests one full programs() pull makes with 5 records and page_size 2
PULL_REQUESTS = {"awin": 1, "cj": 3, "impact": 3, "rakuten": 4, "tune": 3, "everflow": 3}
PAGED_ENDPOINT = {"cj": "advertiser-lookup", "impact": "Campaigns", "rakuten": "advertisers",
                  "tune": "Affiliate_Offer.findAll", "everflow": "offersrunnable"}
PERFORMANCE_SHAPE = {"cj": (2, False, 6), "awin": (None, False, 3), "impact": (None, False, 3),
                     "rakuten": (None, False, 3), "tune": (None, True, None), "everflow": (None, True, None)}
ID_FIELD = {"awin": "id", "cj": "advertiser-id", "impact": "CampaignId", "rakuten": "id", "tune": "id",
            "everflow": "network_offer_id"}


@pytest.fixture(scope="module")
def fake():
    with FakeNetworks(records=5) as f:
        yield f


@pytest.fixture
def env(fake, tmp_path, monkeypatch):
    """(settings, admin key manager, ingest key manager) with every network's credentials stored."""
    home = tmp_path / "home"
    monkeypatch.setenv("MATRIX_HOME", str(home))
    fake.log.clear()
    fake.faults.clear()
    fake.tune_unpaged = False
    settings = load_settings(overrides={"networks": fake.settings_overrides(rakuten={"relationship": None})})
    admin = KeyManager.from_settings(settings, component="admin")
    for net, kinds in CREDS.items():
        for kind, value in kinds.items():
            admin.put(CredentialRef(net, "default", kind), value)
    return settings, admin, KeyManager.from_settings(settings, component="ingest")


def client(env, name, **kw):
    settings, _, ingest = env
    return build_client(name, settings, ingest, **kw)


@pytest.mark.parametrize("name", ALL)
async def test_full_pull_pages_to_the_end_and_keeps_unknown_fields(env, fake, name):
    async with client(env, name) as c:
        records = await c.programs()
        listings = [c.to_listing(r.raw) for r in records]
    assert len(records) == 5
    assert len(fake.requests(name)) == PULL_REQUESTS[name]
    assert all(r.raw["x_undocumented"] == f"{name}-extra-{i}" for i, r in enumerate(records, 1))
    assert [str(r.raw[ID_FIELD[name]]) for r in records] == sorted({str(r.raw[ID_FIELD[name]]) for r in records})
    for lst in listings:
        assert isinstance(lst, Listing) and lst.source == name and lst.network == name
        assert lst.merchant_domain and lst.merchant_domain.startswith(f"{name}-shop")
        assert lst.raw["x_undocumented"].startswith(f"{name}-extra-")


@pytest.mark.parametrize("name", ALL)
async def test_wrong_credential_is_rejected_once_and_marks_key_unhealthy(env, fake, name):
    _, admin, _ = env
    kind = {"awin": "api_token", "cj": "api_token", "impact": "auth_token", "rakuten": "client_secret",
            "tune": "api_key", "everflow": "api_key"}[name]
    admin.put(CredentialRef(name, "default", kind), "wrong-value-0000")
    async with client(env, name) as c:
        with pytest.raises(NetworkCredentialError) as err:
            await c.programs()
    assert err.value.network == name
    assert "wrong-value" not in str(err.value)
    assert len(fake.requests(name)) == 1  # no retry storm
    assert admin.meta(CredentialRef(name, "default", kind)).unhealthy_reason


@pytest.mark.parametrize("name", ["awin", "cj", "everflow", "tune"])
async def test_missing_header_or_param_is_rejected_by_the_fake(env, fake, name):
    """The fakes really check auth: a client sending nothing is refused."""
    import aiohttp

    urls = {"awin": "/publishers/55501/programmes", "cj": "/v2/advertiser-lookup", "everflow": "/v1/affiliates/offersrunnable",
            "tune": "/Apiv3/json?Target=Affiliate_Offer&Method=findAll"}
    async with aiohttp.ClientSession() as s, s.get(fake.url(name) + urls[name]) as resp:
        body = await resp.text()
    assert resp.status in (401, 403) or '"status": -1' in body


async def test_missing_credential_in_store_fails_before_any_request(env, fake):
    settings, _, ingest = env
    async with build_client("everflow", settings, ingest, account="nobody") as c:
        with pytest.raises(NetworkCredentialError, match="unavailable"):
            await c.programs()
    assert fake.requests("everflow") == []


@pytest.mark.parametrize("name", sorted(PAGED_ENDPOINT))
async def test_429_with_retry_after_is_waited_out_then_the_pull_completes(env, fake, name):
    fake.fail(name, PAGED_ENDPOINT[name], Fault.throttle(retry_after=0.05), page=2)
    async with client(env, name) as c:
        records = await c.programs()
        assert c.transport.limiter.throttled == 1
    assert len(records) == 5
    statuses = [r["status"] for r in fake.requests(name)]
    assert statuses.count(429) == 1 and len(statuses) == PULL_REQUESTS[name] + 1


async def test_rate_limit_window_headers_pause_the_bucket(env, fake):
    fake.fail("everflow", "offersrunnable", Fault.window_spent(reset=0.3), page=1)
    fake.fail("everflow", "offersrunnable", Fault.throttle(retry_after=None, reset=0.2), page=3)
    async with client(env, "everflow") as c:
        records = await c.programs()
        bucket = c.transport.limiter.bucket
        assert c.transport.limiter.throttled == 2
    assert len(records) == 5
    assert bucket.waited_s >= 0.25  # page 2 waited for the window reset announced by page 1


async def test_429_forever_gives_up_after_max_retries(env, fake):
    fake.fail("everflow", "offersrunnable", Fault.throttle(retry_after=0.01), page=1, times=10)
    async with client(env, "everflow") as c:
        with pytest.raises(NetworkError, match="HTTP 429") as err:
            await c.programs()
    assert err.value.status == 429
    assert len(fake.requests("everflow")) == c.cfg.max_retries + 1


@pytest.mark.parametrize("name", sorted(PAGED_ENDPOINT))
async def test_malformed_page_names_network_and_endpoint_and_keeps_earlier_pages(env, fake, name):
    fake.fail(name, PAGED_ENDPOINT[name], Fault.malformed(), page=2)
    async with client(env, name) as c:
        with pytest.raises(MalformedResponse) as err:
            await c.programs()
    msg = str(err.value)
    assert msg.startswith(f"{name} {PAGED_ENDPOINT[name]}:")
    assert len(err.value.partial) == 2  # page 1 (page_size 2) survived
    assert all(p.raw["x_undocumented"].startswith(name) for p in err.value.partial)


async def test_awin_malformed_array_and_bad_record(env, fake):
    fake.fail("awin", "programmes", Fault(200, '{"not": "a list"}'))
    async with client(env, "awin") as c:
        with pytest.raises(MalformedResponse, match="awin programmes: expected a JSON array"):
            await c.programs()
    fake.records["awin"].insert(2, {"name": "no id"})
    try:
        async with client(env, "awin") as c:
            with pytest.raises(MalformedResponse, match=r"awin programmes: .*id.*\(record 2\)") as err:
                await c.programs()
        assert len(err.value.partial) == 2
    finally:
        fake.records["awin"].pop(2)


async def test_cut_connection_is_retried_then_reported_as_truncated(env, fake):
    fake.fail("impact", "Campaigns", Fault.cut_connection(), page=1)
    async with client(env, "impact") as c:
        assert len(await c.programs()) == 5
    fake.fail("impact", "Campaigns", Fault.cut_connection(), page=1, times=10)
    async with client(env, "impact") as c:
        with pytest.raises(MalformedResponse, match="impact Campaigns: truncated body"):
            await c.programs()


async def test_server_errors_are_retried(env, fake):
    fake.fail("cj", "advertiser-lookup", Fault.server_error(503), page=1, times=2)
    async with client(env, "cj") as c:
        assert len(await c.programs()) == 5
    assert [r["status"] for r in fake.requests("cj")][:3] == [503, 503, 200]


async def test_cj_error_message_envelope(env, fake):
    fake.fail("cj", "advertiser-lookup", Fault(200, "<cj-api><error-message>keywords too long</error-message></cj-api>"))
    async with client(env, "cj") as c:
        with pytest.raises(MalformedResponse, match="cj advertiser-lookup: CJ error: keywords too long"):
            await c.programs()


@pytest.mark.parametrize("name", ALL)
async def test_check_credential_for_rotation(env, fake, name):
    settings, admin, ingest = env
    kind = {"awin": "api_token", "cj": "api_token", "impact": "auth_token", "rakuten": "client_secret",
            "tune": "api_key", "everflow": "api_key"}[name]
    ref = CredentialRef(name, "default", kind)
    async with client(env, name) as c:
        assert await c.check_credential(ref, Secret(CREDS[name][kind])) is True
        assert await c.check_credential(ref, Secret("candidate-that-is-wrong")) is False
    assert admin.meta(ref).unhealthy_reason is None  # a bad candidate never condemns the active key


async def test_key_manager_rotation_uses_the_client_health_check(env, fake):
    settings, admin, _ = env
    from matrix.networks import health_checks

    checks = health_checks(settings, admin)
    assert sorted(checks) == ALL
    km = KeyManager.from_settings(settings, component="admin", health_checks=checks)
    ref = CredentialRef("everflow", "default", "api_key")
    with pytest.raises(CredentialError):
        km.rotate(ref, "not-the-right-key-123")
    assert km.get(ref).reveal() == CREDS["everflow"]["api_key"]
    fake.creds["everflow"]["api_key"] = "eflow-key-rotated-01"  # the provider issued a new key
    try:
        km.rotate(ref, "eflow-key-rotated-01")
        assert km.get(ref).reveal() == "eflow-key-rotated-01"
    finally:
        fake.creds["everflow"]["api_key"] = CREDS["everflow"]["api_key"]


@pytest.mark.parametrize("name", ALL)
async def test_performance_report_rows(env, fake, name):
    day = dt.date(2026, 11, 2)
    async with client(env, name) as c:
        rows = await c.performance(day, day)
    assert rows and all(isinstance(r, PerformanceRow) and r.network == name and r.date == day for r in rows)
    assert all(r.commission and r.commission > 0 for r in rows)
    by_program = {r.program_source_id for r in rows}
    assert len(by_program) == len(rows)  # one row per program per day
    # per network: (report calls, clicks known?, conversions per row). CJ's first answer is
    # payloadComplete=false, so a second call (sinceCommissionId) follows; transaction feeds have no clicks.
    calls, has_clicks, conversions = PERFORMANCE_SHAPE[name]
    assert calls is None or len(fake.requests("cjc", "query")) == calls
    assert all((r.clicks is not None and r.clicks > 0) == has_clicks for r in rows)
    assert conversions is None or all(r.conversions == conversions for r in rows)
    assert name != "cj" or all(r.currency == "USD" for r in rows)


@pytest.mark.parametrize("name,pid", [("awin", "1002"), ("cj", "2003"), ("impact", "3103"), ("rakuten", "4002"),
                                      ("tune", "5004"), ("everflow", "6001")])
async def test_one_program(env, fake, name, pid):
    async with client(env, name) as c:
        rec = await c.program(pid)
    flat = str(rec.raw)
    assert pid in flat


async def test_awin_details_enrich_listing_terms(env, fake):
    settings, _, ingest = env
    settings.networks.awin.fetch_details = True
    async with build_client("awin", settings, ingest) as c:
        listings = await c.listings()
        groups = await c.commission_groups("1001")
    assert len(fake.requests("awin", "programmedetails")) == 5
    first = listings[0]
    assert first.epc == pytest.approx(0.1)
    assert first.commission.percent_min == 2.0 and first.commission.percent_max == 3.0
    assert first.commission.flat_max == 5.0 and first.commission.currency == "GBP"
    assert "relationship:joined" in first.tags and first.geo_allowed == ["GB"]
    assert groups[0].percentage == 3.0


@pytest.mark.parametrize("name,count", [("rakuten", 5), ("everflow", 5), ("tune", 5)])
async def test_offers(env, fake, name, count):
    async with client(env, name) as c:
        assert len(await c.offers()) == count


async def test_offers_not_supported_on_awin(env):
    async with client(env, "awin") as c:
        with pytest.raises(NotSupported):
            await c.offers()


async def test_rakuten_token_is_cached_refreshed_before_expiry_and_after_early_expiry(env, fake):
    settings, admin, ingest = env
    now = [0.0]
    async with build_client("rakuten", settings, ingest, clock=lambda: now[0]) as c:
        await c.programs()
        assert c.token_exchanges == 1  # one token for all pages
        now[0] = 3600 - 30  # inside the refresh margin (60 s)
        await c.programs()
        assert c.token_exchanges == 2
        fake.tokens.clear()  # the server forgets every token (expired early)
        assert len(await c.programs()) == 5
        assert c.token_exchanges == 3
    assert admin.meta(CredentialRef("rakuten", "default", "client_secret")).unhealthy_reason is None


async def test_rakuten_relationship_comes_from_partnerships(env, fake):
    settings, _, ingest = env
    async with build_client("rakuten", settings, ingest) as c:
        listings = await c.listings(relationship="active")
    assert [lst.source_id for lst in listings] == ["4001", "4003", "4005"]
    assert all("relationship:joined" in lst.tags for lst in listings)


async def test_tune_unpaged_envelope(env, fake):
    fake.tune_unpaged = True
    async with client(env, "tune") as c:
        assert len(await c.programs()) == 5
    assert len(fake.requests("tune")) == 1


async def test_daily_quota_fails_fast_and_keeps_partial(env, fake):
    settings, _, ingest = env
    cfg = settings.networks.everflow
    transport = ApiTransport("everflow", cfg, limiter=Limiter(TokenBucket(1000, 100, 4), DailyQuota(2)))
    async with build_client("everflow", settings, ingest, transport=transport) as c:
        with pytest.raises(QuotaSpent, match="everflow offersrunnable: daily quota of 2") as err:
            await c.programs()
    assert len(err.value.partial) == 4
    assert len(fake.requests("everflow")) == 2


async def test_everflow_page_size_limit_is_a_config_error(env):
    from matrix.config import ConfigError

    settings, _, ingest = env
    settings.networks.everflow.page_size = 5000
    with pytest.raises(ConfigError, match="networks.everflow.page_size = 5000"):
        build_client("everflow", settings, ingest)


async def test_errors_never_echo_a_secret(env, fake):
    body = '{"request": {"api_key": "%s"}, "response": {"status": -1}}' % CREDS["tune"]["api_key"]
    fake.fail("tune", "Affiliate_Offer.findAll", Fault(500, body), times=10)
    async with client(env, "tune") as c:
        with pytest.raises(NetworkError) as err:
            await c.programs()
    assert "HTTP 500" in str(err.value) and CREDS["tune"]["api_key"] not in str(err.value) and "****" in str(err.value)
