"""Dork query templates: `"{niche}" "affiliate program" commission` x niches -> concrete queries.

Why templates in config: which phrasings surface programs changes per engine and per niche, so a
marketer tunes them in ray_config.yaml without code. Expansion is deterministic and de-duplicated
(two niches that normalize the same never cost two requests) and bounded by `max_queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class DorkQuery:
    text: str
    niche: str
    template: str


def clean_niche(niche: str) -> str:
    """Collapse whitespace and drop quote characters, which would break the template's own quoting."""
    return " ".join(niche.replace('"', " ").split())


def expand(templates: Sequence[str], niches: Iterable[str], max_queries: int | None = None) -> list[DorkQuery]:
    """Every template for every niche, niche-major (so a cap still covers the first niches fully)."""
    out: list[DorkQuery] = []
    seen: set[str] = set()
    for raw in niches:
        niche = clean_niche(raw)
        if not niche:
            continue
        for template in templates:
            if "{niche}" not in template:
                raise ValueError(f"dork template {template!r} must contain {{niche}}")
            text = " ".join(template.replace("{niche}", niche).split())
            key = text.lower()
            if key in seen:
                continue
            seen.add(key)
            out.append(DorkQuery(text=text, niche=niche, template=template))
            if max_queries is not None and len(out) >= max_queries:
                return out
    return out
