"""Session 13 (second pass): a first-year span named beside the rate, "Lifetime 10% commission", the verb "checks out",
a method ruled out right after its name, reward lists in "Label: amount" cells, network depths labelling amounts and
"L2" rates, a rank among people ("top 1% creator"), and a record's recurring type turning a derived per-sale type
into revenue share.

The sentences below are written for these tests (not copied from the corpus); each rule has its guards beside it.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- a first year named beside the rate is a 12-month recurring cap -------------------------------------------------

@pytest.mark.parametrize("text", [
    'partner: { name: "Notely", commission: "25% first year", cookie: "60 days" }',
    "Partners earn 20% commission on year 1 revenue from every account they bring.",
    "Resellers receive 15% commission on the first year of subscription revenue we collect from each referral.",
    "You will earn 30% revenue share on all subscription revenue within the 1st year of the customer contract.",
])
def test_first_year_beside_the_rate_is_a_twelve_month_cap(text: str) -> None:
    d = _d(text)
    assert d["recurring"] is True and d["recurring_months"] == 12 and d["payout_type"] == "revshare"


@pytest.mark.parametrize("text", [
    "New customers get 25% off their first year plan.",
    "Your friends get a 20% first-year discount when they sign up.",
    "Commission type Percent of First Year Subscription Contract Base Commission 15.00%.",
])
def test_first_year_discount_or_contract_name_is_no_cap(text: str) -> None:
    d = _d(text)
    assert d["recurring_months"] is None and d["recurring"] is None


# --- "Lifetime 10% commission" ----------------------------------------------------------------------------------------

def test_lifetime_before_the_rate_is_lifetime() -> None:
    d = _d("Withdrawals are processed monthly. Lifetime 12% commission on all payments from your referrals.")
    assert d["lifetime"] is True and d["recurring"] is True and d["payout_type"] == "revshare"


def test_lifetime_discount_before_a_rate_is_not_lifetime() -> None:
    d = _d("Your audience gets a lifetime 10% discount, and you earn a 20% commission on the first order only.")
    assert d["lifetime"] is None


# --- cheques and the verb "checks" ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Commission is confirmed 30 days after the guest checks out. Payments are made monthly via PayPal.",
    "Each time a shopper checks out with your code we pay you 12% of the order.",
    "The tracking system checks for the cookie first and credits your account with 15% of the sale.",
])
def test_checks_as_a_verb_is_no_cheque(text: str) -> None:
    assert "check" not in (_d(text)["methods"] or [])


@pytest.mark.parametrize("text", [
    "Commission checks are mailed on the 10th of each month.",
    "We pay by checks or PayPal once you reach $50.",
])
def test_cheques_stay_cheques(text: str) -> None:
    assert "check" in (_d(text)["methods"] or [])


# --- a method ruled out right after its name --------------------------------------------------------------------------

@pytest.mark.parametrize("text, absent, present", [
    ("Q: Can I be paid in crypto? A: Not at the moment. We pay via Stripe or PayPal.", "crypto", "paypal"),
    ("Q: Can I withdraw my balance to PayPal? A: Unfortunately not, earnings go to your account credit.", "paypal",
     "store_credit"),
    ("Because of compliance rules PayPal is not an option for us; commissions are sent by bank transfer.", "paypal",
     "bank"),
])
def test_method_denied_after_its_name(text: str, absent: str, present: str) -> None:
    methods = _d(text)["methods"] or []
    assert absent not in methods and present in methods


def test_method_confirmed_after_a_question_stays() -> None:
    assert "paypal" in (_d("Q: Can I get paid via PayPal? A: Yes, every month.")["methods"] or [])


# --- reward lists ------------------------------------------------------------------------------------------------------

def test_reward_by_plan_in_label_colon_cells() -> None:
    d = _d("Referral reward based on your plan for each friend you bring: Basic (or Trial): £40 Plus: £60 Team: £90")
    assert d["model"] == "flat" and d["flat"] == [40.0, 90.0] and d["currency"] == "GBP"


def test_amounts_listed_below_in_space_separated_cells() -> None:
    d = _d("What you receive depends on the plan your friend picks. The respective amounts are available below: "
           "Starter - $15 Growth - $35 Scale - $60")
    assert d["flat"] == [15.0, 60.0] and d["currency"] == "USD"


def test_cell_label_with_a_bracketed_size() -> None:
    d = _d("If your friend stays with us for three months you'll receive the following: Desk - 40€ | "
           "Studio (2 - 3 people) - 200€ | Suite (8+ people) - 900€")
    assert d["flat"] == [40.0, 900.0] and d["currency"] == "EUR"


def test_price_list_is_no_reward_list() -> None:
    assert _d("Our prices depend on the plan: Basic: $10 Pro: $20")["flat"] is None


def test_requirement_aside_is_no_reward_cell() -> None:
    d = _d("Commission Structure: - €15 credit per referral - Requirements: must have paid 2+ invoices "
           "(min €5 each) OR €80+ total")
    assert d["flat"] == [15.0, 15.0]


# --- network depths ----------------------------------------------------------------------------------------------------

def test_second_level_amounts_are_overrides() -> None:
    d = _d("You earn $2 per sign-up. First level : 2$ / Second level : 0.8$ / Third level : 0.3$")
    assert d["flat"] == [2.0, 2.0]


def test_level_two_reward_for_referrals_is_an_override() -> None:
    d = _d("Level 1 - Reward for referrals — 12%. Level 2 - Reward for referrals — 4%.")
    assert d["percent"] == [12.0, 12.0] and d["tiers"] is None


def test_short_depth_labels_are_overrides() -> None:
    assert _d("Das Programm hat 3 Ebenen (L1: 40%, L2: 10%, L3: 5%).")["percent"] == [40.0, 40.0]
    assert _d("Earn on your referrals' sales (12% L1, 4% L2).")["percent"] == [12.0, 12.0]


def test_volume_tier_with_counts_stays_a_tier() -> None:
    d = _d("Tier 1: 10% | Tier 2 - over 50 referrals: 15%")
    assert d["tiers"] == [10.0, 15.0]


# --- a rank among people -----------------------------------------------------------------------------------------------

def test_top_percent_of_creators_is_a_rank() -> None:
    d = _d("Creator bonuses: 1,000+ subscribers: Earn 8% - 5,000+ subscribers: Earn 11% - Top 1% creator: Lifetime 3% "
           "commission")
    assert d["percent"] == [3.0, 11.0]


def test_top_percent_tier_stays_a_rate() -> None:
    assert _d("At 50+ active paying clients you unlock the top 15% tier.")["percent"] == [15.0, 15.0]


# --- a record's recurring type ------------------------------------------------------------------------------------------

def test_record_recurring_type_makes_revenue_share() -> None:
    d = _d('"program": "Voicely", "type": "recurring", "commission_pct": 20, "cookie_days": 45,')
    assert d["recurring"] is True and d["payout_type"] == "revshare"


def test_record_one_time_type_stays_per_sale() -> None:
    d = _d('"program": "Voicely", "type": "one-time", "commission_pct": 20, "cookie_days": 45,')
    assert d["recurring"] is False and d["payout_type"] == "cps"


def test_record_key_recurring_false_is_not_a_recurring_cue() -> None:
    d = _d('{"name": "Mockly", "category": "design", "commission_pct": 30, "recurring": False, "cookie_days": 30},')
    assert d["recurring"] is False and d["payout_type"] == "cps"


# --- "every month, forever" is a duration, not a payout schedule ----------------------------------------------------

def test_every_month_forever_is_no_payout_schedule() -> None:
    d = _d("Recurring commission: earn 25% of every dollar your referral pays, every month, forever.")
    assert d["frequency"] is None and d["recurring"] is True


def test_every_month_payout_stays_monthly() -> None:
    assert _d("We pay you every month via PayPal.")["frequency"] == "monthly"


# --- a balance spent at the program is store credit ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "If you prefer, you can use it for any purchases in the webshop; withdrawals are possible from 40 €.",
    "You can use the balance to purchase hosting add-ons from us, or we can send it by PayPal above $50.",
])
def test_balance_used_at_the_program_is_store_credit(text: str) -> None:
    assert "store_credit" in (_d(text)["methods"] or [])


def test_customers_buying_from_us_is_no_store_credit() -> None:
    assert "store_credit" not in (_d("Customers use it to buy gifts from us every Christmas.")["methods"] or [])


# --- a percent of the first purchase is paid once ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Starter tier (1-3 referrals) - Commission: 12% of first project value (up to $800)",
    "As a referrer you will get a 3% commission on the total of the first cart of anybody you send our way.",
    "You earn 25% commission every time someone you refer makes their first payment.",
])
def test_percent_of_the_first_purchase_is_one_time(text: str) -> None:
    assert _d(text)["recurring"] is False


@pytest.mark.parametrize("text", [
    "You earn 20% of the first payment and 10% of every renewal.",
    "Get 30% off your first order. Affiliates earn 20% on every sale.",
])
def test_first_purchase_words_that_are_no_one_time_rate(text: str) -> None:
    assert _d(text)["recurring"] is not False


# --- "Pay-pal" and a bank's service charge ----------------------------------------------------------------------------

def test_hyphenated_paypal_and_bank_service_charge() -> None:
    methods = _d("Commission is paid by either Pay-pal or by wire transfer. For wire transfers a USD 20.00 bank service "
                 "charge is deducted from the commission.")["methods"] or []
    assert "paypal" in methods and "wire" in methods and "bank" not in methods


def test_bank_transfer_with_a_fee_stays_bank() -> None:
    assert "bank" in (_d("Payouts by bank transfer; a bank transfer fee of $5 applies.")["methods"] or [])


@pytest.mark.parametrize("text, months", [
    ("| Notely | Notes | 20-25% recurring first year | Yes |", 12),
    ("You'll receive a 20% recurring commission, paid each month through the first year of that subscription.", 12),
    ("You receive a commission for every job a referral places for the first 60 days starting from their first order.",
     2),
])
def test_more_first_year_and_day_spans(text: str, months: int) -> None:
    d = _d(text)
    assert d["recurring"] is True and d["recurring_months"] == months


# --- a flat reward said to be for the referral is CPA --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "$500 to the referring homeowner for customer referrals. Limited promotion window.",
    "We will keep offering $40.00 for each qualified referral.",
])
def test_flat_reward_for_referrals_is_cpa(text: str) -> None:
    d = _d(text)
    assert d["model"] == "flat" and d["payout_type"] == "cpa"


def test_flat_reward_for_referrals_with_a_purchase_is_not_cpa() -> None:
    assert _d("Earn $15 in rewards for referring friends who place an order.")["payout_type"] != "cpa"


# --- frequency phrasings ------------------------------------------------------------------------------------------

def test_last_day_of_month_without_article_is_monthly() -> None:
    assert _d("Settlement of commission is done on last day of month, by cheque.")["frequency"] == "monthly"


def test_at_your_request_is_on_request() -> None:
    assert _d("Payment is made by PayPal at your request once your balance reaches 50 EUR.")["frequency"] == "on-request"


def test_fixed_schedule_wins_over_at_your_request() -> None:
    assert _d("Commissions are paid monthly; at your request we can also pay by check.")["frequency"] == "monthly"


def test_thanks_for_one_referral_names_no_unit() -> None:
    d = _d("As our thanks for your referral, you will automatically receive a $15 bonus too.")
    assert d["payout_type"] is None


def test_for_eg_marks_a_worked_example() -> None:
    d = _d("You earn 8% per sale. For eg if the order size is $200, you earn a $16 commission.")
    assert d["flat"] is None and d["percent"] == [8.0, 8.0]


def test_duration_field_valid_for_months_is_a_cap() -> None:
    d = _d("Revenue Share | 25% commission per referral | Duration | Valid for 18 months from signup")
    assert d["recurring"] is True and d["recurring_months"] == 18


def test_cookie_valid_for_months_is_no_cap() -> None:
    d = _d("Commission: 20% per sale. Cookie duration: valid for 3 months.")
    assert d["recurring_months"] is None
