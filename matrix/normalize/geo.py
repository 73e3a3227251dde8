"""Geo text -> ISO 3166-1 alpha-2 ("US, CA, UK", "United States", "Worldwide except Russia", "UAE").

Country data comes from pycountry (maintained ISO tables, offline), plus the non-ISO names
networks really use (UK, UAE, England, USA ...). Rules that keep guesses out:
- two- and three-letter codes count only in capitals ("in", "no", "us" in prose are words);
- in prose, capitalised words that are also codes (NO, IN, IT ...) count only when the whole
  text is a list of codes;
- "Worldwide"/"Global" expands to every ISO country minus the exclusions, so a country filter
  finds worldwide programs; vague regions ("Tier 1", "Europe", "LATAM") are not expanded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypedDict

import pycountry

ALIASES: dict[str, str] = {
    "uk": "GB", "u.k.": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "great britain": "GB", "britain": "GB", "united kingdom": "GB",
    "uae": "AE", "u.a.e.": "AE", "emirates": "AE", "united arab emirates": "AE", "dubai": "AE",
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "united states of america": "US", "united states": "US",
    "russia": "RU", "south korea": "KR", "korea": "KR", "north korea": "KP", "vietnam": "VN", "iran": "IR",
    "czech republic": "CZ", "czechia": "CZ", "holland": "NL", "the netherlands": "NL", "turkey": "TR",
    "türkiye": "TR", "turkiye": "TR", "ivory coast": "CI", "macedonia": "MK", "taiwan": "TW", "laos": "LA",
    "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "syria": "SY", "moldova": "MD", "brunei": "BN",
    "cape verde": "CV", "swaziland": "SZ", "burma": "MM", "palestine": "PS", "vatican": "VA",
    "hong kong": "HK", "macau": "MO", "el": "GR", "deutschland": "DE", "espana": "ES", "españa": "ES",
}
# Well-defined groups only; each expands to its members.
REGIONS: dict[str, list[str]] = {
    "eu": ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
           "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"],
    "dach": ["DE", "AT", "CH"],
    "benelux": ["BE", "NL", "LU"],
    "nordics": ["DK", "FI", "IS", "NO", "SE"],
    "scandinavia": ["DK", "NO", "SE"],
    "gcc": ["AE", "BH", "KW", "OM", "QA", "SA"],
}
REGIONS["european union"] = REGIONS["eu"]
REGIONS["nordic"] = REGIONS["nordics"]


class GeoTokens(TypedDict):
    worldwide: set[str]  # tokens meaning "every country"
    ignore: set[str]  # pseudo-codes that carry no country
    regions: dict[str, list[str]]  # region token -> country codes


@lru_cache(maxsize=1)
def geo_tokens() -> GeoTokens:
    """matrix/data/normalize/geo_tokens.yaml: worldwide tokens, ignorable pseudo-codes, regions."""
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("matrix").joinpath("data/normalize/geo_tokens.yaml").read_text("utf-8")) or {}
    return {"worldwide": {str(t).upper() for t in data.get("worldwide") or []},
            "ignore": {str(t).upper() for t in data.get("ignore") or []},
            "regions": {str(k).upper(): [_code(c) for c in v] for k, v in (data.get("regions") or {}).items()}}


def _code(c: object) -> str:
    """A country code from YAML, where an unquoted NO would arrive as False."""
    if isinstance(c, bool):
        return "NO" if c is False else "YES"
    return str(c).upper()


def _token_list(raw: str) -> list[str] | None:
    """The tokens of a code list ("US, IN, O1", "WW", "EU|LATAM"), or None when `raw` is prose."""
    toks = [t.strip(" .:").rstrip("-") for t in re.split(r"[\s,;/|+]+", raw) if t.strip(" .:-")]
    if not toks:
        return None
    tables = geo_tokens()
    known = tables["worldwide"] | tables["ignore"] | set(tables["regions"])
    for t in toks:
        u = t.lstrip("-!").upper()
        if not (re.fullmatch(r"[A-Z]{2,3}", t.lstrip("-!")) or u in known):
            return None
    return toks
_AMBIGUOUS_CODES = {"NO", "OR", "IN", "TO", "AT", "BE", "IT", "IS", "AS", "AM", "ME", "MY", "SO", "GO", "AN", "ID",
                    "PM", "TV", "AI", "AD", "CO", "DO", "LA", "MS", "PA", "PE", "SE", "TM", "BY", "CI", "GA", "AND",
                    "ARE", "CAN", "PER", "MAR", "DOM", "COM", "TON", "NOR", "FIN", "GIB", "BEL", "CHE", "ALL", "PPC",
                    "CPA", "CPL", "CPS", "EPC", "USD", "EUR", "GBP", "AUD", "CAD"}
_WORLDWIDE = re.compile(r"\b(?:worldwide|world[\s-]wide|global(?:ly)?|all (?:countries|geos?|regions)|international(?:ly)?|"
                        r"any (?:country|geo)|everywhere|\bintl\b)|^\s*(?:all|any|ww)\s*$", re.I)
_EXCEPT = re.compile(r"\b(?:except(?: for)?|excluding|excl\.?|exclude[sd]?|not (?:allowed|accepted|available)(?: in)?|"
                     r"restricted(?: countries)?|forbidden|prohibited|blocked|but not|other than|without|no traffic from)\b"
                     r"\s*:?", re.I)


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], set[str], dict[str, str], re.Pattern[str]]:
    names: dict[str, str] = {}
    alpha2: set[str] = set()
    alpha3: dict[str, str] = {}
    for c in pycountry.countries:
        alpha2.add(c.alpha_2)
        alpha3[c.alpha_3] = c.alpha_2
        for attr in ("name", "common_name", "official_name"):
            n = getattr(c, attr, None)
            if n:
                names[n.lower()] = c.alpha_2
                if "," in n:  # "Korea, Republic of" -> also "Korea"
                    names.setdefault(n.split(",")[0].strip().lower(), c.alpha_2)
    names.update(ALIASES)
    keys = sorted(set(names) | set(REGIONS), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w])", re.I)
    return names, alpha2, alpha3, pattern


def all_countries() -> list[str]:
    return sorted(_tables()[1])


def _codes_in(text: str) -> list[str]:
    """Countries named in `text`, in order, without guessing at lower-case codes."""
    names, alpha2, alpha3, pattern = _tables()
    tokens = [t for t in re.split(r"[\s,;/|&+()\[\]]+|\band\b|\bor\b", text) if t.strip(" .:-")]
    only_codes = bool(tokens) and all(re.fullmatch(r"[A-Z]{2,3}", t.strip(" .:-")) for t in tokens)
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    for m in pattern.finditer(text):
        key = m.group(0).lower()
        if len(key) <= 3 and not m.group(0).isupper() and key not in ("uae", "usa"):
            continue  # "uk"/"eu"/"el" are codes: capitals only
        codes = REGIONS.get(key) or [names[key]]
        found.extend((m.start(), c) for c in codes)
        spans.append(m.span())
    for m in re.finditer(r"(?<![\w])([A-Z]{2,3})(?![\w])", text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        code = m.group(1)
        if code in _AMBIGUOUS_CODES and not only_codes:
            continue
        if len(code) == 2 and code in alpha2:
            found.append((m.start(), code))
        elif len(code) == 3 and code in alpha3:
            found.append((m.start(), alpha3[code]))
    out: list[str] = []
    for _, c in sorted(found, key=lambda x: x[0]):
        if c not in out:
            out.append(c)
    return out


@dataclass
class GeoTerms:
    allowed: list[str] = field(default_factory=list)   # empty = unknown (or worldwide, see below)
    excluded: list[str] = field(default_factory=list)
    worldwide: bool | None = None
    raw: str | None = None

    def allowed_expanded(self) -> list[str]:
        """What to store in `geo_allowed`: worldwide becomes every country minus the exclusions."""
        if self.worldwide:
            return [c for c in all_countries() if c not in set(self.excluded)]
        return list(self.allowed)


def _parse_code_list(raw: str, toks: list[str]) -> GeoTerms:
    """A list of codes and tokens: every ISO code counts (IN, IT, NO are countries here), pseudo
    codes (O1, A1 ...) are skipped, regions expand, WW/ALL means worldwide, "-RU" excludes."""
    tables = geo_tokens()
    alpha2, alpha3 = _tables()[1], _tables()[2]
    allowed: list[str] = []
    excluded: list[str] = []
    worldwide = None
    for t in toks:
        neg = t[:1] in "-!"
        u = t.lstrip("-!").upper()
        if u in tables["worldwide"]:
            worldwide = True
            continue
        if u in tables["ignore"]:
            continue
        codes = tables["regions"].get(u)
        if codes is None:
            code = u if (len(u) == 2 and u in alpha2) else (alpha3.get(u) or _tables()[0].get(u.lower()))
            codes = [code] if code else []
        target = excluded if neg else allowed
        for c in codes:
            if c not in target:
                target.append(c)
    allowed = [c for c in allowed if c not in excluded]
    if worldwide:
        allowed = []
    elif not allowed and excluded:
        worldwide = True
    return GeoTerms(allowed=allowed, excluded=excluded, worldwide=worldwide, raw=raw)


def parse_geo(text: str | list[str] | None) -> GeoTerms:
    if text is None:
        return GeoTerms()
    raw = text if isinstance(text, str) else ", ".join(str(t) for t in text)
    if not raw.strip():
        return GeoTerms(raw=raw)
    toks = _token_list(raw)
    if toks is not None:
        return _parse_code_list(raw, toks)
    m = _EXCEPT.search(raw)
    head, tail = (raw[: m.start()], raw[m.end():]) if m else (raw, "")
    worldwide = True if _WORLDWIDE.search(head) else None
    allowed = _codes_in(head)
    excluded = _codes_in(tail)
    # a leading "-" or "!" marks an exclusion in code lists some networks publish ("US, CA, -RU")
    for neg in re.finditer(r"(?:^|[\s,;])[-!]([A-Z]{2})\b", head):
        code = neg.group(1)
        if code in allowed:
            allowed.remove(code)
        if code not in excluded and code in _tables()[1]:
            excluded.append(code)
    if m and not allowed and worldwide is None and excluded:
        worldwide = True  # "All except RU" / "Excluding: RU, UA" means everywhere else
    if worldwide:
        allowed = []
    return GeoTerms(allowed=allowed, excluded=excluded, worldwide=worldwide, raw=raw)


def to_alpha2(text: str | None) -> str | None:
    """One country name or code -> alpha-2; None when it is not exactly one known country."""
    if not text:
        return None
    codes = _codes_in(text.strip())
    return codes[0] if len(codes) == 1 else None
