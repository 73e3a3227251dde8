"""Session 5 commission rules, each on sentences written here (not quotes from the corpus), several wordings per idea.

Families: a fee charged by someone else is no commission (the affiliate's own "referral fee" is); a rate labelled with
a depth of the network, or a share of commissions others earn, is an override; amounts a customer pays in a worked
case or volumes of sales are no payout; the referred party's reward is theirs; money ranges written out in words; an
example laid out as table cells.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms
from tests.support.terms_cases import assert_states_exactly


def _get(text: str, field: str):
    return extract_terms(text).as_dict()[field]


# --- fees: someone else's charge vs the affiliate's own fee ------------------------------------------------------

@pytest.mark.parametrize("text", [
    "We pay 40% of each sale. The payment processor's fees are 6% of the price.",
    "You earn 40% of every order; card fees of about 6% are taken first.",
    "Affiliates get 40% of the net amount. Marketplace fees are roughly 6% per transaction.",
    "Our partners receive 40% of revenue. Exchange fees are 6% of the volume.",
])
def test_a_fee_someone_else_charges_is_no_commission(text: str) -> None:
    assert _get(text, "percent") == [40.0, 40.0]


@pytest.mark.parametrize("text", [
    "Our referral fee of 12% is paid on every closed sale.",
    "You earn an advertising fee of 12% on qualifying purchases.",
    "The finder's fee is 12% of the first invoice.",
    "Affiliates receive an introducer fee of 12% of each order.",
])
def test_the_affiliates_own_fee_is_the_commission(text: str) -> None:
    assert _get(text, "percent") == [12.0, 12.0]
    assert _get(text, "model") == "percent"


# --- overrides: a depth of the network, a share of what others earn ----------------------------------------------

@pytest.mark.parametrize("text", [
    "Direct sales: 25% commission | 2nd level: 5% of your recruits' sales",
    "You earn 25% on your own customers. Second line: 5%.",
    "Provisionsstufen • 1. Linie: 25 % Provision auf alle Verkäufe • 2. Linie: 5 % Provision",
    "Provisionssätze: Direkte Kunden: 25 % des Umsatzes. Kunden Deiner Partner (2. Ebene): 5 % des Umsatzes.",
    "Commission: 25% of each sale; third level partners bring you 5%.",
])
def test_a_rate_for_a_deeper_level_of_the_network_is_an_override(text: str) -> None:
    assert _get(text, "percent") == [25.0, 25.0]


def test_a_volume_ladder_with_numbered_levels_is_still_a_tier_list() -> None:
    assert_states_exactly("Level 1: 20% commission, Level 2: 25% commission, Level 3: 30% commission.",
                          {"model": "percent", "percent": [20.0, 30.0], "tiers": [20.0, 25.0, 30.0], "payout_type": "cps"})


@pytest.mark.parametrize("text", [
    "You earn 20% on each order, and 4% of the commission earned by the affiliates you bring in.",
    "Get 20% of every sale plus 4% if your friends refer others.",
    "A 20% commission on your sales, and through the networks of those you refer you can earn 4% more.",
    "We pay 20% per sale and 4% extra to partners who signed up other affiliates.",
])
def test_a_share_of_what_other_affiliates_earn_is_no_commission(text: str) -> None:
    assert _get(text, "percent") == [20.0, 20.0]


def test_override_words_before_the_next_rate_leave_the_first_rate_alone() -> None:
    text = ("For orders through your own link you can earn a 20% commission, and for orders through the networks of "
            "those you refer, you can earn a 4% commission.")
    assert _get(text, "percent") == [20.0, 20.0]


def test_an_agents_share_of_the_gross_commission_is_the_referral_fee() -> None:
    assert _get("Referring agents earn 30% of the gross commission due to the referred side.", "percent") == [30.0, 30.0]


# --- worked cases and volumes of sales ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Earn 30% per sale: a visitor purchases a course for $40, you earn $12.",
    "We pay 30% of sales. For every £100 of sales you send us, you will get £30.",
    "Commission is 30%. If a shopper buys a yearly plan at $120, you would receive $36.",
    "You get 30% on each order. For every $1,000 in sales you generate, we pay you $300.",
])
def test_an_amount_worked_out_on_a_purchase_is_not_a_flat_commission(text: str) -> None:
    assert _get(text, "flat") is None
    assert _get(text, "model") == "percent"


@pytest.mark.parametrize("text", [
    "Earn $50 per sale on orders of $200 or more.",
    "Earn $50 per sale on orders over $200.",
    "You get $50 for each sale when customers order more than $200.",
])
def test_an_order_condition_is_no_worked_example(text: str) -> None:
    assert _get(text, "flat") == [50.0, 50.0]


@pytest.mark.parametrize("text", [
    "Commission rates: 5% - 20% per sale | Example: Item price: $30 | Rate: 10% | You earn: $3.00 per sale",
    "Commission: 5%-20% of each sale | For example: basket $80 | your earning $8 per order | Cookie: 30 days",
])
def test_an_example_laid_out_as_cells_stays_an_example(text: str) -> None:
    assert _get(text, "flat") is None
    assert _get(text, "percent") == [5.0, 20.0]


# --- the referred party's reward --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "You get 15% of each payment and the customer gets 5% back as a rebate.",
    "You will receive 15% of every order while each buyer receives 5% of theirs back.",
    "Affiliates earn 15% of the total and the referred client will get 5% of the total.",
])
def test_the_referred_customers_share_is_theirs(text: str) -> None:
    assert _get(text, "percent") == [15.0, 15.0]


def test_a_user_who_receives_a_rate_may_be_the_affiliate() -> None:
    text = "When someone signs up with the affiliate link, the user will receive 15% of the income from that plan."
    assert _get(text, "percent") == [15.0, 15.0]


def test_a_cashback_to_the_client_is_no_flat_commission() -> None:
    assert _get("You receive $3 for every order. The client will receive $1 cashback on the balance.", "flat") == [3.0, 3.0]


# --- money ranges written out ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("Partners are paid a referral fee by check or gift card of between $40 and $400.", [40.0, 400.0]),
    ("The referral reward ranges from $40 to $400 depending on the project.", [40.0, 400.0]),
    ("Cash rewards start at $40 and can be up to $400 for big jobs.", [40.0, 400.0]),
    ("Per-click rates ranging from £0.02 to as much as £0.40 are offered.", [0.02, 0.40]),
])
def test_a_range_of_reward_amounts_written_in_words(text: str, expected: list[float]) -> None:
    assert _get(text, "flat") == expected


@pytest.mark.parametrize("text", [
    "Commissions are paid on orders between $40 and $400.",
    "Our plans range from $10 to $40 per month.",
    "Payouts are made once your balance is between $40 and $100.",
    "Our top super affiliates are earning between £4,000 - £9,000 every month.",
])
def test_a_range_of_prices_balances_or_earnings_claims_is_no_commission(text: str) -> None:
    assert _get(text, "flat") is None


# --- a rate on a subscription fee ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Subscriptions: 45% of the first net monthly fee, once per referred account.",
    "Partners keep 45% of the first annual membership price.",
])
def test_a_share_of_a_subscription_fee_is_a_commission(text: str) -> None:
    assert _get(text, "percent") == [45.0, 45.0]


# --- caps, foreign ranges, shares that go elsewhere, restated and added rates ------------------------------------

@pytest.mark.parametrize("text", [
    "Partners earn upto 12% commission on referred sales.",
    "The commission is limited to only 12% of the order value.",
    "Your share of each sale is capped at 12% of the net price.",
    "We pay a commission of no more than 12% of each order.",
])
def test_a_cap_written_in_other_words_leaves_the_minimum_unknown(text: str) -> None:
    assert _get(text, "percent") == [None, 12.0]


@pytest.mark.parametrize("text", [
    "Per ogni vendita riceverai una commissione dal 4 al 12%, a seconda della categoria.",
    "Sie erhalten eine Provision von 4 bis 12 % je nach Produktgruppe.",
    "Recibirás una comisión de 4 a 12% según la categoría.",
])
def test_a_range_written_with_words_of_another_language(text: str) -> None:
    assert _get(text, "percent") == [4.0, 12.0]


@pytest.mark.parametrize("text", [
    "We pay 15% on every sale. Items where 100% of the profits go to charity earn no commission.",
    "You get 15% of each order; on charity bundles 50% of proceeds are donated instead.",
])
def test_a_share_that_goes_to_someone_else_is_no_commission(text: str) -> None:
    assert _get(text, "percent") == [15.0, 15.0]


def test_a_flat_rate_restated_as_a_percent_stays_flat() -> None:
    text = "You are paid $0.02 for each word your customers order. That is equivalent to an average commission of 8%."
    assert _get(text, "model") == "flat"
    assert _get(text, "percent") is None


@pytest.mark.parametrize("text,expected", [
    ("Review bonus • +3% extra commission • when you publish a review", None),
    ("Commission: 9% on every sale, +3% during the summer promotion.", [9.0, 9.0]),
    ("You earn 40% of the first payment + 20% recurring for 6 months.", [20.0, 40.0]),
    ("The partner gets 5 EUR + 2% for each new investor.", [2.0, 2.0]),
])
def test_a_plus_item_is_an_uplift_but_a_plus_between_parts_combines_them(text: str, expected) -> None:
    assert _get(text, "percent") == expected


def test_a_processing_fee_formula_with_a_currency_is_no_commission() -> None:
    assert _get("We pay you 10% commission. Card payments cost 2.9% + $0.30 each.", "percent") == [10.0, 10.0]


# --- recurring polarity ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Commissions are paid on the 1st order only.",
    "You earn 12% commission every time a first-time order is placed with your code.",
    "When a shopper makes their very first purchase, we pay you a 12% commission.",
    "Once a client completes the first project, you receive 12% of its budget.",
    "Plans: 12% of the first monthly fee, once per referred account.",
    "The commission is 12% based on the 1 time charge.",
])
def test_a_reward_on_the_first_act_only_is_not_recurring(text: str) -> None:
    assert _get(text, "recurring") is False


def test_a_first_purchase_condition_loses_to_a_renewal_cue() -> None:
    text = "When a customer makes their first purchase you earn 20%, and 10% on every renewal after that."
    assert _get(text, "recurring") is True


def test_an_initial_setup_fee_is_not_a_first_payment() -> None:
    assert _get("Earn 25% of the initial setup fee paid by the customer.", "recurring") is None


@pytest.mark.parametrize("text", [
    "5% commission with room to grow - remuneration on repeated orders - 45 day cookie",
    "Our affiliate rewards are automatic and continuous: 8% of what your referrals spend.",
    "You receive 8% on repeated purchases of the same customer.",
])
def test_repeated_orders_and_continuous_rewards_recur(text: str) -> None:
    assert _get(text, "recurring") is True


@pytest.mark.parametrize("text", [
    "We pay 6% commission on sales your link brings from new or recurring customers.",
    "Share your link with recurring clients and earn $5 per paying customer.",
    "Invite partners: you get an ongoing 10% of any commissions they make.",
    "On the 1st of each month, you will be paid for all commissions owed to you.",
])
def test_returning_customers_overrides_and_schedules_are_no_recurring_commission(text: str) -> None:
    assert _get(text, "recurring") is None


@pytest.mark.parametrize("text,expected", [
    ("You get 3% commission with a potential for more as you grow.", [3.0, None]),
    ("Affiliates earn 10% or more on every sale.", [10.0, None]),
])
def test_a_rate_with_room_above_is_a_floor(text: str, expected) -> None:
    assert _get(text, "percent") == expected


# --- who gets the share; offer cards ---------------------------------------------------------------------------------

def test_other_affiliate_programs_are_a_comparison_not_other_affiliates() -> None:
    text = "Unlike other affiliate programs, we also pay 3% ongoing commissions on future purchases."
    assert _get(text, "percent") == [3.0, 3.0]


@pytest.mark.parametrize("text", [
    "Marketplace sales - 45% to affiliate who makes the sale - 30% distributed to authors - 25% to admin.",
    "Each sale is split: 45% to the referrer, 40% to the seller and 15% to the platform.",
    "Revenue split | 45% to partners | 55% reserved to the company",
])
def test_shares_that_go_to_other_parties_are_not_the_commission(text: str) -> None:
    assert _get(text, "percent") == [45.0, 45.0]


@pytest.mark.parametrize("text,expected", [
    ("$800 to the referrer for each signed contract.", [800.0, 800.0]),
    ("Sign-up within 30 days: $600 to you, $600 to them | later: $400 to you, $400 to them", [400.0, 600.0]),
    ("$250 to referring clients for every closed project.", [250.0, 250.0]),
])
def test_an_amount_to_you_or_to_the_referrer_is_the_reward(text: str, expected) -> None:
    assert _get(text, "flat") == expected


def test_an_amount_to_your_account_is_not_a_reward() -> None:
    assert _get("Send $50 to your account manager.", "flat") is None


@pytest.mark.parametrize("text", [
    "Acme Shop: 12% Valid until 31 Dec GEO: Worldwide eCPC 0.0400 Hold period 30 Cookie lifetime 30day(s)",
    "Paid order - 12% GEO: Germany EPC 0.35 Hold period 45 ... Cookie lifetime 60day(s)",
])
def test_the_rate_of_a_network_offer_card(text: str) -> None:
    assert _get(text, "percent") == [12.0, 12.0]


@pytest.mark.parametrize("text", [
    "EPC 3$ - CR 0.42% - CR for 48 hours 0.10% - Approval rate 80% - Cookie lifetime 30 days",
    "Offer stats: CTR 1.5%, ROI 40%, eCPC 0.12",
])
def test_offer_statistics_are_no_commission(text: str) -> None:
    assert _get(text, "percent") is None


@pytest.mark.parametrize("text,expected", [
    ("The game joins our pay-what-you-want scheme, with a default 12 percent cut for partners.", [12.0, 12.0]),
    ("We cut prices by 12% for the readers you send.", None),
    ("Everyone starts out on the STARTER plan at 6%. Sell more and your rate will climb.", [6.0, None]),
])
def test_a_cut_and_a_starting_rate(text: str, expected) -> None:
    assert _get(text, "percent") == expected


# --- examples inside a rate's own sentence or bullet; tiers ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "We pay 25% commission, so if a customer buys a $100 plan you earn $25.",
    "Affiliates get 25% on every order - for example, a referral who spends $80 earns you $20.",
])
def test_a_rate_stated_before_its_example_in_the_same_sentence_counts(text: str) -> None:
    assert _get(text, "percent") == [25.0, 25.0]
    assert _get(text, "flat") is None


def test_each_bullet_keeps_its_rate_when_an_example_follows_it() -> None:
    text = ("Rates: • 15% for yearly plans - For example, if a referral buys a yearly plan you earn €30. (€200 x 15% = €30) "
            "• 35% for monthly plans - For example, if a referral buys a monthly plan you earn €7. (€20 x 35% = €7)")
    assert _get(text, "percent") == [15.0, 35.0]
    assert _get(text, "tiers") == [15.0, 35.0]


def test_arithmetic_of_its_own_is_still_an_example() -> None:
    assert _get("You will earn $2.4 ($12*20%) on each sale.", "flat") is None


@pytest.mark.parametrize("text,expected", [
    ("$200 in sales - nice start! You get 10% commission. | $500 in sales - great! Enjoy 15% commission. "
     "| $900 in sales - you earned a 20% commission!", [10.0, 15.0, 20.0]),
    ("Earn up to 9% in credit. Monthly referred sales >$299 $300-799 $800+ Your rate 3% 6% 9%", [3.0, 6.0, 9.0]),
])
def test_sales_bands_before_the_rates_make_tiers(text: str, expected) -> None:
    assert _get(text, "tiers") == expected


def test_one_plan_beside_a_renewal_rate_is_no_tier() -> None:
    text = "The program pays 35% on annual plans plus 25% recurring on renewals."
    assert _get(text, "tiers") is None


# --- prizes, balances to reach, band labels, the nearest reward word ---------------------------------------------------

@pytest.mark.parametrize("text", [
    "Вебмастер, который принесет больше всего заказов за месяц, получит приз в размере 20 000 рублей.",
    "Der Partner mit den meisten Verkäufen gewinnt im Gewinnspiel einen Preis von 500 €.",
])
def test_a_contest_prize_in_another_language_is_no_commission(text: str) -> None:
    assert _get(text, "flat") is None


@pytest.mark.parametrize("text", [
    "報酬の合計が3,000円以上になると、翌月末に振り込まれます。",
    "Nos meses em que você obtiver R$ 150,00 ou mais aprovados, o pagamento é feito no dia 20.",
])
def test_a_balance_or_more_in_another_language_is_no_commission(text: str) -> None:
    assert _get(text, "flat") is None


def test_an_order_value_band_with_a_plus_labels_the_next_rate() -> None:
    text = "You earn a share of your monthly sales: $0-999 = 8% commission $1000-2999 = 10% commission $3000+ = 12% commission"
    assert _get(text, "flat") is None
    assert _get(text, "tiers") == [8.0, 10.0, 12.0]


def test_the_nearest_reward_word_decides_a_range() -> None:
    text = "CPC Partners: CPC (cost per click) rates ranging from £0.02 to as much as £0.40 are offered."
    assert _get(text, "flat") == [0.02, 0.40]


# --- hypotheticals ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "We pay 10%. A customer spending £400 would earn you £40.",
    "Commission 10%. On a €300 booking you would get €30.",
    "You'd earn $30 on a $300 sale with our 10% rate.",
    "Our rate is 10%; a $500 order could net you $50.",
])
def test_an_amount_a_conditional_puts_on_a_case_is_not_flat(text: str) -> None:
    assert _get(text, "flat") is None
    assert _get(text, "percent") == [10.0, 10.0]


@pytest.mark.parametrize("text", [
    "You would receive $40 for each referral who signs up.",
    "What would I earn? You would earn $40 per sale.",
])
def test_a_conditional_amount_with_its_unit_is_still_a_rate(text: str) -> None:
    assert _get(text, "flat") == [40.0, 40.0]


@pytest.mark.parametrize("text", [
    "Get 30% per sale, and 5% on sales made by affiliates you introduce.",
    "Earn 30% on your own orders and 5% on what partners you onboard sell.",
])
def test_sales_of_affiliates_you_bring_in_are_an_override(text: str) -> None:
    assert _get(text, "percent") == [30.0, 30.0]


def test_sales_of_people_you_refer_are_your_own_commission() -> None:
    assert _get("You earn 10% on sales from people you refer.", "percent") == [10.0, 10.0]


@pytest.mark.parametrize("text", [
    "We have 99.9% uptime and pay 25% recurring.",
    "98% customer satisfaction - and a 25% recurring commission for you.",
])
def test_service_statistics_are_no_commission(text: str) -> None:
    assert _get(text, "percent") == [25.0, 25.0]


# --- one labelled amount per plan under a commission heading ---------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("Commission structure: Basic plan – $20 | Pro plan – $50 | Enterprise – $100", [20.0, 100.0]),
    ("Referral commissions: Starter - $30 | Growth - $60 | Scale - $90", [30.0, 90.0]),
])
def test_plan_amounts_under_a_commission_heading(text: str, expected) -> None:
    assert _get(text, "flat") == expected


@pytest.mark.parametrize("text", [
    "Commission: 30% recurring | Pricing | Basic – $20 | Pro – $50",
    "Commission: 30% recurring. Plans: Basic – $20 | Pro – $50",
    "8% Commission | 60-Day Cookie | Average Order - $70 | Highest Sale in 2023 - $260",
])
def test_prices_and_statistics_in_dash_cells_are_not_commissions(text: str) -> None:
    assert _get(text, "flat") is None


# --- overrides in other languages: only the rate they describe ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Ricevi il 18% su ogni vendita, e il 4% sulle vendite dei tuoi sub-affiliati.",
    "Du erhältst 18 % Provision und zusätzlich 4 % auf die Umsätze deiner geworbenen Partner.",
    "Vous touchez 18 % de commission sur vos ventes et 4 % sur les ventes de vos filleuls.",
])
def test_a_second_level_rate_in_another_language_leaves_the_own_rate(text: str) -> None:
    assert _get(text, "percent") == [18.0, 18.0]


def test_a_fixed_commission_per_sale_label_stays_a_rate() -> None:
    assert_states_exactly("Fixed commission per sale: $14",
                          {"model": "flat", "flat": [14.0, 14.0], "currency": "USD", "payout_type": "cps"})


# --- lifetime and later custom in other words ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "CPA up to $150 per client. «Eternal» remuneration on the turnover of each attracted client.",
    "Earn perpetual commissions on every account you bring in: 15% of each invoice.",
])
def test_eternal_or_perpetual_commissions_are_lifetime(text: str) -> None:
    assert _get(text, "recurring") is True
    assert _get(text, "lifetime") is True


@pytest.mark.parametrize("text", [
    "You earn 12% - not only on each customer's first booking, but on every later stay too.",
    "We pay 12% on the first order and on each and every subsequent order of that shopper.",
])
def test_later_custom_of_the_same_customer_recurs(text: str) -> None:
    assert _get(text, "recurring") is True


def test_each_subsequent_referral_is_a_new_customer_not_a_recurrence() -> None:
    text = "We pay a $30 referral fee, and an enhanced $60 fee for each subsequent Pro Plan Qualified Referral thereafter."
    assert _get(text, "recurring") is None


# --- ranges and limits that are not the affiliate's reward --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Shipping rates start at $5 and can go up to $20.",
    "Customers receive between $10 and $50 in store credit.",
    "You can withdraw amounts between $50 and $5,000 per request.",
])
def test_ranges_of_charges_other_parties_and_withdrawals_are_no_commission(text: str) -> None:
    assert _get(text, "flat") is None


def test_a_withdrawal_floor_leaves_the_rate_alone() -> None:
    assert _get("Withdrawals from $20 are processed weekly. You earn $15 per sale.", "flat") == [15.0, 15.0]


@pytest.mark.parametrize("text", [
    "Customers get 10% off and you get 20%.",
    "Clients save 10% with your link; you receive 20% of each order.",
])
def test_bare_plural_customers_are_the_other_party(text: str) -> None:
    assert _get(text, "percent") == [20.0, 20.0]


# --- a rate labelled by a name on an offer card or a program row -------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("Acme Antivirus: 35% Valid until 30 Sep GEO: Worldwide", [35.0, 35.0]),
    ("Referral Appreciation: 12% - for referred students of the partner school", [12.0, 12.0]),
])
def test_a_named_rate_on_an_affiliate_card_is_the_commission(text: str, expected) -> None:
    assert _get(text, "percent") == expected


@pytest.mark.parametrize("text", [
    "Conversion: 3%",
    "VAT: 20%",
    "Approval: 85% | Hold: 30 days",
    "Battery: 80%",
    "Affiliate stats | Conversion: 3% | Approval: 85%",
    "Partner program | Growth - 25% year over year.",
])
def test_a_named_statistic_or_a_card_outside_an_affiliate_text_is_no_rate(text: str) -> None:
    assert _get(text, "percent") is None


@pytest.mark.parametrize("text", [
    "Discount: 10% on your first order. You earn 25% per sale.",
    "VAT - 20%. You earn 25% per sale.",
    "Conversion rate: 3% | Commission: 25%",
])
def test_a_labelled_discount_tax_or_statistic_is_no_commission(text: str) -> None:
    assert _get(text, "percent") == [25.0, 25.0]


# --- an "up to" total above the amounts it adds up ---------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("Invite friends and earn up to $900! You and your friend will each receive $90.", [90.0, 90.0]),
    ("Earn up to $450 for your first three referrals. First referral: you earn a $75 gift card. "
     "Second referral: you earn a $150 gift card. Third referral: you earn a $225 gift card.", [75.0, 225.0]),
])
def test_an_up_to_total_is_not_a_rate_of_its_own(text: str, expected) -> None:
    assert _get(text, "flat") == expected


@pytest.mark.parametrize("text,expected", [
    ("Earn up to $150 per referral.", [None, 150.0]),
    ("Earn up to $200 per sale: $50 for basic, $200 for premium.", [50.0, 200.0]),
])
def test_an_up_to_rate_with_its_unit_stays(text: str, expected) -> None:
    assert _get(text, "flat") == expected
