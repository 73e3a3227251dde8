"""Session 14: bans and payout methods as real network / program policy pages state them (not corpus quotes).

Every case quotes a short real phrasing, read from a stored public copy of the page named in its comment; the
expected value follows the labelling convention of tests/data/terms/README.md. The full list (with what the
extractor already read before this session) is kept beside the session notes in /tmp/s14policy/phrasings.md.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _restrictions(text: str) -> set[str]:
    return set(extract_terms(text).as_dict()["restrictions"] or [])


def _methods(text: str) -> set[str]:
    return set(extract_terms(text).as_dict()["methods"] or [])


BANS = [
    # https://ui.awin.com/merchant-profile-terms/69852 (Pet Supermarket PPC terms)
    ("Affiliates are restricted from bidding on brand terms (see PPC tab) on all search engines.", {"no-brand-bidding"}),
    # https://ui.awin.com/merchant-profile-terms/36264/affiliate
    ("Bidding on brand name, brand+category, or brand+product name is strictly prohibited.", {"no-brand-bidding"}),
    # https://ui.awin.com/merchant-profile-terms/95487
    ("Browser extension partners or browser extension partner features are not permitted.", {"no-toolbar"}),
    # https://ui.awin.com/merchant-profile-terms/61715/affiliate
    ("The terms prohibit trademark bidding.", {"no-brand-bidding"}),
    ("E-mail | Permissible only for opt-in lists with compliant messaging. No unsolicited email.", {"no-spam"}),
    # https://ui.awin.com/merchant-profile-terms/123900/affiliate
    ("No toolbars/pop-ups or brand PPC/direct linking.", {"no-toolbar", "no-pop", "no-brand-bidding"}),
    # https://ui.awin.com/merchant-profile-terms/122686/affiliate
    ("No unsolicited bulk email activity is permitted.", {"no-spam"}),
    ("No promotion on adult, gambling, illegal or age-restricted websites.", {"no-adult"}),
    ("No misleading claims about pricing, discounts, delivery times, stock levels or product performance.",
     {"no-misleading"}),
    # https://www.wptasty.com/knowledge-base/which-activities-are-prohibited
    ("We do not work with coupon sites or sites focused solely on promos.", {"no-coupon"}),
    ("We do not work with distributors of downloadable software, toolbars, browser helper objects, shopping "
     "assistance applications, etc.", {"no-toolbar"}),
    ("Paid search campaigns containing our trademarks are prohibited.", {"no-brand-bidding"}),
    # https://ui.awin.com/merchant-profile-terms/68436 (ShareASale IO terms)
    ("Prohibited Distribution: Search**, Toolbar, Network/ Rebrokering", {"no-search", "no-toolbar"}),
    # https://ui.awin.com/merchant-profile-terms/109440/affiliate
    ("Publishers may not run PPC ads on brand terms, use misleading or expired coupons, promote adult or restricted "
     "content, or use toolbars, browser extensions, or cookie stuffing.",
     {"no-brand-bidding", "no-misleading", "no-adult", "no-toolbar"}),     # "misleading ... coupons" is misleading
    # https://ui.awin.com/merchant-profile-terms/97029/affiliate
    ("No incentivized traffic, bot traffic, or cookie stuffing.", {"no-incent"}),
    # https://support.dcmnetwork.com/hc/en-us/articles/115004970514
    ("No Brand Keyword Bidding, Brand Bidding Misspelling, No Misleading, No Pop Ups / Pop Unders / No direct Pop "
     "windows", {"no-brand-bidding", "no-misleading", "no-pop"}),
    # http://menagroup.net/?p=1659
    ("Publishers are strictly prohibited from engaging in Ad hijacking, also known as brand poaching, direct linking, "
     "or URL jacking.", {"no-brand-bidding"}),
    # https://ui.awin.com/merchant-profile-terms/18273 (German)
    ("Brand-Bidding ist im Bereich Google Search nicht erlaubt.", {"no-brand-bidding"}),
    # https://pvn.ernstings-family.de/content-termsofuse.do
    ("Es ist untersagt, Cashback/Punkte für die Newsletter-Anmeldung zu geben.", {"no-incent"}),
    # https://inik.fr/termes-et-conditions-du-programme-daffiliation
    ("Il est interdit de faire de la publicité trompeuse ou mensongère sur nos produits ou notre marque.",
     {"no-misleading"}),
]

# what this session's vocabulary added (each missed before it)
NEW_BANS = [
    # https://ui.awin.com/merchant-profile-terms/87991 (ShareASale supplemental terms): a "Reward Site" is incentive
    ("You are prohibited from generating sales under the Agreement using any form of “Coupon Site” or “Reward Site.”",
     {"no-coupon", "no-incent"}),
    # https://support.dcmnetwork.com/hc/en-us/articles/115004970514: paid-to-click partners
    ("PTC partners not allowed", {"no-incent"}),
    # https://ui.awin.com/merchant-profile-terms/14377/affiliate: German "erotische" content
    ("Gewaltverherrlichende, erotische oder rechtsradikale Inhalte bzw. die Einbindung des Partnerprogramms als iFrame "
     "zum Zwecke des Cookie Droppings ist untersagt und führt zum Ausschluss vom Partnerprogramm.", {"no-adult"}),
    # https://yandex.ru/support/market-distr/rules.html: "Нельзя использовать" (may not be used) heads a ban list
    ("Нельзя использовать: Площадки, владельцами которых вы не являетесь; Онлайн-казино; Браузерные расширения, плагины "
     "и тулбары; SMS-рассылки и рассылки в мессенджерах; Сайты с контентом для взрослых; Кешбэк-трафик.",
     {"no-toolbar", "no-sms", "no-adult", "no-incent"}),
    # https://www.magyarbusiness.org/affiliate-iranyelvek: "may not take part in the partner programme"
    ("A következő típusú weboldalak nem vehetnek részt a partnerprogramban: \"Cash-back\" vagy utalványos oldalak; "
     "ár-összehasonlító oldalak; \"pop-upokat\" vagy \"pop-undereket\" használó webhelyek; szexuális, vallási, politikai "
     "vagy egyéb érzékeny témákkal kapcsolatos tartalmú oldalak.", {"no-incent", "no-coupon", "no-pop", "no-adult"}),
]

# a channel allowed, welcomed or left to approval is not banned
PERMISSIONS = [
    # https://ui.awin.com/merchant-profile-terms/119125/affiliate
    "We welcome Cashback partners. We are happy to discuss exclusive commission rates for your members.",
    "Email publishers are welcome. All lists must be fully opted-in & GDPR compliant.",
    # https://ui.awin.com/merchant-profile-terms/64008/ppc
    "Direct linking is encouraged. Links must direct to approved product pages only.",
    # https://ui.awin.com/merchant-profile-terms/39142/ppc
    "Direct-to-site linking is allowed and commissionable, provided all promotional activity follows our program terms.",
    # https://ui.awin.com/merchant-profile-terms/36264/affiliate
    "Affiliates are permitted to bid on brand+ keywords, such as brand+coupon, brand+voucher, brand+discount, etc.",
    # https://ui.awin.com/merchant-profile-terms/101039/affiliate
    "Cashback sites permitted with pre-approval only.",
    "Discount code sites permitted with pre-approval only.",
    # https://ui.awin.com/merchant-profile-terms/117831/affiliate
    "Loyalty and rewards platforms are accepted.",
    # https://ui.awin.com/merchant-profile-terms/96087/affiliate
    "Blogs, influencers, reviews, video content, social media creators all approved.",
    # https://ui.awin.com/merchant-profile-terms/68436
    "Approval Only: Email, Incent, Video",
    # https://yandex.ru/support2/business-distr/ru/rules ("only after agreement": mailings, push notifications)
    "Некоторые типы площадок можно подключить только после согласования: почтовые рассылки; пуш-уведомления.",
    # https://smartpickshub.in/?p=19699 (Amazon Associates summary)
    "Paid search ads are allowed for general keywords (e.g., “best laptops under 50k”) if the ad directs users to "
    "your site first.",
]

METHODS = [
    # https://support.mytemplatestorage.com/hc/en-us/articles/202859481-Payment-Details
    ("Moneybookers (recommended for non-US affiliates) - the fastest way to get paid.", {"skrill"}),
    # https://huelistmarket.com/affiliate-dashboard/
    ("We will pay all commissions in USD (via PayPal).", {"paypal"}),
    # https://help.videoplasty.com/en/docs/26-how-do-i-get-paid
    ("PayPal (minimum balance of $50) | bank transfer via Wise, formerly TransferWise (minimum balance of $100)",
     {"paypal", "bank", "wise"}),
    # https://www.hypnosisdownloads.com/faq/when-are-payments-made-and-how
    ("We can pay commission by PayPal or into a GBP bank account.", {"paypal", "bank"}),
    # https://help.systeme.io/article/701-how-to-find-the-bank-details-of-its-affiliates-to-pay-them
    ("They can choose to be paid by \"Wire transfer\" or \"PayPal\".", {"wire", "paypal"}),
    # https://moreniche.com/blog/affiliate-payments-top-10-frequently-asked-questions/
    ("Payoneer – same day; Wire – 1-13 working days; UK Bank Transfer – same day; Skrill – same day; Paxum – same day; "
     "Bitcoin – same day", {"payoneer", "wire", "bank", "skrill", "paxum", "crypto"}),
    # https://help.marketingsecrets.com/support/solutions/articles/150000189276-ms-tipalti
    ("Set your payment method as: ACH (Bank Draft), PayPal, ECheck, Paper Check, Wire Transfer",
     {"ach", "paypal", "check", "wire"}),
    # http://www.dhyana.ca/en/Affiliate-Policy-i12.html
    ("Commission will be paid by Cheque to Canadian affiliates.", {"check"}),
    # https://inik.fr/termes-et-conditions-du-programme-daffiliation
    ("Les paiements sont effectués par PayPal ou virement bancaire selon votre choix.", {"paypal", "bank"}),
    # https://partnernet.amazon.de/help/topic/t3/a11
    ("Wenn Sie sich für die Zahlung per Scheck entschieden haben, geben Sie Ihren gewünschten Mindestbetrag ein.",
     {"check"}),
    # https://germandropde.com/de/index/index.php/helpView.html?id=59
    ("Sie können wählen zwischen PayPal, GDWallet oder Banküberweisung für Ihre Auszahlung wählen.", {"paypal", "bank"}),
    # https://redhotleggings.com/terms-summary/ -- Interac is not in the methods list (the labelled rounds leave it out)
    ("You can choose to receive your payment via PayPal or Interac eTransfer", {"paypal"}),
]


@pytest.mark.parametrize(("text", "want"), BANS + NEW_BANS)
def test_real_ban_phrasings_are_read(text: str, want: set[str]) -> None:
    assert _restrictions(text) == want


@pytest.mark.parametrize("text", PERMISSIONS)
def test_permissions_and_approval_only_channels_are_not_bans(text: str) -> None:
    assert _restrictions(text) == set()


@pytest.mark.parametrize(("text", "want"), METHODS)
def test_real_payout_method_phrasings_are_read(text: str, want: set[str]) -> None:
    assert _methods(text) == want


def test_a_ban_phrasing_names_no_payout_method() -> None:
    # https://ui.awin.com/merchant-profile-terms/87991: "Reward Site" is a traffic type, not a way of being paid
    assert _methods("You are prohibited from generating sales under the Agreement using any form of “Coupon Site” "
                    "or “Reward Site.”") == set()
