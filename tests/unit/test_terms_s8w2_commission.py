"""Session 8 (second wave) commission rules, each on sentences written here (not quotes from any corpus).

Families: a refer-a-friend reward that names no commission (a bank, telecom, energy or fintech "refer a friend" page)
is the referrer's flat reward when a receive verb, a reward noun or a "for you / for each referral" phrase ties it to
the referrer, in several languages -- never the friend's discount, a spend, deposit or transfer the friend must make,
a cap, a milestone or volume bonus, or an override on sub-affiliates; a referral named as the unit of such a reward
makes it CPA; a sum of two rates ("totaling 40%"), a refund to the customer and a discount written in another language
are no rate.
"""

from __future__ import annotations

import pytest

from matrix.normalize import terms as _t
from matrix.normalize import terms_referral
from matrix.normalize.terms import extract_terms


def _fields(text: str) -> dict:
    return extract_terms(text).as_dict()


def _commission(text: str) -> tuple:
    got = _fields(text)
    return got["model"], got["flat"], got["currency"], got["payout_type"]


# --- a refer-a-friend reward with no commission word is the referrer's flat reward -------------------------------

@pytest.mark.parametrize("text, flat, currency", [
    ("Invite a neighbour to switch supplier and you'll both receive £40 once their first bill is paid.", [40.0, 40.0],
     "GBP"),
    ("The referral scheme pays £30 for the referrer and £30 for the new member, added to each account.", [30.0, 30.0],
     "GBP"),
    ("Referrers are eligible for a CHF 20 credit when the person they invited opens a current account.", [20.0, 20.0],
     "CHF"),
    ("Refer colleagues to our app: we will reward you with a $15 bonus paid into your wallet.", [15.0, 15.0], "USD"),
    ("Tell your friends about our bank. Reward: currently EUR 35 once the invited friend makes a first card payment.",
     [35.0, 35.0], "EUR"),
])
def test_referrer_reward_without_commission_word(text: str, flat: list, currency: str) -> None:
    model, got_flat, got_currency, _ = _commission(text)
    assert (model, got_flat, got_currency) == ("flat", flat, currency)


def test_reward_range_and_up_to_in_another_language() -> None:
    got = _fields("If you make a referral, the card pays a statement credit of $40 to $80 to your account.")
    assert (got["flat"], got["payout_type"]) == ([40.0, 80.0], "cpa")
    got = _fields("Recomienda a un amigo: la bonificación será de hasta $500 MXN por persona referida.")
    assert (got["model"], got["flat"], got["currency"], got["payout_type"]) == ("flat", [None, 500.0], "MXN", "cpa")


@pytest.mark.parametrize("text, flat, currency", [
    ("Anbefal oss til en venn: vi gir både deg og vennen din 200 NOK i rabattkreditt.", [200.0, 200.0], "NOK"),
    ("Empfehlen Sie uns weiter: für jeden geworbenen Freund erhalten Sie 30 € Guthaben.", [30.0, 30.0], "EUR"),
])
def test_referrer_reward_in_another_language(text: str, flat: list, currency: str) -> None:
    got = _fields(text)
    assert (got["model"], got["flat"], got["currency"]) == ("flat", flat, currency)


def test_reward_for_each_qualified_referral_is_cpa() -> None:
    got = _fields("Eligible referrers will each receive US$15 worth of ether for each Qualified Referral.")
    assert (got["model"], got["flat"], got["currency"], got["payout_type"]) == ("flat", [15.0, 15.0], "USD", "cpa")


# --- ... never the friend's discount, a spend or deposit, a cap, a milestone or an override ------------------------

@pytest.mark.parametrize("text", [
    "Invite your friends: your friends receive £10 off their first order with your code.",
    "Refer a friend who deposits at least $100 within 30 days of opening the account.",
    "Any referrer with referred sales of at least $2,000 in a month will receive a bonus of $150.",
    "Refer partners to us: you can also earn $40 per customer your sub-affiliates refer.",
])
def test_not_the_referrers_reward(text: str) -> None:
    got = _fields(text)
    assert (got["model"], got["flat"], got["currency"]) == (None, None, None)


