"""Table-driven tests of the normalizers: real-looking strings in, typed terms out, nonsense -> unknown."""

from __future__ import annotations

import pytest

from matrix.models import CommissionModel as M
from matrix.models import PayoutType as P
from matrix.normalize.category import TAXONOMY, map_categories, map_category, parent_of
from matrix.normalize.commission import parse_commission, parse_duration_months, parse_money, parse_payout_type
from matrix.normalize.cookie import parse_cookie, parse_cookie_days
from matrix.normalize.geo import all_countries, parse_geo, to_alpha2
from matrix.normalize.listing import normalize_listing, parse_approval, parse_epc
from matrix.normalize.payout import parse_frequency, parse_methods, parse_payout, parse_threshold
from matrix.normalize.text import extract_traffic, html_to_text

# text, model, pct_min, pct_max, flat_min, flat_max, currency, payout_type, recurring
COMMISSIONS = [
    ("20%", M.PERCENT, 20, 20, None, None, None, P.CPS, None),
    ("up to 30%", M.PERCENT, None, 30, None, None, None, P.CPS, None),
    ("8.00%", M.PERCENT, 8, 8, None, None, None, P.CPS, None),
    ("25-35%", M.PERCENT, 25, 35, None, None, None, P.CPS, None),
    ("$5–$50", M.FLAT, None, None, 5, 50, "USD", P.UNKNOWN, None),
    ("$5-50 per lead", M.FLAT, None, None, 5, 50, "USD", P.CPL, None),
    ("$75 or 20%", M.HYBRID, 20, 20, 75, 75, "USD", P.CPS, None),  # a percent commission is CPS by convention
    ("€10 per lead", M.FLAT, None, None, 10, 10, "EUR", P.CPL, None),
    ("50€ per sale", M.FLAT, None, None, 50, 50, "EUR", P.CPS, None),
    ("£1,250.50", M.FLAT, None, None, 1250.5, 1250.5, "GBP", P.UNKNOWN, None),
    ("25 USD CPA", M.FLAT, None, None, 25, 25, "USD", P.CPA, None),
    ("USD 40 per sale", M.FLAT, None, None, 40, 40, "USD", P.CPS, None),
    ("A$30 per signup", M.FLAT, None, None, 30, 30, "AUD", P.CPL, None),
    ("15 TRY", M.FLAT, None, None, 15, 15, "TRY", P.UNKNOWN, None),
    ("₹500 per install", M.FLAT, None, None, 500, 500, "INR", P.CPI, None),
    ("$1.50 per click", M.FLAT, None, None, 1.5, 1.5, "USD", P.CPC, None),
    ("$2 CPI", M.FLAT, None, None, 2, 2, "USD", P.CPI, None),
    ("Earn up to $100 per sale", M.FLAT, None, None, None, 100, "USD", P.CPS, None),
    ("30% recurring for 12 months", M.PERCENT, 30, 30, None, None, None, P.REVSHARE, True),
    ("40% lifetime revenue share", M.PERCENT, 40, 40, None, None, None, P.REVSHARE, True),
    ("one-time 15% commission", M.PERCENT, 15, 15, None, None, None, P.CPS, False),
    ("CPA: $25 + 10% RevShare", M.HYBRID, 10, 10, 25, 25, "USD", P.REVSHARE, True),
    ("$3.00 CPM", M.FLAT, None, None, 3, 3, "USD", P.CPM, None),
    ("$150 per FTD", M.FLAT, None, None, 150, 150, "USD", P.CPA, None),
    # nonsense and non-answers stay unknown: never a guessed 0
    ("varies", M.UNKNOWN, None, None, None, None, None, P.UNKNOWN, None),
    ("Call for details", M.UNKNOWN, None, None, None, None, None, P.UNKNOWN, None),
    ("N/A", M.UNKNOWN, None, None, None, None, None, P.UNKNOWN, None),
    ("lorem ipsum 42", M.UNKNOWN, None, None, None, None, None, P.UNKNOWN, None),
    ("100 all", M.UNKNOWN, None, None, None, None, None, P.UNKNOWN, None),
    ("150.00", M.UNKNOWN, None, None, None, None, None, P.UNKNOWN, None),
    ("250%", M.UNKNOWN, None, None, None, None, None, P.UNKNOWN, None),
    ("", M.UNKNOWN, None, None, None, None, None, P.UNKNOWN, None),
]


