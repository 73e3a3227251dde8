"""Pure parts of matrix.networks: record -> Listing mappers, helpers, config, rate-limit headers."""

from __future__ import annotations

import datetime as dt

import pytest

from matrix.config import ConfigError, load_settings
from matrix.models import Approval, CommissionModel, PayoutType
from matrix.networks import build_client, client_class
from matrix.networks.awin import AwinClient, commission_text
from matrix.networks.base import aggregate_performance, as_bool, as_float, date_windows
from matrix.networks.cj import CjClient, xml_to_obj
from matrix.networks.errors import MalformedResponse
from matrix.networks.everflow import EverflowClient, html_text
from matrix.networks.impact import ImpactClient, region_codes
from matrix.networks.rakuten import RakutenClient
from matrix.networks.tune import TuneClient, tune_commission
from matrix.ratelimit import parse_rate_limit_reset
from tests.support.network_fakes import programs


def test_cj_commission_mixes_percent_and_currency_and_epc_na_is_unknown():
    raws = programs("cj", 2)
    first, second = CjClient.to_listing(raws[0]), CjClient.to_listing(raws[1])
    assert first.epc is None  # "N/A" is unknown, never 0
    assert second.epc == pytest.approx(0.8)
    c = second.commission
    assert c.model is CommissionModel.HYBRID and c.percent_max == 4.0 and c.flat_max == 10.0 and c.currency == "USD"
    assert second.categories == ["Shopping", "Apparel"] and "relationship:joined" in second.tags


def test_cj_single_action_and_xml_shapes():
    import xml.etree.ElementTree as ET

    adv = xml_to_obj(ET.fromstring(
        "<advertiser><advertiser-id>9</advertiser-id><advertiser-name>Solo</advertiser-name>"
        "<actions><action><type>sale</type><commission><default type='item-level'>5.00%</default></commission></action></actions>"
        "</advertiser>"))
    lst = CjClient.to_listing(adv)
    assert lst.commission.model is CommissionModel.PERCENT and lst.commission.percent_max == 5.0
    assert lst.merchant_domain is None and lst.epc is None


def test_impact_strings_booleans_and_regions():
    raw = programs("impact", 1)[0]
    lst = ImpactClient.to_listing(raw)
    assert lst.source_id == "3101" and lst.geo_allowed == ["US"]  # "Europe" is not a country: dropped
    assert "deeplinking:true" in lst.tags and "relationship:joined" in lst.tags
    assert lst.aliases == ["Impact Brand 1"]
    assert region_codes(["UK", "DE", "Worldwide", "uk"]) == ["GB", "DE"]
    raw["AllowsDeeplinking"] = "maybe"
    assert not any(t.startswith("deeplinking") for t in ImpactClient.to_listing(raw).tags)


def test_tune_payout_types():
    flat, both = programs("tune", 2)
    c = tune_commission(flat)
    assert c.model is CommissionModel.FLAT and c.flat_max == 2.0 and c.currency == "USD" and c.payout_type is PayoutType.CPA
    c = tune_commission(both)
    assert c.model is CommissionModel.HYBRID and c.percent_max == 2.0 and c.flat_max == 4.0 and c.currency is None
    pct = tune_commission({"payout_type": "cpa_percentage", "percent_payout": "12.5", "default_payout": "0"})
    assert pct.model is CommissionModel.PERCENT and pct.flat_max is None and pct.payout_type is PayoutType.CPS
    assert tune_commission({"payout_type": "weird"}).model is CommissionModel.UNKNOWN
    assert TuneClient.to_listing(flat).approval is Approval.MANUAL
    assert TuneClient.to_listing(both).approval is Approval.AUTO


def test_tune_unwrap_both_envelopes():
    keyed = {"7": {"Offer": {"id": "7", "name": "x"}}}
    assert TuneClient._unwrap(keyed, "Offer") == ([{"id": "7", "name": "x"}], None)
    assert TuneClient._unwrap({"page": 1, "pageCount": 3, "data": keyed}, "Offer") == ([{"id": "7", "name": "x"}], 3)
    with pytest.raises(ValueError):
        TuneClient._unwrap("", "Offer")


def test_everflow_offer_mapping():
    lst = EverflowClient.to_listing(programs("everflow", 2)[1])
    assert lst.source_id == "6002" and lst.description == "Offer 2"
    assert lst.commission.model is CommissionModel.FLAT and lst.commission.flat_max == 6.0 and lst.commission.currency == "USD"
    assert lst.approval is Approval.MANUAL and "relationship:approved" in lst.tags
    assert html_text("<p>&amp; </p>") == "&" and html_text("<br/>") is None


