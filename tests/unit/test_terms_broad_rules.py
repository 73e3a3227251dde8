"""Session-3 generalisation rules of the terms extractor, pinned with our own phrasings (not corpus quotes).

Each case states a rule the way an unseen page might: an ordinary commission sentence must not be vetoed
by a cue that belongs to another number or another word ("commission fee", "subscription", "membership"),
and a specific cue attached to a number still wins ("over $500", "$75 commission max", "Lvl 2 - 12%").
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def stated(text: str) -> dict:
    return {k: v for k, v in extract_terms(text).as_dict().items() if v is not None}


# --- commission: plain sentences are commissions ------------------------------------------------

@pytest.mark.parametrize("text,percent", [
    # "fee" right after "commission" names the commission ("a 3% fee" stays a fee, below)
    ("Whenever a visitor subscribes, you will earn a 20% commission fee on the subscription.", [20.0, 20.0]),
    # "of the sub..." is not "of the sub-affiliates"; "of the members..." is not "of the members"
    ("Partners are entitled 25% of the subscription price the customer pays.", [25.0, 25.0]),
    ("Partners are entitled 25% of the membership fee the customer pays.", [25.0, 25.0]),
    # the percent sign written first, spelled-out rates
    ("This level has a payout of %12 for every new customer.", [12.0, 12.0]),
    ("The standard commission is fifteen percent of each order.", [15.0, 15.0]),
    # German / Spanish / French commission words; "bis zu" is "up to"
    ("Die Provision liegt je nach Produkt bei bis zu 60%.", [None, 60.0]),
    ("La comisión es del 30% por cada venta.", [30.0, 30.0]),
    ("Vous recevez une commission de 25% sur chaque vente.", [25.0, 25.0]),
    # every rate written as "up to" leaves the minimum unknown
    ("Rates: up to 12% for new buyers; up to 6% for returning buyers.", [None, 12.0]),
    # a comparative before an amount is a boundary, the rate after it is the commission
    ("Affiliates with over $500 in monthly sales earn 30% commission.", [30.0, 30.0]),
])
def test_plain_commission_sentences(text, percent):
    got = stated(text)
    assert got.get("model") == "percent" and got["percent"] == percent


def test_commission_per_month_is_a_commission_not_a_price():
    got = stated("The partner will receive a commission of €1.20 per month for each active member they refer.")
    assert (got["model"], got["flat"], got["currency"], got["payout_type"]) == ("flat", [1.2, 1.2], "EUR", "cpa")
    # a price per month without a commission noun before it stays a price
    assert "model" not in stated("Our plans cost $29 per month.")
    # an amount in parentheses after a rate is an equivalent, not a second (flat) commission
    got = stated("Basic partners: 35% commission ($7 per month) for each customer signup.")
    assert got["model"] == "percent" and "flat" not in got


@pytest.mark.parametrize("text", [
    "We charge a 3% processing fee on all sales.",
    "Customers get 20% off their first order.",
    "Save 15% on every purchase with code SPRING.",
    "Faster payouts are possible by accepting fee reductions between 1 and 3 per cent.",
    "After six months the commission drops to 50% of the original rate.",
    "A commission increase of 1% applies after every 10 referrals.",
    "Earn 10% commission on your referred publishers for 6 months.",     # a sub-affiliate override
    "Refer a user to the $10/month plan and you earn $2 ($10*20%) each month.",   # arithmetic on an example
    "Conversion rates vary; the average order value is $80 and 40% of buyers come back.",
    "Our refund rate is below 2%.",
    "The average order value is €80 and conversion rates are around 3%.",
    "We have paid out over $2 million in commissions.",
])
def test_specific_nearby_cues_still_veto(text):
    got = stated(text)
    assert "model" not in got and "percent" not in got and "payout_minimum" not in got


def test_bounds_and_caps_next_to_amounts_are_not_the_commission():
    got = stated("Commission tiers | Amount of sales: 10 001€ + | 30%; 5 001€ - 10 001€ | 25%")
    assert got["model"] == "percent" and "flat" not in got
    got = stated("Rates: up to 15% on new customers. Limits: $75 commission max on orders greater than $1,000.")
    assert got["model"] == "percent" and "flat" not in got


def test_numbered_labels_are_not_range_ends():
    got = stated("Your commission depends on your level: Lvl 1 - 10% | Lvl 2 - 12% | Lvl 3 - 14%")
    assert got["percent"] == [10.0, 14.0] and got["tiers"] == [10.0, 12.0, 14.0]
    # a count before a rate is not the low end of a range either ("25 - 4%" runs downwards)
    got = stated("Commission by volume: Orders Count: 25 - 4%; 50 - 5%")
    assert got["percent"] == [4.0, 5.0]


def test_up_to_summary_before_a_tier_table_is_not_a_tier():
    got = stated("Earn up to 40% on net revenue. Tiers: 0-10 FTDs 25%; 11-40 FTDs 30%; 41+ FTDs 40%")
    assert got["tiers"] == [25.0, 30.0, 40.0] and got["percent"] == [25.0, 40.0]


def test_a_percentage_without_its_rate_is_a_percent_model():
    got = stated("We pay a recurring commission for a percentage of your referred customers' invoices.")
    assert (got["model"], got.get("percent"), got["recurring"], got["payout_type"]) == ("percent", None, True, "revshare")
    got = stated("You earn an up-front payment of up to £40, plus a small percentage of their monthly bill.")
    assert (got["model"], got["flat"], got["currency"]) == ("hybrid", [None, 40.0], "GBP")
    assert "model" not in stated("The kickback equals the percentage of the total turnover.")


def test_a_rate_cue_carries_over_a_clause_without_amounts():
    text = ("Percentages paid to partners depend on their plan. Upgrades are automatic. "
            "Plan | Sites | Rate: Basic | up to 20 | 25%; Pro | 21 to 40 | 35%")
    assert stated(text)["percent"] == [25.0, 35.0]


# --- payout type --------------------------------------------------------------------------------

def test_model_word_framed_as_a_basis_counts_without_a_commission_cue():
    assert stated("We work on a CPL basis.")["payout_type"] == "cpl"
    assert "payout_type" not in stated("Run pay per click campaigns on Google.")


# --- recurring ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,recurring,months,lifetime", [
    ("You receive 30% for a full calendar year after the signup.", True, 12, None),
    ("You earn 25% on each of their monthly fee payments for an entire year.", True, 12, None),
    ("You keep earning 20% for as long as they are paying subscribers.", True, None, True),
    ("We pay 10% whenever customers you refer settle their invoices.", True, None, None),
    ("Partners get 20% of the price the customer pays and any re-bills.", True, None, None),
    ("We pay 30% in year one and 10% of every year thereafter.", True, None, True),
    ("Wir zahlen 10% Provision auf Lebenszeit des Kunden.", True, None, True),
    ("All commissions are one\u2011time only. Renewals are not commissionable.", False, None, None),
    ("You earn 20% on new customers. You will not receive commissions from customers renewing their plan.", False, None, None),
    # never the affiliate's own standing, never the attribution window, never an override's duration
    ("Commissions are paid as long as you remain an active affiliate. Earn 20% per sale.", None, None, None),
    ("A cookie remains valid for 1 year. The commission is paid up to 1 year after the promotion click.", None, None, None),
    ("Earn 20% per sale. Earn 10% on your referred partners for a period of 12 months.", None, None, None),
])
def test_recurrence_phrasings(text, recurring, months, lifetime):
    got = extract_terms(text).as_dict()
    assert (got["recurring"], got["recurring_months"], got["lifetime"]) == (recurring, months, lifetime)


def test_arithmetic_months_are_not_a_cap():
    got = stated("Earn 10% of each invoice. Example: she pays for 5 months (= $100), you get 10% x $100 = $10.")
    assert "recurring_months" not in got


# --- cookie, payout minimum, frequency, methods -------------------------------------------------

def test_time_to_convert_after_a_click_is_the_cookie():
    assert stated("Once someone clicks your link, they have 45 days to buy.")["cookie_days"] == 45.0
    assert stated("Commission applies to all purchases made over the next 72 hours after the click.")["cookie_days"] == 3.0
    assert "cookie_days" not in stated("Once someone clicks your link, we review the sale for 45 days.")


def test_payout_minimum_phrasings():
    got = stated("Payout Minimums: PayPal $25; Wire $500")
    assert (got["payout_minimum"], got["payout_currency"]) == (25.0, "USD")
    got = stated("You will be paid once $40 of commissions have been earned.")
    assert (got["payout_minimum"], got["payout_currency"]) == (40.0, "USD")
    got = stated("When paid by wire, the minimum threshold is 5000 EUR/USD/GBP.")
    assert got["payout_minimum"] == 5000.0 and "payout_currency" not in got    # one of several currencies


@pytest.mark.parametrize("text,frequency", [
    ("We pay every 7 days via PayPal.", "weekly"),
    ("Payments are made the month following the sale.", "monthly"),
    ("Payment is on the 10th for the previous month.", "monthly"),
    ("Commissions are paid in crypto and can be claimed at your convenience.", "on-request"),
    ("Commission is paid on monthly and annual subscriptions. Payouts go out via PayPal.", None),
    ("If we pay you 35% and the customer asks for a refund on the yearly subscription, nothing changes.", None),
    ("Partners earn a revenue share every month for the life of the subscription.", None),
    ("The commission will be paid for each month that the referred member remains subscribed.", None),
])
def test_payout_schedule_is_not_the_commission_recurrence(text, frequency):
    assert extract_terms(text).as_dict()["frequency"] == frequency


def test_credit_balance_is_store_credit():
    assert stated("We pay through bank transfer, PayPal, or credit balance.")["methods"] == ["bank", "paypal", "store_credit"]


# --- restrictions -------------------------------------------------------------------------------

@pytest.mark.parametrize("text,restrictions", [
    ("Sending unsolicited email (spam) is prohibited.", ["no-spam"]),
    ("It is forbidden to share your link in spam email.", ["no-spam"]),
    ("Incentivizing users to click is not allowed.", ["no-incent"]),
    ("You are not to offer cash rebates under any circumstances.", ["no-incent"]),
    ("The use of the following is not allowed: bots, incentivized clicks, pop traffic.", ["no-incent", "no-pop"]),
    ("These sources are forbidden on our network: email traffic; incent traffic;", ["no-email", "no-incent"]),
    ("Affiliates must not promote via adult or controversial content.", ["no-adult"]),
    ("Prohibited Content: violence, hate speech.", None),
    ("Brand term bidding is not eligible for commission.", ["no-brand-bidding"]),
    ("We do not allow you to target our own keywords.", ["no-brand-bidding"]),
    ("Using any misguiding method will result in account termination.", ["no-misleading"]),
    ("Referrals cannot be generated on your own purchases (this includes using a different email address).", None),
])
def test_restriction_phrasings(text, restrictions):
    assert extract_terms(text).as_dict()["restrictions"] == restrictions


def test_one_amount_per_label_in_a_commission_list():
    got = stated("Flat commission per plan: Basic: $100 USD Pro: $300 USD Enterprise: $900 USD")
    assert (got["model"], got["flat"], got["currency"]) == ("flat", [100.0, 900.0], "USD")
    # a labelled threshold in the same clause stays a threshold
    got = stated("Commission: $25 per sale, minimum payout: $50")
    assert got["flat"] == [25.0, 25.0] and got["payout_minimum"] == 50.0


def test_agreed_percentage_without_its_rate():
    got = stated("The affiliate earns a commission corresponding to the agreed percentage of the price of each purchase.")
    assert got["model"] == "percent" and "percent" not in got


def test_sex_sites_are_adult():
    assert extract_terms("Sex sites are not allowed.").as_dict()["restrictions"] == ["no-adult"]
    assert extract_terms("We ship to Sussex and Essex.").as_dict()["restrictions"] is None


def test_labelled_amounts_that_are_not_rates():
    # a price or an order-value label under a commission heading is not a second commission
    assert stated("Commission: 20%, Product price: $49")["model"] == "percent"
    assert stated("Commission: 20%, Order value: $49")["model"] == "percent"
    # "pro" is a unit word ("5 € pro Verkauf") only as a word, never inside "Professional"
    assert "model" not in stated("Plans: Starter $29 Professional $99")


def test_order_value_boundaries_and_derived_amounts():
    got = stated("We pay 5% on orders under $100 and 8% on orders over $100.")
    assert got["percent"] == [5.0, 8.0] and "payout_minimum" not in got and "flat" not in got
    assert stated("Minimum payout is $50; orders over $100 ship free.")["payout_minimum"] == 50.0
    # "that is $14.70" restates the rate as money; it is not a second, flat commission
    got = stated("The plugin costs $49. You will earn 30% on it, that is $14.70 per sale.")
    assert got["model"] == "percent" and "flat" not in got


@pytest.mark.parametrize("text,months", [
    ("Ganas una comisión del 20% en cada venta durante 12 meses.", 12),
    ("Du erhältst 20% Provision für 2 Jahre.", 24),
])
def test_months_cap_in_other_languages(text, months):
    got = stated(text)
    assert (got["recurring"], got["recurring_months"]) == (True, months)