@pytest.mark.parametrize("text,model,pmin,pmax,fmin,fmax,cur,ptype,rec", COMMISSIONS)
def test_commission_table(text, model, pmin, pmax, fmin, fmax, cur, ptype, rec):
    c = parse_commission(text)
    assert (c.model, c.percent_min, c.percent_max, c.flat_min, c.flat_max, c.currency, c.payout_type, c.recurring) == (
        model, pmin, pmax, fmin, fmax, cur, ptype, rec)
    assert c.raw == text  # raw kept beside the parsed value


def test_commission_hints_and_durations():
    c = parse_commission("150.00", currency_hint="usd")
    assert (c.model, c.flat_max, c.currency) == (M.FLAT, 150.0, "USD")
    assert parse_commission(None).model is M.UNKNOWN
    assert parse_commission("20%", kind_hint="recurring").recurring is True
    assert parse_commission("20%", kind_hint="one-time").recurring is False
    assert parse_duration_months("for 2 years") == (False, 24)
    assert parse_duration_months("lifetime") == (True, None)
    assert parse_duration_months("first year") == (False, 12)
    assert parse_duration_months("soon") == (None, None)
    assert parse_payout_type("pay per lead") is P.CPL
    assert parse_payout_type("banana") is P.UNKNOWN
    assert parse_money("1,000 euros") == ([1000.0], "EUR")
    assert parse_money("0.5 BTC") == ([], None)


COOKIES = [
    ("90 days", 90.0), ("1 year", 365.0), ("30-day", 30.0), ("session", 0.0), ("Session cookie", 0.0),
    ("24 hours", 1.0), ("60", 60.0), ("a month", 30.0), ("two weeks", 14.0), ("45d", 45.0), ("120 Days", 120.0),
    ("N/A", None), ("lifetime", None), ("blah", None), ("99999", None), ("Tuna day", None), ("", None), (None, None),
    (30, 30.0), (0, None), (True, None),
]


@pytest.mark.parametrize("text,days", COOKIES)
def test_cookie_table(text, days):
    assert parse_cookie_days(text) == days


def test_lifetime_cookie_is_flagged_not_numbered():
    t = parse_cookie("Lifetime cookie")
    assert t.lifetime is True and t.days is None


GEOS = [
    ("US, CA, UK", ["US", "CA", "GB"], [], None),
    ("United States, Canada & Australia", ["US", "CA", "AU"], [], None),
    ("UAE", ["AE"], [], None),
    ("USA only", ["US"], [], None),
    ("NO, SE, DK", ["NO", "SE", "DK"], [], None),
    ("Germany / Austria / Switzerland", ["DE", "AT", "CH"], [], None),
    ("Korea", ["KR"], [], None),
    ("England, Scotland", ["GB"], [], None),
    ("DACH", ["DE", "AT", "CH"], [], None),
    ("USA, GBR, FRA", ["US", "GB", "FR"], [], None),
    ("US CA -RU", ["US", "CA"], ["RU"], None),
    ("Worldwide except Russia, Ukraine", [], ["RU", "UA"], True),
    ("All except RU", [], ["RU"], True),
    ("Global", [], [], True),
    ("Tier 1", [], [], None),
    ("Europe", [], [], None),
    ("foo bar", [], [], None),
    ("in the us", [], [], None),
    ("No incent allowed", [], [], None),
    ("", [], [], None),
]


@pytest.mark.parametrize("text,allowed,excluded,ww", GEOS)
def test_geo_table(text, allowed, excluded, ww):
    g = parse_geo(text)
    assert (g.allowed, g.excluded, g.worldwide) == (allowed, excluded, ww)


def test_geo_worldwide_expands_and_helpers():
    g = parse_geo("Worldwide excluding CN")
    exp = g.allowed_expanded()
    assert "CN" not in exp and "US" in exp and len(exp) == len(all_countries()) - 1
    assert len(parse_geo("EU").allowed) == 27
    assert parse_geo(["US", "Canada"]).allowed == ["US", "CA"]
    assert parse_geo(None).raw is None
    assert to_alpha2("Great Britain") == "GB" and to_alpha2("US, CA") is None and to_alpha2("") is None


