"""Session 8, third pass on the terms extractor (payout type and model of refer-a-friend and share wording).

Sentences are written here for these tests; none is copied from a labelled round.
"""

import pytest

from matrix.normalize.terms import extract_terms


def _type(text: str):
    return extract_terms(text).as_dict()["payout_type"]


# --- a referral condition that chains a sign-up with a further act: the further act is the unit --------------------
# A reward that is only paid once the referred person both registers and does something more is earned by that
# second act, not by the registration. A first transfer or payment is "anything else" of the convention (CPA); an
# order or purchase makes it a sale (CPS). A condition that stops at the registration still pays per lead (CPL).

@pytest.mark.parametrize("text, expected", [
    ("When someone registers an account with your code and makes a first payment of $20, you'll both earn $10 cash.",
     "cpa"),
    ("When someone registers and completes a purchase, you'll both earn $10.", "cps"),
    ("When a friend registers with your code and places an order, you'll both earn £5.", "cps"),
])
def test_reward_waiting_for_an_act_after_the_sign_up_is_typed_by_that_act(text, expected):
    assert extract_terms(text).as_dict()["model"] == "flat"
    assert _type(text) == expected


@pytest.mark.parametrize("text", [
    "If someone registers via your link, you'll both get $4.",
    "If a visitor registers through your banner, you earn $2.",
    "When your referral completes a registration, you earn $3.",
])
def test_a_plain_sign_up_condition_stays_a_lead(text):
    assert _type(text) == "cpl"


# --- an earning verb owns "equivalent to N%" -------------------------------------------------------------------------
# "Equivalent to 10%" usually restates a flat rate as a percent, so it is no rate of its own. When the words right
# before it say that the affiliate earns, receives or gets an amount equivalent to the percent, the percent is the
# affiliate's own rate on the sale. A flat rate restated as a percent keeps its flat model.

@pytest.mark.parametrize("text, rate", [
    ("Every time a shopper orders through your link you will earn a reward equivalent to 12% of the basket value.", 12.0),
    ("Partners receive an amount equal to 7% of each sale they refer.", 7.0),
    ("You get a payout corresponding to 15% of the order total.", 15.0),
])
def test_an_earned_amount_equivalent_to_a_percent_is_the_commission_rate(text, rate):
    out = extract_terms(text).as_dict()
    assert out["model"] == "percent"
    assert out["percent"] == [rate, rate]
    assert out["payout_type"] == "cps"


@pytest.mark.parametrize("text", [
    "We pay $0.02 per word written, equivalent to an average commission of 9%.",
    "A flat $30 per booking, which corresponds to roughly 6% on a typical stay.",
])
def test_a_flat_rate_restated_as_a_percent_is_still_no_percent_commission(text):
    out = extract_terms(text).as_dict()
    assert out["percent"] is None
    assert out["model"] == "flat"
