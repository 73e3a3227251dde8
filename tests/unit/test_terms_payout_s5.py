"""Payout terms (session 5): minimum, currency, schedule, methods and cookie window, asserted on short sentences
written for this test in many wordings of each idea (never copied from a round), so a rule that only matches one
quote's wording fails here.

Each case lists the payout / cookie fields the sentence states; every other payout or cookie field must come out
unknown (a rule firing too widely fails). Commission fields are not asserted here.

The sentences were written in nine batches, each run once before any rule was written for it (first-run accuracy
where stated). Batches 1-3 (written before the session-5 rules): payout minimum 31/46, frequency 31/40, methods 36/41,
cookie 15/19. Batches 4-9 (written after the rules of 1-3, on fresh wordings: label cells, FAQ answers, agreements,
whole passages, other languages): payout minimum 51/61, frequency 47/57, methods 49/54, cookie 22/22. Sentences whose
reading the labelling convention leaves open (a "payout limit", two schedules with two minimums, a prepaid Visa card,
a short Indonesian cell the language test does not catch) were left out rather than forced.
"""

from __future__ import annotations

from typing import Any

import pytest

from matrix.normalize.terms import extract_terms

FIELDS = ("payout_minimum", "payout_currency", "frequency", "methods", "cookie_days")


def _payout_fields(text: str) -> dict[str, Any]:
    got = extract_terms(text).as_dict()
    return {k: sorted(got[k]) if k == "methods" and got[k] else got[k] for k in FIELDS}