def test_awin_commission_text_and_listing_without_details():
    assert commission_text([{"min": 2, "max": 5, "type": "percentage"}, {"min": 3, "max": 3, "type": "fix"}], "EUR") == "2% - 5% or 3 EUR"
    assert commission_text([{"min": None, "max": None, "type": "fix"}], "EUR") is None
    lst = AwinClient.to_listing(programs("awin", 1)[0])
    assert lst.commission.model is CommissionModel.UNKNOWN and lst.epc is None  # no details fetched: unknown
    assert lst.merchant_domain == "awin-shop1.com" and lst.geo_allowed == ["GB"]


def test_rakuten_listing():
    raw = programs("rakuten", 1)[0] | {"_partnership": {"status": "active"}}
    lst = RakutenClient.to_listing(raw)
    assert lst.source_id == "4001" and lst.categories == ["Home"] and "relationship:joined" in lst.tags


def test_helpers():
    assert [as_bool(v) for v in ("true", "False", 1, "x", None)] == [True, False, True, None, None]
    assert [as_float(v) for v in ("1,234.5", "N/A", "", None, True, 3)] == [1234.5, None, None, None, None, 3.0]
    w = date_windows(dt.date(2026, 1, 1), dt.date(2026, 3, 5), 31)
    assert w[0] == (dt.date(2026, 1, 1), dt.date(2026, 1, 31)) and w[-1][1] == dt.date(2026, 3, 5) and len(w) == 3
    with pytest.raises(ValueError):
        date_windows(dt.date(2026, 1, 2), dt.date(2026, 1, 1), 31)
    d = dt.date(2026, 1, 1)
    rows = aggregate_performance("x", "acct", [
        {"date": d, "program_source_id": 1, "conversions": 1.0, "commission": 2.0, "revenue": None, "currency": "USD"},
        {"date": d, "program_source_id": "1", "conversions": 1.0, "commission": 3.0, "revenue": None, "currency": "USD"},
        {"date": d, "program_source_id": "2", "clicks": 5.0, "currency": None}])
    assert [(r.program_source_id, r.conversions, r.commission, r.revenue, r.clicks) for r in rows] == [
        ("1", 2.0, 5.0, None, None), ("2", None, None, None, 5)]


def test_record_validation_errors_name_network_endpoint_and_record():
    from matrix.networks.base import parse_records
    from matrix.networks.everflow import EverflowOffer

    with pytest.raises(MalformedResponse, match=r"everflow offersrunnable: .*name.*\(record 1\)") as err:
        parse_records(EverflowOffer, [{"network_offer_id": 1, "name": "ok"}, {"network_offer_id": 2}], "everflow", "offersrunnable")
    assert len(err.value.partial) == 1
    with pytest.raises(MalformedResponse, match="expected an object per record"):
        parse_records(EverflowOffer, ["nope"], "everflow", "offersrunnable")


def test_rate_limit_reset_header_forms():
    assert parse_rate_limit_reset("30") == 30.0
    assert parse_rate_limit_reset("1700000030", now=1700000000.0) == pytest.approx(30.0)
    assert parse_rate_limit_reset("1600000000", now=1700000000.0) == 0.0
    assert parse_rate_limit_reset(None) is None and parse_rate_limit_reset("soon") is None


def test_network_config_defaults_merge_and_validation(tmp_path):
    s = load_settings(environ={"MATRIX_HOME": str(tmp_path), "MATRIX_NETWORKS__CJ__ENABLED": "true",
                               "MATRIX_NETWORKS__CJ__DAILY_QUOTA": "500"})
    assert s.networks.cj.enabled and s.networks.cj.daily_quota == 500
    assert s.networks.cj.base_url == "https://advertiser-lookup.api.cj.com"  # kept despite the partial override
    assert s.networks.awin.requests_per_second == pytest.approx(20 / 60, rel=1e-3)
    assert s.networks.everflow.page_size == 500
    with pytest.raises(ConfigError, match=r"networks.impact.requests_per_second = 0"):
        load_settings(environ={"MATRIX_HOME": str(tmp_path), "MATRIX_NETWORKS__IMPACT__REQUESTS_PER_SECOND": "0"})
    with pytest.raises(ConfigError, match="no network named 'shopify'"):
        s.networks.get("shopify")
    with pytest.raises(ConfigError, match="network 'shopify' is not known"):
        client_class("shopify")


def test_client_config_errors(tmp_path):
    s = load_settings(environ={"MATRIX_HOME": str(tmp_path)})
    with pytest.raises(ConfigError, match="networks.tune.base_url = None"):
        build_client("tune", s, provider=None)
    s.networks.cj.page_size = 250
    with pytest.raises(ConfigError, match="records-per-page <= 100"):
        build_client("cj", s, provider=None)
