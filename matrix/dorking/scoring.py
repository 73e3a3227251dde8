"""How likely a search hit is an affiliate program's own page - transparent signals, not a model.

Why hand-set signals: there is no labelled data for "is this a signup page", and a marketer has
to be able to read why a candidate scored 0.8. Each signal adds a fixed weight; the total is
clamped to [0, 1]. Directories, social sites and forums are excluded outright: they *list*
programs (we crawl the good ones as sources) but are never the program itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

AFFILIATE_PATH = re.compile(r"affiliat|partner|referr|ambassador|creator-program|influencer", re.I)
PROGRAM_PHRASE = re.compile(r"affiliate program|partner program|referral program|become an? (?:affiliate|partner)|"
                            r"join (?:our|the) (?:affiliate|partner)|affiliate network", re.I)
COMMISSION_EVIDENCE = re.compile(r"\d+(?:\.\d+)?\s?%|commission|per sale|recurring|cookie|payout|\$\s?\d+", re.I)

# Registered domains that list or discuss programs but are not merchants.
EXCLUDED_DOMAINS = frozenset({
    "reddit.com", "youtube.com", "wikipedia.org", "linkedin.com", "facebook.com", "twitter.com", "x.com",
    "quora.com", "medium.com", "pinterest.com", "instagram.com", "tiktok.com", "github.com",
    "affplus.com", "offervault.com", "odigger.com", "affiliateprograms.com", "affiliatefix.com",
    "clickbank.com", "shareasale.com", "awin.com", "cj.com", "impact.com", "partnerstack.com",
    "google.com", "bing.com", "duckduckgo.com", "amazon.com",
})

W_PATH, W_PHRASE, W_COMMISSION, W_NICHE, W_RANK, W_EXTRA_QUERY, MAX_EXTRA = 0.35, 0.30, 0.20, 0.10, 0.05, 0.05, 0.15


@dataclass(frozen=True)
class DorkHit:
    """One result of one query as the engine returned it."""

    url: str
    title: str
    snippet: str
    query: str
    niche: str
    rank: int  # 0-based position in that query's results
    engine: str


def score_hit(hit: DorkHit, results_per_query: int, extra_queries: int = 0) -> tuple[float, list[str]]:
    """(score, reasons). `extra_queries`: how many other queries found the same domain."""
    reasons: list[str] = []
    score = 0.0
    path = urlsplit(hit.url).path + " " + (urlsplit(hit.url).hostname or "").split(".")[0]
    text = f"{hit.title} {hit.snippet}"
    if AFFILIATE_PATH.search(path):
        score += W_PATH
        reasons.append("affiliate url")
    if PROGRAM_PHRASE.search(text):
        score += W_PHRASE
        reasons.append("program phrase")
    if COMMISSION_EVIDENCE.search(text):
        score += W_COMMISSION
        reasons.append("commission terms")
    if hit.niche and all(w.lower() in text.lower() for w in hit.niche.split()):
        score += W_NICHE
        reasons.append("niche mentioned")
    score += W_RANK * max(0.0, 1.0 - hit.rank / max(1, results_per_query))
    if extra_queries:
        score += min(MAX_EXTRA, W_EXTRA_QUERY * extra_queries)
        reasons.append(f"found by {extra_queries + 1} queries")
    return min(1.0, round(score, 4)), reasons
