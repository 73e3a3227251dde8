"""Merchant URL -> registered domain, offline (tldextract with its bundled public-suffix list)."""

from __future__ import annotations

from functools import lru_cache

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


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