def _reward_rule_alone(text: str) -> dict:
    """Only the refer-a-friend rule on a fresh reading (what the other rules would read is left out)."""
    terms = _t.Terms(text=text)
    t = text.translate(_t._SAME_LENGTH)
    clauses, nums = _t._clauses(t), _t._numbers(t)
    terms_referral.fill_reward(t, clauses, nums, _t._example_clauses(t, clauses, nums), terms)
    return terms.as_dict()


def test_the_rule_needs_a_referral_text() -> None:
    # the same receive wording pays a reward only on a page about referring someone
    assert _reward_rule_alone("Join the club and you will both receive £25 once it opens.")["flat"] is None
    assert _reward_rule_alone("Invite a friend and you will both receive £25 once it opens.")["flat"] == [25.0, 25.0]


def test_rule_guards_alone() -> None:
    for text in ("Referral rewards are limited to a maximum of £300 per calendar year for each referrer.",
                 "Refer friends: you will receive a bonus after the 5th referral, the milestone pays £75.",
                 "Refer a friend and they get £20 off; you will receive nothing until they spend £50 or more.",
                 "Most members who invite friends receive an average of £60 per referral.",
                 "Invite three friends who each buy a $300 bike and you get $45 in total."):
        assert _reward_rule_alone(text)["flat"] is None, text


def test_referral_unit_types_a_reward_other_rules_found() -> None:
    got = _fields("Beloning voor een succesvolle aanbeveling van een rekening: 30,00 EUR.")
    assert (got["model"], got["flat"], got["currency"], got["payout_type"]) == ("flat", [30.0, 30.0], "EUR", "cpa")


# --- a sum of rates, a refund and a foreign discount are no rate ---------------------------------------------------

def test_total_of_two_rates_is_not_a_rate() -> None:
    got = _fields("You earn 15% commission on the fees of the buyer and of the seller, totaling 30% of the trade fees.")
    assert (got["model"], got["percent"]) == ("percent", [15.0, 15.0])


def test_refund_to_the_customer_is_not_a_rate() -> None:
    got = _fields("Affiliate fees are paid monthly by PayPal. A customer who cancels within 30 days shall be refunded "
                  "100% of their payment and the affiliate fee is void.")
    assert (got["model"], got["percent"]) == (None, None)


@pytest.mark.parametrize("text", [
    'commissionRate: "5% - 9%", seoTitle: "عروض المتجر | خصم حتى 60% على الأحذية"',
    'commissionRate: "5% - 9%", seoTitle: "Angebote | Rabatt von 60% auf Schuhe"',
])
def test_discount_in_another_language_is_not_a_rate(text: str) -> None:
    got = _fields(text)
    assert got["percent"] == [5.0, 9.0]


# --- a share paid on a deeper level of the referral network is an override, not the rate --------------------------

@pytest.mark.parametrize("text, percent", [
    ("Partners earn 12-15% commission from the first level and 3-5% from the second level of referred traders.",
     [12.0, 15.0]),
    ("Level 1: you earn 40% commission of the exchange fee each time your own referrals trade. Level 2: you earn 8% "
     "commission of the fee when people who your referrals invite trade.", [40.0, 40.0]),
    ("Each direct referral earns you 25% commission on their fees. Once they invite others, those become your "
     "second-tier referrals and you earn 5% commission on their fees.", [25.0, 25.0]),
])
def test_deeper_level_share_is_not_the_rate(text: str, percent: list) -> None:
    got = _fields(text)
    assert (got["model"], got["percent"]) == ("percent", percent)
    assert all(rate >= percent[0] for rate in got["tiers"] or [])     # the deeper level's rate is no rung either
