"""Session 7, third wave: guards and one reading for ordinary pages, each on sentences written here (not quotes from any
corpus), several wordings per idea.

Families: a dollar figure worked out from the rate ("That's $80-$400 per referral", "... per month (8% of gross
receipts)") restates the percent and is no flat commission; an offer addressed to the reader ("Receive a $25 bonus per
room when you refer ...") pays a referral bonus as the reward; "monthly" naming a bonus, a target, a pass or a count
("capped to 500 points monthly") is no payout schedule; "Anti-Spam Compliance" bans spam; amounts listed in one shape
("$40 for Basic, $90 for Premium") are all commissions.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _fields(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- an amount worked out from the rate restates it -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "percent"), [
    ("Partners earn 30% of every subscription sold. That's $15-$90 per signup in the first month.", [30.0, 30.0]),
    ("You get 20% on each booking. That is $40 to $120 per referred trip.", [20.0, 20.0]),
    ("Earn $500 to $1,500 per month for the lifetime of every client you refer (10% of gross receipts).", [10.0, 10.0]),
    ("Make $2,500 per month for as long as every client you refer stays (10% commission of gross receipts).",
     [10.0, 10.0]),
    ("Earn $60 per closed customer (12% of the first invoice).", [12.0, 12.0]),
])
def test_amount_derived_from_rate_is_no_flat(text: str, percent: list[float]) -> None:
    f = _fields(text)
    assert f["model"] == "percent"
    assert f["percent"] == percent
    assert f["flat"] is None


def test_bracketed_note_without_a_rate_keeps_the_flat() -> None:
    f = _fields("Earn $60 per closed customer (paid after 30 days).")
    assert f["flat"] == [60.0, 60.0]


# --- an offer addressed to the reader -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "flat"), [
    ("Receive a $40 bonus per cabin booked when you refer a new guest to our agency.", [40.0, 40.0]),
    ("Get a $15 bonus per lesson package whenever you refer a new student.", [15.0, 15.0]),
    ("Earn a $75 bonus per apartment leased when you refer a friend to our building.", [75.0, 75.0]),
])
def test_imperative_referral_bonus_is_the_reward(text: str, flat: list[float]) -> None:
    f = _fields(text)
    assert f["model"] == "flat"
    assert f["flat"] == flat


@pytest.mark.parametrize("text", [
    "Get a $10 sign-up bonus when you refer your first friend.",
    "Earn a $50 bonus after your 10th referral this quarter.",
    "Receive a $30 bonus for every 5 friends you refer.",
])
def test_imperative_signup_or_milestone_bonus_stays_a_bonus(text: str) -> None:
    assert _fields(text)["flat"] is None


# --- "monthly" that is no payout schedule ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Tier | Monthly qualified leads | Monthly bonus | Gold | 500+ | $900. Payments are made by wire.",
    "There are no monthly targets and payouts are handled by our finance team.",
    "Referral rewards are paid as points, capped to 300 points monthly.",
    "The Monthly Pass earns you 20% commission, paid by PayPal.",
])
def test_monthly_that_names_no_payout_date(text: str) -> None:
    assert _fields(text)["frequency"] is None


@pytest.mark.parametrize("text", [
    "Commissions are paid monthly via PayPal.",
    "We pay out monthly once your balance passes $50.",
    "Payments are sent monthly, 30 days after the end of the month.",
])
def test_monthly_payout_schedule_still_read(text: str) -> None:
    assert _fields(text)["frequency"] == "monthly"


# --- a rule named against spam ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "3. Anti-Spam Compliance | Partners must keep a record of every subscriber's consent.",
    "Affiliates sending newsletters must follow our anti-spam policy and local privacy law.",
    "Email promotion must respect antispam standards in every country you mail to.",
])
def test_anti_spam_rule_bans_spam(text: str) -> None:
    assert "no-spam" in (_fields(text)["restrictions"] or [])


def test_anti_spam_filter_is_no_rule() -> None:
    assert _fields("Check that our emails did not land behind your anti-spam filter.")["restrictions"] is None


# --- amounts listed in one shape ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "flat"), [
    ("Partners earn $40 for Basic, $90 for Premium and 8% commission for custom deals.", [40.0, 90.0]),
    ("You get $3 for each trial sign-up, $25 when the trial converts to a paid plan.", [3.0, 25.0]),
    ("Earn $15 per booked demo, $60 per signed contract.", [15.0, 60.0]),
])
def test_parallel_list_items_are_commissions(text: str, flat: list[float]) -> None:
    assert _fields(text)["flat"] == flat


def test_list_item_of_another_shape_is_no_commission() -> None:
    f = _fields("Earn $30 per sale, $100 minimum payout by PayPal.")
    assert f["flat"] == [30.0, 30.0]
    assert f["payout_minimum"] == 100.0
