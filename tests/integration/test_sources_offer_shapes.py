"""OfferVault's JSON path on real record shapes (tests/support/sites/offervault_real): countries as
objects, `type` for the payout type, payout strings without currency, `landing_page_url`, nested
payout objects, malformed records that must not take the page down, the network's payout terms,
and shared landers / trackers / app stores never taken as the merchant domain."""

from __future__ import annotations

import logging

from matrix.models import CommissionModel, PayoutType
from tests.integration.test_sources_sites import by_id, make_source
from tests.support.site_server import Site, SiteServer


def test_real_shape_offers_parse_each_record_in_isolation(matrix_home, caplog):
    with SiteServer([Site("offervault_real")]) as srv, caplog.at_level(logging.WARNING):
        src = make_source(matrix_home, "ov", "offervault", srv.url("offervault_real"), options={"mode": "api", "per_page": 10})
        got = by_id(src.listings())
    # 12 records on two pages: 3 malformed (a string, one without id, a list payout is readable but empty)
    assert set(got) == {"70112", "70113", "70114", "70115", "70116", "70118", "70119", "70120", "80001", "80002"}
    assert src.report.failures == {"unusable_record": 2}
    details = " ".join(f["detail"] for f in src.report.failed)
    assert "record #5" in details and "record #6" in details and "no id" in details
    assert any("malformed offer record skipped" in r.getMessage() for r in caplog.records)

    keto = got["70112"]  # "150.00", no currency, type, countries as objects, landing_page_url
    c = keto.commission
    assert (c.model, c.flat_max, c.currency, c.payout_type) == (CommissionModel.FLAT, 150.0, None, PayoutType.CPA)
    assert keto.geo_allowed == ["US"] and keto.category == "nutra" and keto.merchant_domain == "ketoburnmax.com"
    # the network's own payout terms apply to its offers
    assert (keto.network, keto.payout.minimum, keto.payout.methods, keto.payout.frequency) == (
        "Clickbooth", 50.0, ["paypal", "wire", "check"], "weekly")
    assert got["70115"].payout.frequency == "net-15" and got["70115"].network == "CPAGrip"
    assert got["70115"].commission.flat_max == 1250.0 and got["70115"].commission.currency == "EUR"
    # a stray O1 does not switch off IN, IT, NO; in an object list it is skipped
    assert got["70115"].geo_allowed == ["IN", "IT", "NO"] and got["70114"].geo_allowed == ["DE", "AT"]
    assert got["70114"].commission.model is CommissionModel.UNKNOWN  # "0.00" is not a $0 commission
    assert got["70114"].commission.payout_type is PayoutType.REVSHARE
    app = got["70116"]  # nested payout object, countries allow/deny, network object, app store link
    assert (app.commission.flat_max, app.commission.currency, app.geo_allowed, app.network) == (3.1, "GBP", ["GB", "IE"], "Mobidea")
    assert app.merchant_domain is None and app.category == "mobile-apps"
    # one lander host carries six unrelated offers: never their merchant domain
    for sid in ("70113", "70114", "70115", "70118", "70119", "70120"):
        assert got[sid].merchant_domain is None and "shared_lander" in got[sid].tags, sid
    assert got["80001"].merchant_domain == "vpnshield.com"  # the tracker's destination parameter
    assert got["70119"].commission.payout_type is PayoutType.CPS and len(got["70119"].geo_allowed) > 200  # WW
    # unreadable values are counted, not dropped silently
    fields = src.report.fields["fields"]
    assert fields["commission"]["raw_unknown"] == 2 and fields["geo"]["raw_unknown"] == 1
