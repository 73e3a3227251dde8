"""Synthetic canonical programs for index tests and the search benchmark.

Why here and not in tests: the benchmark (`bench/search_speed.py`) and the tests need the same
realistic shape (skewed categories, unknown terms, several networks, clustered vectors), and
both import the library. Vectors are random but clustered per category, like real sentence
embeddings, so an IVF index behaves as it would on real data (uniform noise would not).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Iterator

import numpy as np

from matrix.models import Approval, Commission, CommissionModel, PayoutType, Program

CATEGORIES = [
    "software", "finance", "travel", "health", "beauty", "fashion", "home", "education",
    "gaming", "pets", "sports", "food", "electronics", "marketing", "hosting", "crypto",
]
NETWORKS = ["awin", "cj", "impact", "rakuten", "shareasale", "partnerstack", "tune", "everflow"]
COUNTRIES = ["US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "SE", "BR", "IN", "JP"]
_TOPIC_WORDS = {
    "software": ["crm", "analytics", "automation", "saas", "workflow", "api"],
    "finance": ["banking", "credit", "loans", "investing", "budget", "card"],
    "travel": ["hotel", "flights", "booking", "vacation", "luggage", "tours"],
    "health": ["vitamins", "fitness", "wellness", "supplements", "sleep", "yoga"],
    "beauty": ["skincare", "makeup", "haircare", "fragrance", "nails", "spa"],
    "fashion": ["shoes", "apparel", "jewelry", "watches", "denim", "handbags"],
    "home": ["furniture", "garden", "kitchen", "mattress", "decor", "lighting"],
    "education": ["courses", "tutoring", "language", "certification", "coding", "exam"],
    "gaming": ["esports", "consoles", "mods", "headsets", "streaming", "rpg"],
    "pets": ["dog", "cat", "petfood", "grooming", "aquarium", "vet"],
    "sports": ["cycling", "running", "golf", "camping", "outdoor", "ski"],
    "food": ["meal", "coffee", "wine", "organic", "snacks", "recipes"],
    "electronics": ["laptop", "camera", "audio", "phone", "drone", "smart"],
    "marketing": ["seo", "email", "ads", "social", "funnel", "leads"],
    "hosting": ["vps", "domain", "cloud", "wordpress", "cdn", "server"],
    "crypto": ["wallet", "exchange", "bitcoin", "defi", "staking", "nft"],
}
_SYLLABLES = ["ka", "lo", "mi", "ra", "ze", "tu", "vo", "pi", "xa", "ne", "do", "fy", "lu", "qu", "be", "so"]
_SUFFIXES = ["ly", "io", "hub", "labs", "pro", "go", "ify", "base", "works", "stack"]
_CATEGORY_WEIGHTS = [1.0 / (k + 1) for k in range(len(CATEGORIES))]
BASE_DATE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def _brand(rng: random.Random) -> str:
    core = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    return (core + rng.choice(_SUFFIXES)).capitalize()


def _commission(rng: random.Random) -> Commission:
    kind = rng.random()
    if kind < 0.15:
        return Commission()  # unknown terms: a real share of listings publish none
    if kind < 0.70:
        pmin = round(rng.uniform(2, 40), 1)
        pmax = round(pmin + rng.choice([0, 0, 5, 10]), 1)
        return Commission(model=CommissionModel.PERCENT, percent_min=pmin, percent_max=pmax,
                          payout_type=PayoutType.CPS, recurring=rng.random() < 0.3, raw=f"{pmin}-{pmax}%")
    if kind < 0.90:
        flat = round(rng.uniform(5, 200), 0)
        return Commission(model=CommissionModel.FLAT, flat_min=flat, flat_max=flat, currency="USD",
                          payout_type=PayoutType.CPA, raw=f"${flat:.0f} per sale")
    pct = round(rng.uniform(5, 25), 1)
    return Commission(model=CommissionModel.HYBRID, percent_min=pct, percent_max=pct, flat_min=10.0,
                      flat_max=10.0, currency="USD", raw=f"{pct}% + $10")


def synthetic_program(i: int, rng: random.Random) -> Program:
    # Zipf category skew (the first is ~30 %), as in real directories.
    cat = rng.choices(CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
    words = rng.sample(_TOPIC_WORDS[cat], 3)
    brand = _brand(rng)
    nets = rng.sample(NETWORKS, rng.choice([1, 1, 1, 2, 2, 3]))
    geo = [] if rng.random() < 0.25 else sorted(rng.sample(COUNTRIES, rng.randint(1, 6)))
    cookie = None if rng.random() < 0.2 else float(rng.choice([0, 1, 7, 14, 30, 30, 45, 60, 90, 120, 365]))
    verified = None if rng.random() < 0.1 else BASE_DATE + dt.timedelta(days=rng.randint(0, 400))
    return Program(
        program_id=f"p{i:07d}",
        name=f"{brand} {words[0].capitalize()}",
        aliases=[brand] if rng.random() < 0.3 else [],
        merchant_domain=f"{brand.lower()}.com",
        url=f"https://{brand.lower()}.com",
        networks=nets,
        category=cat,
        categories=[cat],
        tags=words[1:],
        commission=_commission(rng),
        cookie_days=cookie,
        geo_allowed=geo,
        approval=rng.choice([Approval.AUTO, Approval.MANUAL, Approval.MANUAL, Approval.INVITE, Approval.UNKNOWN]),
        epc=None if rng.random() < 0.5 else round(rng.uniform(0.01, 3.0), 2),
        description=f"{brand} offers {words[0]} and {words[1]} for {cat} fans; partners earn on {words[2]} sales.",
        last_verified=verified,
        sources=[f"{n}" for n in nets],
        listing_keys=[f"{n}:{i}" for n in nets],
        quality=round(rng.uniform(0.3, 1.0), 2),
    )


def synthetic_programs(n: int, seed: int = 0, start: int = 0) -> Iterator[Program]:
    rng = random.Random(seed * 1_000_003 + start)
    for i in range(start, start + n):
        yield synthetic_program(i, rng)


def clustered_vectors(categories: list[str | None], dim: int = 384, seed: int = 0, noise: float = 0.6) -> np.ndarray:
    """Unit vectors scattered around one centroid per category (plus sub-topics inside it)."""
    rng = np.random.default_rng(seed)
    names = sorted({c or "" for c in categories})
    centroids = {c: rng.standard_normal(dim).astype(np.float32) for c in names}
    subtopics = rng.standard_normal((64, dim)).astype(np.float32) * 0.7
    out = np.empty((len(categories), dim), dtype=np.float32)
    sub_ids = rng.integers(0, len(subtopics), size=len(categories))
    noise_m = rng.standard_normal((len(categories), dim)).astype(np.float32) * noise
    for i, c in enumerate(categories):
        out[i] = centroids[c or ""] + subtopics[sub_ids[i]] + noise_m[i]
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out
