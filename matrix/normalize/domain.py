"""Merchant URL -> registered domain, offline (tldextract with its bundled public-suffix list).

`registered_domain` is plain URL -> domain. `merchant_domain` is what a listing's
merchant_domain (a blocking key of the resolver) must be: never a click tracker, redirector,
link shortener, app store or shared landing-page host. Two defences:
- a maintained list (matrix/data/normalize/tracking_hosts.txt), matched on the host and every
  parent domain; a redirect URL that carries its destination in a query parameter
  (?url=https://merchant...) yields the destination's domain instead;
- a rule for hosts nobody listed yet: `shared_hosts` finds domains that one batch of records uses
  for many unrelated products (offer aggregators send dozens of offers through one lander host).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable
from urllib.parse import parse_qsl, urlsplit

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
_DEST_PARAMS = ("url", "u", "dest", "destination", "redirect", "redirect_url", "redirect_uri", "target", "to", "link",
                "lp", "landing", "murl", "r")


@lru_cache(maxsize=65536)
def registered_domain(url: str | None) -> str | None:
    """'https://www.shop.example.co.uk/x' -> 'example.co.uk'; None when there is no real domain."""
    if not url:
        return None
    url = url.strip()
    if not url:
        return None
    parts = _EXTRACT(url)
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}".lower()


@lru_cache(maxsize=1)
def tracking_hosts() -> frozenset[str]:
    from importlib import resources

    text = resources.files("matrix").joinpath("data/normalize/tracking_hosts.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def is_tracking_host(url: str | None) -> bool:
    """Whether the URL's host (or any parent domain of it) is on the tracking/redirect list."""
    if not url:
        return False
    host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower().rstrip(".")
    if not host:
        return False
    labels = host.split(".")
    listed = tracking_hosts()
    return any(".".join(labels[i:]) in listed for i in range(len(labels) - 1))


@lru_cache(maxsize=65536)
def merchant_domain(url: str | None) -> str | None:
    """The merchant's registered domain behind a URL, or None for tracking/redirect/lander hosts."""
    if not url or not url.strip():
        return None
    url = url.strip()
    if is_tracking_host(url):
        for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=False):
            if k.lower() in _DEST_PARAMS and re.match(r"https?://", v, re.I) and not is_tracking_host(v):
                return registered_domain(v)
        return None
    return registered_domain(url)


def _name_words(name: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", name.lower()) if len(w) >= 3}


def shared_hosts(pairs: Iterable[tuple[str, str | None]], min_products: int = 5) -> set[str]:
    """Domains used as the merchant URL of at least `min_products` unrelated products.

    `pairs` are (product name, merchant domain). A product is related to a domain when its name
    contains the domain's label ("Shopify Plus" on shopify.com); only unrelated names count, so a
    brand with many offers on its own site is never taken for a shared lander."""
    names: dict[str, set[str]] = {}
    for name, dom in pairs:
        if not dom or not name:
            continue
        label = dom.split(".")[0].replace("-", "")
        words = _name_words(name)
        if label and any(label in w or w in label for w in words if len(w) >= 4):
            continue
        names.setdefault(dom, set()).add(" ".join(sorted(words)))
    return {d for d, ns in names.items() if len(ns) >= min_products}
