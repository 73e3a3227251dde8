"""Session 12: rules written on the development half of rounds 36-39 (table rows of program directories, CSV rows,
Markdown notes, prices beside a commission, restated amounts, one-time wording, attribution phrasings, "Bank (ACH)").

The sentences below are written for these tests (not copied from the corpus); each rule has its guards beside it.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import _numbers, extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- a directory row: name | rate cell | cookie-length cell ----------------------------------------------------------

@pytest.mark.parametrize("text, percent", [
    ("Acme Outdoor | 6% | 45-day | Ships worldwide", [6.0, 6.0]),                      # "45-day", hyphenated
    ("Acme Outdoor | 3% apparel / 6% gear | 7-day | Also on Awin", [3.0, 6.0]),        # alternatives by product
    ("Nordic Socks | 12% new / 2% returning | 30-day |", [2.0, 12.0]),                 # by customer type
    ("Glow Labs | 4% standard / up to 15% Creator | 24-hour | Selective", [4.0, 15.0]),
])
def test_a_rate_cell_before_a_window_cell_is_the_commission(text: str, percent: list[float]) -> None:
    d = _d(text)
    assert d["model"] == "percent" and d["percent"] == percent and d["payout_type"] == "cps"


@pytest.mark.parametrize("text", [
    "Glow Labs | 15% off your first order | 30-day | Code GLOW15",      # a customer discount
    "Glow Labs | 10% | Trustpilot 4.5 | 30-day",                         # the rate cell is not right before the window
])
def test_no_commission_from_a_row_that_does_not_say_one(text: str) -> None:
    assert _d(text)["percent"] is None


# --- CSV rows: a comma glued to a word separates cells, not digits ----------------------------------------------------

def test_a_csv_row_reads_its_rate_cell() -> None:
    d = _d("Brightdesk,Project management,35% commission,60 days,Yes")
    assert d["percent"] == [35.0, 35.0] and d["model"] == "percent"


def test_digit_groups_stay_one_number() -> None:
    assert [(n.kind, n.value) for n in _numbers("sold 1,250 units for $2,400.50")] == [("bare", 1250.0),
                                                                                      ("money", 2400.5)]


# --- Markdown: bold labels are fields, bold in a sentence is emphasis -------------------------------------------------

def test_markdown_labels_are_separate_fields() -> None:
    d = _d("**Commission:** 4-6% **Cookie Length:** 14 days **Payment Threshold:** $40 **Payment Schedule:** Monthly")
    assert d["percent"] == [4.0, 6.0] and d["tiers"] is None       # a threshold in the next field makes no tier table
    assert d["cookie_days"] == 14.0 and d["payout_minimum"] == 40.0 and d["frequency"] == "monthly"


def test_markdown_emphasis_inside_a_sentence_is_ignored() -> None:
    d = _d("Affiliates earn **20% of every payment** for the **lifetime of the account**.")
    assert d["recurring"] is True and d["lifetime"] is True and d["payout_type"] == "revshare"


def test_a_bold_amount_with_its_unit_is_still_the_commission() -> None:
    d = _d("#### Quillnote **Commission Structure:** - **$15 credit** per referral who subscribes")
    assert d["flat"] == [15.0, 15.0] and d["currency"] == "USD" and d["methods"] == ["store_credit"]


# --- prices and order sizes beside a commission -------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Commission: 25% recurring | Plans: $19-99/mo",
    "- Commission: 12% per sale - AOV: $80 - Products: skincare",
    "Commission: 10% | Average order value: $120",
    "Commission: 20% | Estimated earnings: $15-40 per sale",
])
def test_prices_order_values_and_estimates_are_no_commission(text: str) -> None:
    d = _d(text)
    assert d["model"] == "percent" and d["flat"] is None


def test_an_amount_worked_out_with_an_at_sign_is_an_example() -> None:
    d = _d("A single licence costs $45, so your commission is $9.00 ($45 @ 20%).")
    assert d["flat"] is None and d["percent"] is None


def test_up_to_a_total_caps_the_rate() -> None:
    d = _d("We pay 15% on each renewal, up to a total of $500 per customer.")
    assert d["model"] == "percent" and d["flat"] is None


def test_an_amount_in_brackets_after_a_rate_restates_it() -> None:
    d = _d("Earn 25% on every order ($12.50 on our starter bundle).")
    assert d["model"] == "percent" and d["flat"] is None
    both = _d("Earn 20% (or $10 per lead).")                 # an alternative offer is a second commission
    assert both["model"] == "hybrid" and both["flat"] == [10.0, 10.0]


# --- one-time wording after the reward ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "You receive 15% of their first invoice as credit (one-time per customer).",
    "Refer a studio and you earn a $100 credit one-time.",
    "You can earn only once per referred account, however long they stay.",
    "You will receive a percentage of the customer's first order.",
])
def test_one_time_said_after_the_reward(text: str) -> None:
    assert _d(text)["recurring"] is False


@pytest.mark.parametrize("text", [
    "Payouts are sent once the balance reaches $50.",
    "Commissions are paid once a month.",
])
def test_once_as_a_conjunction_or_a_schedule_is_not_one_time(text: str) -> None:
    assert _d(text)["recurring"] is None


# --- attribution phrasings --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, days", [
    ("Shoppers have 45 days to complete their order after clicking your link.", 45.0),
    ("After the click, a trial sign-up stays associated with your account for 48 hours.", 2.0),
])
def test_time_to_buy_and_a_click_kept_on_the_account_are_the_cookie(text: str, days: float) -> None:
    assert _d(text)["cookie_days"] == days


@pytest.mark.parametrize("text", [
    "Commissions are credited to your account 30 days after the purchase date.",
    "Customers have 30 days to return the product for a refund.",
])
def test_holds_and_returns_are_no_cookie(text: str) -> None:
    assert _d(text)["cookie_days"] is None


# --- "Bank Transfer (ACH)" is one method ------------------------------------------------------------------------------

def test_bank_transfer_ach_is_one_method() -> None:
    assert _d("Payment methods: PayPal, Bank Transfer (ACH) or check.")["methods"] == ["paypal", "ach", "check"]
    assert _d("Payouts by bank transfer or wire.")["methods"] == ["bank", "wire"]


# --- a table's duration column; a worked example that announces a list ---------------------------------------------

def test_a_duration_column_of_a_rate_table_is_no_cookie() -> None:
    d = _d("| Level | Sales per month | Commission Rate | Duration | Bronze | 1-5 | 15% | 6 months | Gold | 6+ | 20% | 6 months")
    assert d["cookie_days"] is None and d["percent"] == [15.0, 20.0]
    card = _d("35% commission | 60 days | Wise")                 # a card's bare duration cell is still the cookie
    assert card["cookie_days"] == 60.0
    labelled = _d("| Program | Rate | Cookie Duration | | Vela | 25% | 90 days |")
    assert labelled["cookie_days"] == 90.0


def test_the_list_a_worked_example_announces_is_the_example() -> None:
    d = _d("For example, a Team plan costs $300 a year. If your referral buys it, you would receive:\n"
           "  • First-year commission: $75\n  • Each renewal after that: $30")
    assert d["flat"] is None and d["model"] is None
    stated = _d("Our rate is 25% of each payment.\n• Cookie: 30 days")          # a plain list stays terms
    assert stated["percent"] == [25.0, 25.0] and stated["cookie_days"] == 30.0


def test_fake_information_is_misleading() -> None:
    d = _d("Prohibited: confusing shoppers with fake information; spam.")
    assert d["restrictions"] == ["no-misleading", "no-spam"]
    assert _d("We publish honest information and real reviews.")["restrictions"] is None


def test_recurring_lifetime_in_that_order() -> None:
    assert _d("Partner offer: 35% Recurring Lifetime | Plans from $9/mo")["lifetime"] is True
    assert _d("Grab the recurring lifetime deal for $99 and earn 20% on each sale.")["lifetime"] is None
