"""One category taxonomy that every source maps into.

Directories each have their own category names ("Health & Fitness", "Nutra", "E-business &
E-marketing", "Developer Tools" ...). `map_category` turns any of them into one slug from
`TAXONOMY` by keyword rules checked from most to least specific; text that matches no rule
maps to None (unknown), never to a catch-all "other" that would look like information.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

# slug -> (label, parent group). Groups let a UI or a budget rule treat "all software" together.
TAXONOMY: dict[str, tuple[str, str]] = {
    "ai": ("AI", "software"),
    "developer-tools": ("Developer Tools", "software"),
    "web-hosting": ("Web Hosting & Infrastructure", "software"),
    "security-privacy": ("Security, VPN & Privacy", "software"),
    "marketing-tools": ("Marketing & SEO Tools", "software"),
    "email-marketing": ("Email Marketing", "software"),
    "social-media": ("Social Media", "software"),
    "sales-crm": ("Sales & CRM", "software"),
    "customer-support": ("Customer Support", "software"),
    "analytics": ("Analytics", "software"),
    "design": ("Design & Creative", "software"),
    "content-management": ("Websites & Content Management", "software"),
    "ecommerce-platforms": ("E-commerce Platforms", "software"),
    "productivity": ("Productivity & Collaboration", "software"),
    "hr-recruiting": ("HR, Jobs & Recruiting", "business"),
    "business-services": ("Business Services", "business"),
    "communication": ("Communication & Telephony", "software"),
    "software": ("Software & SaaS (general)", "software"),
    "finance": ("Finance, Banking & Accounting", "finance"),
    "investing-trading": ("Investing & Trading", "finance"),
    "crypto": ("Crypto", "finance"),
    "insurance": ("Insurance", "finance"),
    "loans-credit": ("Loans & Credit", "finance"),
    "gambling": ("Gambling & Betting", "entertainment"),
    "gaming": ("Video Games", "entertainment"),
    "entertainment": ("Entertainment, Streaming & Media", "entertainment"),
    "dating": ("Dating & Relationships", "lifestyle"),
    "adult": ("Adult", "lifestyle"),
    "health-wellness": ("Health & Wellness", "lifestyle"),
    "nutra": ("Nutrition & Supplements", "lifestyle"),
    "fitness": ("Fitness", "lifestyle"),
    "beauty": ("Beauty & Personal Care", "retail"),
    "fashion": ("Fashion & Apparel", "retail"),
    "home-garden": ("Home & Garden", "retail"),
    "electronics": ("Electronics & Computers", "retail"),
    "food-drink": ("Food & Drink", "retail"),
    "pets": ("Pets", "retail"),
    "kids-family": ("Kids, Baby & Family", "retail"),
    "sports-outdoors": ("Sports & Outdoors", "retail"),
    "automotive": ("Automotive", "retail"),
    "gifts-flowers": ("Gifts & Flowers", "retail"),
    "retail": ("Shopping & Retail (general)", "retail"),
    "travel": ("Travel", "lifestyle"),
    "education": ("Education & Courses", "lifestyle"),
    "self-help": ("Self-Help & Spirituality", "lifestyle"),
    "sweepstakes": ("Sweepstakes & Surveys", "lead-gen"),
    "mobile-apps": ("Mobile Apps & Utilities", "software"),
    "real-estate": ("Real Estate", "finance"),
    "legal": ("Legal", "business"),
}

# (pattern, slug), most specific first. Patterns run on lower-cased text.
_RULES: list[tuple[str, str]] = [
    (r"\bcrypto|bitcoin|blockchain|\bdefi\b|\bnft", "crypto"),
    (r"forex|trading|invest|stocks?\b|brokers?\b|binary option", "investing-trading"),
    (r"insurance", "insurance"),
    (r"loans?\b|credit cards?|credit repair|payday|mortgage|debt", "loans-credit"),
    (r"casino|betting|gambl|poker|sportsbook|igaming|lottery|bingo", "gambling"),
    (r"\badult\b|xxx|\bcams?\b|18\+", "adult"),
    (r"dating|relationship|singles", "dating"),
    (r"sweepstake|survey|giveaway|\bsweeps\b|\bsoi\b|\bdoi\b|\bzip submit", "sweepstakes"),
    (r"\bvpn\b|antivirus|cyber|security|privacy|password", "security-privacy"),
    (r"hosting|infrastructure|\bcloud\b|\bcdn\b|domains?\b|servers?\b|devops", "web-hosting"),
    (r"developer|\bdev tools|\bapi\b|programming|coding|\bdatabase", "developer-tools"),
    (r"\bai\b|artificial intelligence|machine learning|\bgpt|\bllm", "ai"),
    (r"e-?mail marketing|newsletter|autorespond", "email-marketing"),
    (r"social media|influencer", "social-media"),
    (r"\bcrm\b|\bsales\b|lead generation software|prospecting", "sales-crm"),
    (r"customer (?:support|service|success)|help ?desk|live chat", "customer-support"),
    (r"analytics|business intelligence|reporting tools?", "analytics"),
    (r"marketing|\bseo\b|advertising|e-business|affiliate tools|webinar", "marketing-tools"),
    (r"design|creative|photo|video editing|graphics|fonts?\b", "design"),
    (r"\bcms\b|content management|website builder|wordpress|blogging|landing page", "content-management"),
    (r"e-?commerce|online store|shopify|dropshipping|marketplace platform", "ecommerce-platforms"),
    (r"\bhr\b|recruit|employment|\bjobs?\b|payroll|hiring|careers?", "hr-recruiting"),
    (r"productivity|collaboration|project management|note|calendar|scheduling|office", "productivity"),
    (r"telephony|\bvoip\b|communication|messaging|video conferenc", "communication"),
    (r"accounting|bookkeeping|invoic|banking|\bbank\b|finance|financial|tax\b|payments?", "finance"),
    (r"real estate|property|realty", "real-estate"),
    (r"legal|lawyer|attorney", "legal"),
    (r"business operations|business services|business(?!\s*/\s*invest)|b2b|small business|consulting", "business-services"),
    (r"supplement|nutra|diet\b|weight loss|keto|vitamin|nutrition", "nutra"),
    (r"fitness|workout|gym\b|yoga|bodybuilding", "fitness"),
    (r"health|wellness|medical|pharma|\bcbd\b|dental|mental", "health-wellness"),
    (r"beauty|cosmetic|skin ?care|makeup|hair care|personal care|fragrance|perfume", "beauty"),
    (r"fashion|apparel|clothing|shoes|jewel|accessor|lingerie|watches", "fashion"),
    (r"home|garden|furniture|decor|kitchen|diy|tools & hardware|mattress", "home-garden"),
    (r"electronic|computers?|gadget|hardware|phones?\b|cameras?", "electronics"),
    (r"food|drink|wine|cooking|grocer|restaurant|coffee|beverage", "food-drink"),
    (r"\bpets?\b|\bdogs?\b|\bcats?\b|veterinar", "pets"),
    (r"\bbaby|kids|children|parenting|famil|toys?\b", "kids-family"),
    (r"sports?\b|outdoor|camping|fishing|hunting|cycling|golf", "sports-outdoors"),
    (r"\bauto\b|automotive|\bcars?\b|vehicle|motor", "automotive"),
    (r"gifts?\b|flowers?|florist", "gifts-flowers"),
    (r"travel|hotel|flights?|airline|vacation|tourism|car rental|cruise", "travel"),
    (r"education|courses?|e-?learning|languages?|tutoring|training|reference|university", "education"),
    (r"self[\s-]help|spirituality|new age|personal development|motivation|astrology|psychic", "self-help"),
    (r"video games?|gaming|\bgames?\b|esports", "gaming"),
    (r"entertainment|streaming|music|movies?|\btv\b|books?\b|ebooks?|magazine|arts?\b", "entertainment"),
    (r"mobile app|\bapps?\b|\bmobile\b|utilities", "mobile-apps"),
    (r"\bsaas\b|software", "software"),
    (r"shopping|retail|department store|coupons?|deals?\b|e-?shop|ecom\b", "retail"),
]
_COMPILED = [(re.compile(p), slug) for p, slug in _RULES]


def _key(text: str) -> str:
    """Spelling-insensitive key: "Weight-Loss", "weightloss", "Weight Loss" -> "weightloss"."""
    return re.sub(r"[^a-z0-9+]+", "", text.lower())


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """matrix/data/normalize/category_synonyms.yaml as key -> slug (every slug checked against TAXONOMY)."""
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("matrix").joinpath("data/normalize/category_synonyms.yaml").read_text("utf-8"))
    out: dict[str, str] = {}
    for slug, words in (data or {}).items():
        if slug not in TAXONOMY:
            raise ValueError(f"category_synonyms.yaml: {slug!r} is not a taxonomy slug")
        for w in words:
            out.setdefault(_key(str(w)), slug)
    return out


@lru_cache(maxsize=8192)
def map_category(text: str | None) -> str | None:
    """One source category string -> taxonomy slug, or None when no rule applies.

    Order: a slug itself; the whole string as a known synonym ("Weightloss", "Nutra", "Biz Opp");
    the keyword rules, most specific first; then any single word or word pair that is a synonym
    ("Weightloss Offers")."""
    if not text:
        return None
    t = " ".join(str(text).lower().replace("_", " ").split())
    if not t:
        return None
    if t in TAXONOMY:
        return t
    syn = synonyms()
    whole = syn.get(_key(t))
    if whole:
        return whole
    for pattern, slug in _COMPILED:
        if pattern.search(t):
            return slug
    words = [w for w in re.split(r"[^a-z0-9+]+", t) if w]
    for i in range(len(words)):
        for n in (2, 1):
            hit = syn.get("".join(words[i:i + n])) if i + n <= len(words) else None
            if hit:
                return hit
    return None


def map_categories(values: Iterable[str | None]) -> list[str]:
    """Several source categories (breadcrumbs, tags) -> unique slugs, first-named first."""
    out: list[str] = []
    for v in values:
        slug = map_category(v)
        if slug and slug not in out:
            out.append(slug)
    return out


def parent_of(slug: str | None) -> str | None:
    return TAXONOMY[slug][1] if slug in TAXONOMY else None