def test_payout_terms():
    p = parse_payout(threshold="$50 minimum", methods="PayPal, Bank Wire, Check", frequency="Net 30")
    assert (p.minimum, p.currency, p.frequency, p.methods) == (50.0, "USD", "net-30", ["paypal", "wire", "check"])
    assert p.raw and "Net 30" in p.raw
    p = parse_payout(text="Payments are sent bi-weekly via Payoneer or ACH. Minimum payout of $100.")
    assert (p.minimum, p.frequency, p.methods) == (100.0, "biweekly", ["payoneer", "ach"])
    assert parse_payout(threshold="100", currency_hint="eur").currency == "EUR"
    empty = parse_payout(text="whenever we feel like it")
    assert (empty.minimum, empty.frequency, empty.methods) == (None, None, [])
    assert parse_methods(["paypal", "bank", "wire"]) == ["paypal", "bank", "wire"]
    assert parse_methods("SEPA bank transfer, BTC, Amazon gift card") == ["bank", "crypto", "gift_card"]
    assert parse_frequency("twice a month") == "semimonthly" and parse_frequency("weekly") == "weekly"
    assert parse_frequency("NET-15") == "net-15" and parse_frequency("soon") is None
    assert parse_threshold("€25") == (25.0, "EUR") and parse_threshold("none") == (None, None)


CATEGORIES = [
    ("Health & Fitness", "fitness"), ("Nutra", "nutra"), ("E-business & E-marketing", "marketing-tools"),
    ("Developer Tools", "developer-tools"), ("Web Hosting", "web-hosting"), ("Betting Systems", "gambling"),
    ("Cooking, Food & Wine", "food-drink"), ("HR & Recruiting", "hr-recruiting"), ("VPN", "security-privacy"),
    ("Business / Investing", "investing-trading"), ("Spirituality, New Age & Alternative Beliefs", "self-help"),
    ("Sweepstakes", "sweepstakes"), ("Dating", "dating"), ("Loans", "loans-credit"), ("SaaS", "software"),
    ("AI", "ai"), ("travel", "travel"), ("Foo", None), ("", None), (None, None), ("crypto", "crypto"),
]


@pytest.mark.parametrize("text,slug", CATEGORIES)
def test_category_table(text, slug):
    assert map_category(text) == slug
    assert not slug or slug in TAXONOMY


def test_category_helpers():
    assert map_categories(["Loans", "Finance", "Loans", "???"]) == ["loans-credit", "finance"]
    assert parent_of("nutra") == "lifestyle" and parent_of(None) is None


def test_html_to_text_and_traffic():
    assert html_to_text('<div><p>Hello&nbsp;<b>world</b></p><script>x()</script><ul><li>a</li><li>b &amp; c</li></ul></div>') == "Hello world\n\na\n\nb & c"
    assert html_to_text("plain  text") == "plain text"
    assert html_to_text("<p> </p>") is None and html_to_text(None) is None
    t = extract_traffic("No incent. No brand bidding!")
    assert t.forbidden == ["incent", "brand-bidding"] and t.restrictions() == ["no-incent", "no-brand-bidding"]
    t = extract_traffic("Allowed traffic: Email, Social, Display. Restricted: Incent, Adult, Pop")
    assert (t.allowed, t.forbidden) == (["email", "social", "display"], ["incent", "adult", "pop"])
    assert t.tags() == ["traffic:email", "traffic:social", "traffic:display"]
    t = extract_traffic("Incentivized traffic is not allowed; email traffic allowed")
    assert (t.allowed, t.forbidden) == (["email"], ["incent"])
    assert extract_traffic("Do not bid on trademark keywords").forbidden == ["brand-bidding"]
    assert extract_traffic("Great program for bloggers").forbidden == []
    assert extract_traffic(None).allowed == []


def test_normalize_listing_keeps_raw_and_unknowns():
    raw = {"commission": "varies", "cookie": "ask us"}
    lst = normalize_listing(source="s", source_id="1", name="  Acme   Co ", raw=raw, commission="varies", cookie="ask us",
                            geo="Mars", categories=["???"], description="<p>Fine. No incent.</p>", merchant_url="N/A",
                            approval="Instant approval", epc="$0.45")
    assert lst.name == "Acme Co" and lst.raw == raw
    assert lst.commission.model is M.UNKNOWN and lst.cookie_days is None and lst.geo_allowed == []
    assert lst.category is None and lst.merchant_domain is None and lst.restrictions == ["no-incent"]
    assert lst.approval.value == "auto" and lst.epc == 0.45
    assert parse_approval("Invite only").value == "invite" and parse_approval("needs manual review").value == "manual"
    assert parse_approval("???").value == "unknown" and parse_epc("0.3") == 0.3 and parse_epc("n/a") is None
    life = normalize_listing(source="s", source_id="2", name="x", raw={}, cookie="lifetime")
    assert "cookie:lifetime" in life.tags