def _expected(stated: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(FIELDS)
    for k, v in stated.items():
        out[k] = sorted(v) if k == "methods" else float(v) if k in ("payout_minimum", "cookie_days") else v
    return out


# thresholds: "once your balance reaches", "you need at least", "minimum withdrawal", verbs of reaching (hit, total,
# accumulate, exceed), "from N upwards", "the lowest amount we pay", per-method minimums, spelled-out amounts, a
# currency named by its country ("25 Canadian dollars", "50.00CDN"), "1 000 kr"
PAYOUT_MINIMUM = [
    # FAQ answers and label | value cells
    ('Q: Is there a minimum? A: $50.', {'payout_minimum': 50, 'payout_currency': 'USD'}),
    ('Minimum Payout | 100 USD', {'payout_minimum': 100, 'payout_currency': 'USD'}),
    ('Payout options: PayPal ($10 min), Bank Transfer ($100 min)',
     {'methods': ['paypal', 'bank'], 'payout_minimum': 10, 'payout_currency': 'USD'}),
    # agreement wording
    ('No payment will be issued for amounts less than Twenty-Five U.S. Dollars (US$25).',
     {'payout_minimum': 25, 'payout_currency': 'USD'}),
    ('Payment shall be made provided that the amount due exceeds One Hundred Dollars ($100.00).',
     {'payout_minimum': 100, 'payout_currency': 'USD'}),
    ('Referral Fees will be paid monthly by electronic funds transfer, provided the accrued amount is at least $50.',
     {'frequency': 'monthly', 'methods': ['bank'], 'payout_minimum': 50, 'payout_currency': 'USD'}),
    ('Amounts below the payment threshold of €20 are carried forward to the next billing period.',
     {'payout_minimum': 20, 'payout_currency': 'EUR'}),
    ('You can choose between PayPal (no minimum) and wire transfer ($200 minimum).',
     {'methods': ['paypal', 'wire'], 'payout_minimum': 200, 'payout_currency': 'USD'}),
    ('There is a minimum payout of $40 a month.', {'payout_minimum': 40, 'payout_currency': 'USD'}),
    # a country's dollar named by letters around the sign
    ('Minimum payout: AU $50', {'payout_minimum': 50, 'payout_currency': 'AUD'}),
    ('Minimum payout: 50 $CA', {'payout_minimum': 50, 'payout_currency': 'CAD'}),
    ('The minimum payout is CAD$ 25.', {'payout_minimum': 25, 'payout_currency': 'CAD'}),
    ('Minimum payout: 40 Australian dollars', {'payout_minimum': 40, 'payout_currency': 'AUD'}),
    ('Minimum payout: 10$', {'payout_minimum': 10, 'payout_currency': 'USD'}),
    ('We pay 20% on every sale. Payments are sent once your balance is € 50,00 or more.',
     {'payout_minimum': 50, 'payout_currency': 'EUR'}),
    ('Minimum payout 50,- €', {'payout_minimum': 50, 'payout_currency': 'EUR'}),
    ('Payout threshold: EUR 50', {'payout_minimum': 50, 'payout_currency': 'EUR'}),
    ('Minimum balance required for withdrawal: £50.00 GBP', {'payout_minimum': 50, 'payout_currency': 'GBP'}),
    ('Payouts are processed for balances of $50 AUD or more.', {'payout_minimum': 50, 'payout_currency': 'AUD'}),
    ('The minimum cash out is ₱1,000 via GCash or bank transfer.',
     {'payout_minimum': 1000, 'payout_currency': 'PHP', 'methods': ['bank']}),
    ('Минимальная сумма выплаты 1 000 ₽.', {'payout_minimum': 1000, 'payout_currency': 'RUB'}),
    ('Valor mínimo para saque: R$50,00', {'payout_minimum': 50, 'payout_currency': 'BRL'}),
    ('Your commission of 30% is paid monthly once it exceeds $25, by PayPal.',
     {'payout_minimum': 25, 'payout_currency': 'USD', 'frequency': 'monthly', 'methods': ['paypal']}),
    ('Earn $10 per signup. Get paid when you reach $50.', {'payout_minimum': 50, 'payout_currency': 'USD'}),
    ('Commissions under $25 are held until the next payment cycle.',
     {'payout_minimum': 25, 'payout_currency': 'USD'}),
    ('To receive a payout your account needs a minimum balance of 30 USD.',
     {'payout_minimum': 30, 'payout_currency': 'USD'}),
    ('Payments are processed on the 1st and 15th of each month for balances over $100.',
     {'payout_minimum': 100, 'payout_currency': 'USD', 'frequency': 'semimonthly'}),
    ('If you earn less than $50 in a month, your balance carries over.',
     {'payout_minimum': 50, 'payout_currency': 'USD'}),
    ('The payout minimum was lowered from $100 to $50.', {'payout_minimum': 50, 'payout_currency': 'USD'}),
    ('Withdrawals can be requested whenever your balance is above $10.',
     {'payout_minimum': 10, 'payout_currency': 'USD', 'frequency': 'on-request'}),
    ('Minimal penarikan dana adalah Rp 500.000 dan pembayaran dilakukan setiap bulan ke rekening bank Anda.',
     {'payout_minimum': 500000, 'payout_currency': 'IDR', 'frequency': 'monthly', 'methods': ['bank']}),
    # a balance kept in a unit that is no currency (a coin, credits, points): the amount, currency unknown
    ('Payouts require a 100 USDT minimum.', {'payout_minimum': 100}),
    # (session 9: "you can withdraw once ..." also says the payout is asked for)
    ('You can withdraw once you have no less than 15 credits.', {'payout_minimum': 15, 'frequency': 'on-request'}),
    ('Withdrawals need at least 500 points.', {'payout_minimum': 500}),
    ('Payout threshold | $50', {'payout_minimum': 50, 'payout_currency': 'USD'}),
    ('Minimum Payment: $25', {'payout_minimum': 25, 'payout_currency': 'USD'}),
    ('Threshold: 50€', {'payout_minimum': 50, 'payout_currency': 'EUR'}),
    ('$50 minimum payout, paid monthly via PayPal.',
     {'payout_minimum': 50, 'payout_currency': 'USD', 'frequency': 'monthly', 'methods': ['paypal']}),
    ('We require a minimum of $100 before we pay.', {'payout_minimum': 100, 'payout_currency': 'USD'}),
    ('Minimum payout: R$ 100', {'payout_minimum': 100, 'payout_currency': 'BRL'}),
    ('Minimum withdrawal is ₹500 via UPI.', {'payout_minimum': 500, 'payout_currency': 'INR', 'methods': ['upi']}),
    ('Payouts start from INR 1,000.', {'payout_minimum': 1000, 'payout_currency': 'INR'}),
    ('Minimum balance for payment: 20 USD', {'payout_minimum': 20, 'payout_currency': 'USD'}),
    ('How much do I need to earn before I get paid? $30.', {'payout_minimum': 30, 'payout_currency': 'USD'}),
    ('Q: Is there a minimum payout? A: Yes, £25.00.', {'payout_minimum': 25, 'payout_currency': 'GBP'}),
    ('Payments are triggered when your balance crosses $75.', {'payout_minimum': 75, 'payout_currency': 'USD'}),
    ('You will be paid once the amount due to you exceeds 100 EUR.',
     {'payout_minimum': 100, 'payout_currency': 'EUR'}),
    ('Minimum payout amount: 1.000,00 EUR', {'payout_minimum': 1000, 'payout_currency': 'EUR'}),
    ('The cash-out minimum is ¥3,000.', {'payout_minimum': 3000, 'payout_currency': 'JPY'}),
    ('Earnings are paid when they reach a threshold of 40 dollars.',
     {'payout_minimum': 40, 'payout_currency': 'USD'}),
    ('No payments will be made for balances less than $10.', {'payout_minimum': 10, 'payout_currency': 'USD'}),
    ("We'll send your money as soon as you've made $20.", {'payout_minimum': 20, 'payout_currency': 'USD'}),
    ('Pay threshold is just $1.', {'payout_minimum': 1, 'payout_currency': 'USD'}),
    # "need (to have)", "has to hold", an accumulated amount of commissions, compounds and particles of other languages
    ('You need to have $30 in your account before you can withdraw.',
     {"payout_minimum": 30, "payout_currency": 'USD'}),
    ('Once you have accumulated €40 in commissions we transfer the money.',
     {"payout_minimum": 40, "payout_currency": 'EUR'}),
    ('Your balance has to hold at least £20 before we pay out.', {"payout_minimum": 20, "payout_currency": 'GBP'}),
    ('Die Auszahlungsgrenze liegt bei 50 Euro.', {"payout_minimum": 50, "payout_currency": 'EUR'}),
    ('Ab einer Auszahlungsschwelle von 20 € überweisen wir monatlich.',
     {"payout_minimum": 20, "payout_currency": 'EUR', "frequency": 'monthly'}),
    ('報酬の合計が3,000円以上になると、翌月末に振り込まれます。',
     {"payout_minimum": 3000, "payout_currency": 'JPY', "frequency": 'monthly', "methods": ['bank']}),
    ('Once your balance reaches $50, we send the payment automatically.',
     {"payout_minimum": 50, "payout_currency": 'USD'}),
    ('You need at least €25 in approved commissions before you can withdraw.',
     {"payout_minimum": 25, "payout_currency": 'EUR'}),
    ('Minimum withdrawal: £20.', {"payout_minimum": 20, "payout_currency": 'GBP'}),
    ('The minimum withdrawal amount is 100 USD.', {"payout_minimum": 100, "payout_currency": 'USD'}),
    ('Payouts are sent when your earnings hit $100.', {"payout_minimum": 100, "payout_currency": 'USD'}),
    ('We pay out as soon as you have earned $30 or more.', {"payout_minimum": 30, "payout_currency": 'USD'}),
    ('Your account must have a balance of at least $75 to request a payout.',
     {"payout_minimum": 75, "payout_currency": 'USD', "frequency": 'on-request'}),
    ('There is a $25 payout threshold.', {"payout_minimum": 25, "payout_currency": 'USD'}),
    ('Payment threshold: 50 EUR', {"payout_minimum": 50, "payout_currency": 'EUR'}),
    ('Commissions are paid once they total $20.', {"payout_minimum": 20, "payout_currency": 'USD'}),
    ('Earnings below $10 roll over to the next month.', {"payout_minimum": 10, "payout_currency": 'USD'}),
    ('Balances under 50 euros are carried over to the following month.',
     {"payout_minimum": 50, "payout_currency": 'EUR'}),
    ('You can cash out when you accumulate ₹1,000 in your wallet.',
     {"payout_minimum": 1000, "payout_currency": 'INR', "frequency": 'on-request'}),
    ('Withdrawals are possible from 50 € upwards.', {"payout_minimum": 50, "payout_currency": 'EUR'}),
    ('The lowest amount we pay out is $40.', {"payout_minimum": 40, "payout_currency": 'USD'}),
    ('Payments are only issued for balances exceeding $100.', {"payout_minimum": 100, "payout_currency": 'USD'}),
    ('A payout is made when the amount owed to you is equal to or greater than $50.',
     {"payout_minimum": 50, "payout_currency": 'USD'}),
    ('We will not issue a payment until your commissions total fifty dollars.',
     {"payout_minimum": 50, "payout_currency": 'USD'}),
    ('Min. payout $20 | Payment methods: PayPal, Payoneer',
     {"payout_minimum": 20, "payout_currency": 'USD', "methods": ['paypal', 'payoneer']}),
    ('Minimum payout is 1.000,00 €.', {"payout_minimum": 1000, "payout_currency": 'EUR'}),
    ('Payments are made once you reach a minimum of 50 CAD.', {"payout_minimum": 50, "payout_currency": 'CAD'}),
    ('You will be paid when your balance reaches $50 CAD.', {"payout_minimum": 50, "payout_currency": 'CAD'}),
    ('The payout threshold is 25 Canadian dollars.', {"payout_minimum": 25, "payout_currency": 'CAD'}),
    ('Payouts start at A$100.', {"payout_minimum": 100, "payout_currency": 'AUD'}),
    ('Withdrawals require a minimum balance of Rs. 500.', {"payout_minimum": 500, "payout_currency": 'INR'}),
    ('The minimum for PayPal withdrawals is $50.',
     {"payout_minimum": 50, "payout_currency": 'USD', "methods": ['paypal']}),
    ('The minimum amount for a bank transfer is €100.',
     {"payout_minimum": 100, "payout_currency": 'EUR', "methods": ['bank']}),
    ('Your earnings will be paid as long as they exceed the €50 minimum.',
     {"payout_minimum": 50, "payout_currency": 'EUR'}),
    ('We only pay out balances of $25 and above.', {"payout_minimum": 25, "payout_currency": 'USD'}),
    ('Payments are issued monthly, provided you have accrued more than $20.',
     {"payout_minimum": 20, "payout_currency": 'USD', "frequency": 'monthly'}),
    ('The minimum payout is 5.000 HUF.', {"payout_minimum": 5000, "payout_currency": 'HUF'}),
    ('Minimum payout is $20 for PayPal and $100 for wire transfers.',
     {"payout_minimum": 20, "payout_currency": 'USD', "methods": ['paypal', 'wire']}),
    ('Once you have accrued $50 or more, we pay you out.', {"payout_minimum": 50, "payout_currency": 'USD'}),
    ('You must have earned at least £30 before a payment is released.',
     {"payout_minimum": 30, "payout_currency": 'GBP'}),
    ('Payments will be sent if the balance due exceeds USD 100.', {"payout_minimum": 100, "payout_currency": 'USD'}),
    ('The payment threshold is 1 000 kr.', {"payout_minimum": 1000}),
    ('A threshold of 50 dollars applies to all payouts.', {"payout_minimum": 50, "payout_currency": 'USD'}),
    ('Commission is paid when it amounts to at least €20.', {"payout_minimum": 20, "payout_currency": 'EUR'}),
    ('Payouts are processed once earnings go over $25.', {"payout_minimum": 25, "payout_currency": 'USD'}),
    ('Get paid once your earnings are above $50.', {"payout_minimum": 50, "payout_currency": 'USD'}),
    ('The payout minimum is 100 USDT.', {"payout_minimum": 100}),
    ('You can claim rewards once you have over $5.', {"payout_minimum": 5, "payout_currency": 'USD'}),
    ('Affiliates must reach $50 in earnings to be paid.', {"payout_minimum": 50, "payout_currency": 'USD'}),
    ('Payouts begin at $20.', {"payout_minimum": 20, "payout_currency": 'USD'}),
    ('You will be paid by check once your account reaches $25.',
     {"payout_minimum": 25, "payout_currency": 'USD', "methods": ['check']}),
    ('Minimum cash-out: 10 €', {"payout_minimum": 10, "payout_currency": 'EUR'}),
    ('We pay you when you have earned $100 in commissions.', {"payout_minimum": 100, "payout_currency": 'USD'}),
]

# schedules: monthly / net-N / bi-weekly / "on the 15th", "first Friday of every month", "first five business days of
# each month", "each semester", "mid-month and month end", "calculated monthly and paid", a date clause before the pay clause
SCHEDULE = [
    ('Payments are released on a rolling 30-day basis.', {'frequency': 'monthly'}),
    ('You are paid per quarter.', {'frequency': 'quarterly'}),
    ('We settle affiliate balances every fortnight.', {'frequency': 'biweekly'}),
    ('Affiliates receive payouts every 14 days.', {'frequency': 'biweekly'}),
    ('We pay on the 1st and the 16th.', {'frequency': 'semimonthly'}),
    ('Commissions earned between the 1st and 15th are paid on the 30th.', {'frequency': 'monthly'}),
    # FAQ answers and label | value cells
    ('Q: When do I get paid? A: Around the 5th of every month.', {'frequency': 'monthly'}),
    ('Payout Frequency | Bi-Weekly', {'frequency': 'biweekly'}),
    ('Payments: monthly, NET 45, via Payoneer', {'frequency': 'net-45', 'methods': ['payoneer']}),
    ('Affiliates can cash out their earnings to PayPal instantly.',
     {'methods': ['paypal'], 'frequency': 'on-request'}),
    ('We send commission payments by cheque or BACS every month.',
     {'methods': ['check', 'bank'], 'frequency': 'monthly'}),
    ('Commissions are paid out through our partner network, Impact, on a monthly basis.', {'frequency': 'monthly'}),
    ('The commission is transferred to your bank account within 30 days of the end of each month.',
     {'methods': ['bank'], 'frequency': 'monthly'}),
    ('We pay on a 30-day cycle after the purchase is confirmed.', {'frequency': 'monthly'}),
    # agreement wording
    ('Company shall remit payment to Affiliate within forty-five (45) days following the end of each calendar quarter.',
     {'frequency': 'quarterly'}),
    ('Commissions will be paid by the 15th day of the second month following the month in which they were earned.',
     {'frequency': 'monthly'}),
    ('Affiliate fees are payable net sixty (60) days after the close of each month.', {'frequency': 'monthly'}),
    ('Earnings are deposited to your Stripe account every week.', {'frequency': 'weekly', 'methods': ['stripe']}),
    ('Affiliates are paid within 7 business days of requesting a withdrawal.', {'frequency': 'on-request'}),
    ('Commission checks are mailed around the 20th of every month.', {'frequency': 'monthly', 'methods': ['check']}),
    ('We process affiliate payouts on the last Friday of every month.', {'frequency': 'monthly'}),
    ('Commissions are paid 15 days after the end of the month.', {'frequency': 'monthly'}),
    ('All commissions are paid in arrears on a monthly cycle.', {'frequency': 'monthly'}),
    ('We run payouts every second Friday.', {'frequency': 'biweekly'}),
    ('Payments are sent out at the end of every quarter.', {'frequency': 'quarterly'}),
    ('Payouts occur once every month, after a 30-day hold.', {'frequency': 'monthly'}),
    ('We pay net-15 after approval.', {'frequency': 'net-15'}),
    ('Earnings are transferred every Monday.', {'frequency': 'weekly'}),
    # other languages: a fortnightly schedule, a minimum after "ab" / "à partir de" / "vanaf", a bank transfer word
    ('Las comisiones se pagan quincenalmente por PayPal.', {'frequency': 'biweekly', 'methods': ['paypal']}),
    ('Die Provision wird alle zwei Wochen per Überweisung ausgezahlt.', {'frequency': 'biweekly', 'methods': ['bank']}),
    ('Wypłaty realizujemy co dwa tygodnie na konto bankowe.', {'frequency': 'biweekly', 'methods': ['bank']}),
    ('Les paiements sont effectués chaque mois par virement bancaire, à partir de 50 €.',
     {'payout_minimum': 50, 'payout_currency': 'EUR', 'methods': ['bank'], 'frequency': 'monthly'}),
    ('Die Auszahlung erfolgt monatlich per Überweisung ab 25 €.',
     {'payout_minimum': 25, 'payout_currency': 'EUR', 'methods': ['bank'], 'frequency': 'monthly'}),
    ('O pagamento é feito mensalmente via PayPal a partir de R$ 100.',
     {'payout_minimum': 100, 'payout_currency': 'BRL', 'methods': ['paypal'], 'frequency': 'monthly'}),
    ('De uitbetaling gebeurt maandelijks vanaf € 50.', {'payout_minimum': 50, 'payout_currency': 'EUR', 'frequency': 'monthly'}),
    ('Payment frequency: Monthly', {'frequency': 'monthly'}),
    ('Payment schedule: every 2 weeks', {'frequency': 'biweekly'}),
    ('Payments are sent on or around the 15th.', {'frequency': 'monthly'}),
    ('We pay commissions once a month.', {'frequency': 'monthly'}),
    ('Payouts every Thursday.', {'frequency': 'weekly'}),
    ('Paid within 15 days of month-end.', {'frequency': 'monthly'}),
    ('Payment terms are Net 30.', {'frequency': 'net-30'}),
    ('Commission is payable 30 days after the end of each quarter.', {'frequency': 'quarterly'}),
    ('Payments are issued twice monthly.', {'frequency': 'semimonthly'}),
    ('We pay you daily.', {'frequency': 'daily'}),
    ('Yearly payouts are made in January.', {'frequency': 'annually'}),
    ('We pay by direct bank transfer (BACS) on the last working day of the month.',
     {'methods': ['bank'], 'frequency': 'monthly'}),
    ('We have two payment runs per month.', {"frequency": 'semimonthly'}),
    ('Payouts are released by the 10th of the current month.', {"frequency": 'monthly'}),
    ('You will be paid on the next 15th of a month.', {"frequency": 'monthly'}),
    ('Commissions are paid out every 3 months.', {"frequency": 'quarterly'}),
    ('Commissions are paid out every month.', {"frequency": 'monthly'}),
    ('We pay affiliates on the 15th of each month.', {"frequency": 'monthly'}),
    ('Payments go out within 30 days after the end of each month.', {"frequency": 'monthly'}),
    ('Payouts are processed bi-weekly.', {"frequency": 'biweekly'}),
    ('We pay twice a month, on the 1st and 15th.', {"frequency": 'semimonthly'}),
    ('Commissions are paid on a Net-30 basis.', {"frequency": 'net-30'}),
    ('Payment terms: NET 45.', {"frequency": 'net-45'}),
    ('Affiliates are paid each quarter.', {"frequency": 'quarterly'}),
    ('Earnings are paid out once per month via PayPal.', {"frequency": 'monthly', "methods": ['paypal']}),
    ('We send payments every two weeks.', {"frequency": 'biweekly'}),
    ('Payouts happen every Friday.', {"frequency": 'weekly'}),
    ('You can withdraw your earnings at any time.', {"frequency": 'on-request'}),
    ('Commissions are paid out 60 days after the end of the month in which they were earned.',
     {"frequency": 'monthly'}),
    ('Payments are made monthly, 45 days in arrears.', {"frequency": 'monthly'}),
    ('We process payouts at the beginning of every month.', {"frequency": 'monthly'}),
    ('Our affiliates get paid on a monthly basis.', {"frequency": 'monthly'}),
    ('Payouts are sent out weekly.', {"frequency": 'weekly'}),
    ('Payments are made within the first ten days of the following month.', {"frequency": 'monthly'}),
    ('We pay monthly on the 20th.', {"frequency": 'monthly'}),
    ('Commission payments are made every 30 days.', {"frequency": 'monthly'}),
    ('We pay by cheque once a month.', {"methods": ['check'], "frequency": 'monthly'}),
    ('Commissions are paid on the first Friday of every month.', {"frequency": 'monthly'}),
    ('We send your earnings during the first five business days of each month.', {"frequency": 'monthly'}),
    ('Payments are released in the second week of the following month.', {"frequency": 'monthly'}),
    ('You will receive your check monthly.', {"frequency": 'monthly', "methods": ['check']}),
    ('Partners receive their commission each semester.', {"frequency": 'semiannually'}),
    ('Payouts go out mid-month and at the end of the month.', {"frequency": 'semimonthly'}),
    ('Commissions are calculated monthly and paid out by bank transfer.',
     {"frequency": 'monthly', "methods": ['bank']}),
    ('Request a withdrawal whenever you like.', {"frequency": 'on-request'}),
    ('Your balance can be withdrawn at any time from your dashboard.', {"frequency": 'on-request'}),
    ('We pay out every other Tuesday.', {"frequency": 'biweekly'}),
    ('Payments are made 30 days after the end of each calendar month.', {"frequency": 'monthly'}),
    ('Affiliate payments are made quarterly by PayPal.', {"frequency": 'quarterly', "methods": ['paypal']}),
    ('Payouts are sent on Net 60 terms.', {"frequency": 'net-60'}),
    ('Payment date: the 10th of every month.', {"frequency": 'monthly'}),
    ('On the 5th of each month. That is when commissions are paid.', {"frequency": 'monthly'}),
]

# methods and their spellings: PayPal, bank / wire / BACS / SEPA / ACH, Payoneer, cheque / check (never the verb),
# gift cards, store credit, crypto, Wise, Skrill, WebMoney purses; negated ones are not methods
METHODS = [
    # FAQ answers and label | value cells
    ('Q: How will I be paid? A: By PayPal.', {'methods': ['paypal']}),
    ('Payment Method | Wire, PayPal, ACH', {'methods': ['wire', 'paypal', 'ach']}),
    ('You will receive store credit for every friend who orders.', {'methods': ['store_credit']}),
    ('Earn free products: every referral adds $10 to your shop balance.', {'methods': ['store_credit']}),
    ('Your referral credit is applied automatically to your next invoice.', {'methods': ['store_credit']}),
    ('The referrer receives 500 bonus points, worth $5 in store credit.', {'methods': ['store_credit']}),
    ('Payments go out via Payoneer or direct bank deposit (US only).', {'methods': ['payoneer', 'bank']}),
    ('A $5 fee applies to wire transfers under $500.', {'methods': ['wire']}),
    ('Payments are sent via PayPal Payouts.', {'methods': ['paypal']}),
    ('Available payout methods: Bank Transfer (SEPA), PayPal', {'methods': ['bank', 'paypal']}),
    ('Get paid by wire, ACH, or check.', {'methods': ['wire', 'ach', 'check']}),
    ('Payouts in Bitcoin only.', {'methods': ['crypto']}),
    ('Commissions are credited to your store account and can be spent on any product.',
     {'methods': ['store_credit']}),
    ('Paid through Payoneer or local bank transfer in INR.', {'methods': ['payoneer', 'bank']}),
    ('Rewards are issued as e-gift cards.', {'methods': ['gift_card']}),
    ('We pay affiliates with gift vouchers.', {'methods': ['gift_card']}),
    ('You will receive a gift certificate for every sale.', {'methods': ['gift_card']}),
    ('You receive a $20 credit towards your subscription for each referral.', {'methods': ['store_credit']}),
    ('Payment methods: PayPal, Payoneer, and Direct Bank Deposit', {'methods': ['paypal', 'payoneer', 'bank']}),
    ('Payouts via bank wire (international) or check (US only).', {'methods': ['wire', 'check']}),
    ('We pay by ACH/Direct deposit.', {'methods': ['ach']}),
    ('Cryptocurrency payouts (BTC/ETH/USDT) are available.', {'methods': ['crypto']}),
    ('Get paid via Paxum or Skrill.', {'methods': ['paxum', 'skrill']}),
    ('Payments by Western Union or Zelle.', {'methods': ['western_union', 'zelle']}),
    ('Withdraw via UPI, NEFT or IMPS.', {'methods': ['upi', 'bank']}),
    ('Commissions are paid in Amazon gift cards.', {'methods': ['gift_card']}),
    ('Payment options include PayPal and cheque.', {'methods': ['paypal', 'check']}),
    ('Commissions are paid through Tipalti, which supports PayPal and local bank transfers.',
     {'methods': ['tipalti', 'paypal', 'bank']}),
    ('Payment is made in the form of site credit.', {'methods': ['store_credit']}),
    # a voucher credited to the account is store credit even beside a bank payout; a credit note beside one is not
    ('Commissions are paid out quarterly to your bank account or credited to your account as a voucher.',
     {"methods": ['bank', 'store_credit'], "frequency": 'quarterly'}),
    ('We pay by SEPA transfer and send you a credit note for each payout.', {"methods": ['bank']}),
    ('You will receive a credit note for every referred studio.', {"methods": ['store_credit']}),
    ('We pay by PayPal or bank transfer.', {"methods": ['paypal', 'bank']}),
    ('Payments are sent via Payoneer, Wise or wire transfer.', {"methods": ['payoneer', 'wise', 'wire']}),
    ('UK affiliates are paid by BACS.', {"methods": ['bank']}),
    ('We pay via SEPA transfer to your IBAN.', {"methods": ['bank']}),
    ('US partners receive payments by ACH.', {"methods": ['ach']}),
    ('Commissions are mailed as a paper check.', {"methods": ['check']}),
    ('You can choose to be paid in Amazon gift cards or store credit.', {"methods": ['gift_card', 'store_credit']}),
    ('Payouts are made in Bitcoin or USDT.', {"methods": ['crypto']}),
    ('Withdraw to Skrill, Neteller or your bank account.', {"methods": ['skrill', 'neteller', 'bank']}),
    ('Payment options: PayPal, Direct Deposit, Check.', {"methods": ['paypal', 'ach', 'check']}),
    ('Payment methods: Paypal / Bank Wire / Payoneer', {"methods": ['paypal', 'wire', 'payoneer']}),
    ('We pay through TransferWise.', {"methods": ['wise']}),
    ('Earnings can be paid out via Venmo or Zelle.', {"methods": ['venmo', 'zelle']}),
    ('Payments are made through Tipalti.', {"methods": ['tipalti']}),
    ('Commissions are paid by electronic funds transfer.', {"methods": ['bank']}),
    ('Payouts are available by PayPal, Stripe, or crypto (BTC, ETH).', {"methods": ['paypal', 'stripe', 'crypto']}),
    ('We do not pay by check; all payouts go through PayPal.', {"methods": ['paypal']}),
    ('Payments via PayPal, Payoneer or SWIFT.', {"methods": ['paypal', 'payoneer', 'wire']}),
    ('Paid through Wise (formerly TransferWise).', {"methods": ['wise']}),
    ('We send your commission by bank wire.', {"methods": ['wire']}),
    ('Earnings are paid as Amazon vouchers.', {"methods": ['gift_card']}),
    ('Your rewards are added as credit to your account and can be spent on future orders.',
     {"methods": ['store_credit']}),
    ('We pay via WebMoney (WMZ) or Perfect Money.', {"methods": ['webmoney']}),
    ('Payouts in USDT (TRC20).', {"methods": ['crypto']}),
    ('We do not pay via PayPal; payments are sent by direct deposit.', {"methods": ['ach']}),
    ('Payment is sent by bank transfer or wire to your account.', {"methods": ['bank', 'wire']}),
    ('You can check your commission balance in the portal; payouts are sent by PayPal.', {"methods": ['paypal']}),
    ('To check your earnings, log in. We pay via Payoneer.', {"methods": ['payoneer']}),
    ('We will check every sale for fraud before paying you by bank transfer.', {"methods": ['bank']}),
    ('Withdrawals are made to your WMZ purse.', {"methods": ['webmoney']}),
    ('Refer a friend and earn a $25 Amazon gift card.', {"methods": ['gift_card']}),
]

# cookie windows: labels, "tracked for", "within N days of the click", "remembered / recognised for", "up to N days later"
COOKIE = [
    # FAQ answers and label | value cells
    ('Cookie Duration | 30 Days', {'cookie_days': 30}),
    ('Your referrals are tracked with a 60-day cookie and paid at 15%.', {'cookie_days': 60}),
    ('The link is valid for 24 hours.', {'cookie_days': 1}),
    ('Cookies last for 30 days, and commissions are paid 60 days after the sale.', {'cookie_days': 30}),
    ('Attribution: last click, 14-day window.', {'cookie_days': 14}),
    ('Any purchase made within 48 hours of the click earns commission.', {'cookie_days': 2}),
    ('Cookie length: 365 days', {'cookie_days': 365}),
    ('We offer a 90-day tracking window.', {'cookie_days': 90}),
    ('Your referral is tracked for two months.', {'cookie_days': 60}),
    ('Commission is paid on purchases made within 30 days of clicking your affiliate link.', {'cookie_days': 30}),
    # a link that credits sales is the tracking; a window read from wording alone yields to a cookie cue nearby
    ('This link will credit any sale from that customer within 90 days to you.', {'cookie_days': 90}),
    ('Your link credits you for purchases made within 60 days.', {'cookie_days': 60}),
    ('Our tracking cookie records the visit for 60 days. Buyers who order within 7 days of clicking your link count twice.',
     {'cookie_days': 60}),
    ('Our cookie duration is 60 days.', {'cookie_days': 60}),
    ('Cookie: 30d', {'cookie_days': 30}),
    ('Referral window - 90 days', {'cookie_days': 90}),
    ('We credit any sale made within 7 days after a visitor clicks your link.', {'cookie_days': 7}),
    ('Tracking lasts 45 days from the click.', {'cookie_days': 45}),
    ('Cookies are set for one year.', {'cookie_days': 365}),
    ('Our cookie lasts 30 days.', {"cookie_days": 30}),
    ('Cookie duration: 90 days', {"cookie_days": 90}),
    ('You earn commission on purchases made within 45 days of the click.', {"cookie_days": 45}),
    ('Referrals are tracked for 60 days.', {"cookie_days": 60}),
    ('Attribution window: 7 days', {"cookie_days": 7}),
    ('We use a 120-day cookie.', {"cookie_days": 120}),
    ('The tracking link stays active for 1 year.', {"cookie_days": 365}),
    ('Cookies expire after 24 hours.', {"cookie_days": 1}),
    ('Cookie life of 6 months.', {"cookie_days": 180}),
    ('If a visitor buys within 30 days of clicking your link, you get credit.', {"cookie_days": 30}),
    ('Cookie window: 45 days', {"cookie_days": 45}),
    ('The referral is remembered for 60 days after the first visit.', {"cookie_days": 60}),
    ('Your link will credit any purchase made within 30 days to you.', {"cookie_days": 30}),
    ('Purchases up to 14 days later are still credited to you through the cookie.', {"cookie_days": 14}),
    ('Tracking period: 90 days', {"cookie_days": 90}),
    ('Your visitor is remembered for 30 days.', {"cookie_days": 30}),
    ('Visitors are recognised by our system for 45 days after clicking your link.', {"cookie_days": 45}),
    ('If the customer comes back and orders up to 60 days later, you still get the commission.', {"cookie_days": 60}),
    ('Purchases made within 90 days of the first click are attributed to you.', {"cookie_days": 90}),
]

# decoys that state none of these fields: order values, bonuses, customer billing, refund windows, verbs
# whole passages: commission, cookie, schedule, threshold and methods side by side, with decoys
PASSAGES = [
    ('Earn 25% on every order. Our 45-day cookie means you get credit even if they come back later. '
     'Commissions are paid out monthly via PayPal once you hit $50.',
     {'cookie_days': 45, 'frequency': 'monthly', 'methods': ['paypal'], 'payout_minimum': 50, 'payout_currency': 'USD'}),
    ('How do I get paid? We send payments by bank transfer on the 10th of each month for the previous '
     "month's approved commissions. The minimum payout is £30; smaller balances roll over.",
     {'methods': ['bank'], 'frequency': 'monthly', 'payout_minimum': 30, 'payout_currency': 'GBP'}),
    ('Commission: 8% | Cookie: 60 days | Payout: Net-30 | Minimum: $100 | Methods: Check, Direct Deposit',
     {'cookie_days': 60, 'frequency': 'net-30', 'payout_minimum': 100, 'payout_currency': 'USD', 'methods': ['check', 'ach']}),
    ('Refer a friend and you both get $20 in account credit when they spend $100 or more within 30 days.',
     {'methods': ['store_credit']}),
    ('Our affiliates earn up to $200 per sale. Payments are processed every two weeks through Payoneer, '
     'with a $20 minimum.',
     {'frequency': 'biweekly', 'methods': ['payoneer'], 'payout_minimum': 20, 'payout_currency': 'USD'}),
    ('Sales are locked 30 days after the end of the month and paid on the 15th of the following month, '
     'provided your balance is at least €25.',
     {'frequency': 'monthly', 'payout_minimum': 25, 'payout_currency': 'EUR'}),
    ('The tracking cookie is valid for 30 days. If a customer returns within that period and purchases, '
     'you earn 10%. Refunds within 14 days are deducted.',
     {'cookie_days': 30}),
    ('We pay 30% recurring for 12 months. Payouts: PayPal or Wise, paid on the 1st business day of each '
     'month, $25 threshold.',
     {'methods': ['paypal', 'wise'], 'frequency': 'monthly', 'payout_minimum': 25, 'payout_currency': 'USD'}),
    ('Partners receive a 20% commission on the first year of subscription. Commissions are paid quarterly '
     'by wire transfer. There is no minimum payout.',
     {'frequency': 'quarterly', 'methods': ['wire']}),
    ('For example, if you refer 10 customers who each spend $100, you earn $150. Payouts are made at the '
     'end of each month.',
     {'frequency': 'monthly'}),
    ("You'll get $50 for each new merchant. We pay out via ACH within 30 days of the merchant's first "
     'payment.',
     {'methods': ['ach']}),
]

NOT_STATED = [
    ('We pay affiliates after a 30-day hold.', {}),
    ('The hold period is 14 days.', {}),
    # FAQ answers and label | value cells
    ('The cookie never expires.', {}),
    # earnings claims are no balance to reach, even beside a schedule
    ('Top affiliates hit $10,000 a month and get paid weekly.', {'frequency': 'weekly'}),
    ('Our best partners earn over $5,000 in commissions every month, paid by PayPal.',
     {'frequency': 'monthly', 'methods': ['paypal']}),
    ('Payouts are made for any amount, with no minimum threshold.', {}),
    ('Customers get $10 off orders over $50.', {}),
    ('Affiliates earning more than $1,000 per month get a dedicated manager.', {}),
    ('Gift cards are excluded from commission.', {}),
    ('You must refer at least 3 people before your first payout.', {}),
    ('Our average order value is $120 and we pay 10% per sale.', {}),
    ('You must sell at least $500 a month to reach Gold tier.', {}),
    ('Spend $50 or more and get 10% off.', {}),
    ('The refund period is 30 days.', {}),
    ('Commissions are locked after 60 days.', {}),
    ('Customers pay monthly.', {}),
    ('We need your tax form before paying more than $600.', {}),
    ('You need 3 sales to qualify for a payout.', {}),
    ('Our top affiliates hit $10,000 a month in sales.', {}),
    ('Orders totalling $200 or more ship free.', {}),
    ('Commissions accrue on every sale, and a typical order is $80.', {}),
    ('You get 20% of every payment your referral makes, with a total of $500 possible per referral.', {}),
    ('Customers who spend over $100 get free shipping.', {}),
    ('Earn $100 for every customer who signs up.', {}),
    ('No minimum payout - we pay every cent you earn.', {}),
    ('Commissions are approved after a 30-day return period.', {}),
    ('Payments are held for 14 days before approval.', {}),
    ('Customers pay monthly for the service.', {}),
    ('You can track your earnings daily in the dashboard.', {}),
    ('We pay by Interac e-Transfer.', {}),
    ('You can check your stats at any time.', {}),
    ('Please check the dashboard to see your payments.', {}),
    ('You will not receive cash or gift cards for reviews.', {}),
    ('Refunds are possible within 30 days of purchase.', {}),
    ('We pay commissions for orders over $50.', {}),
    ('Earn a $50 bonus after your first 10 sales.', {}),
    ('Commissions become payable 30 days after the sale.', {}),
    ('Returns are accepted up to 30 days later.', {}),
]


@pytest.mark.parametrize(("text", "stated"), PAYOUT_MINIMUM + SCHEDULE + METHODS + COOKIE + PASSAGES + NOT_STATED)
def test_payout_fields(text, stated):
    assert _payout_fields(text) == _expected(stated)


def test_spelled_minimum_keeps_its_span():
    text = "We will not issue a payment until your commissions total fifty dollars."
    terms = extract_terms(text)
    assert terms.payout_minimum is not None and terms.payout_minimum.value == 50.0
    start, end = terms.payout_minimum.span
    assert text[start:end] == "fifty dollars"


def test_two_minimums_with_a_clear_balance_word_pick_the_balance():
    # a volume bonus threshold before the payout threshold is not the payout minimum
    text = ("Partners with referred sales of at least $2,000 in a month earn a $150 bonus. "
            "We pay via PayPal on the 1st of each month once your balance is at least $40.")
    got = _payout_fields(text)
    assert (got["payout_minimum"], got["payout_currency"], got["frequency"]) == (40.0, "USD", "monthly")
