"""Label-based field extraction: find "Payout:", "Commission", "Cookie Duration" wherever the
page puts them, instead of absolute XPaths that break when a wrapper div is added.

A `Labels` index is built once per page; `get("Payout", "Commission")` returns the value next to
the first label found: <dt>/<dd>, <th>/<td>, "<b>Label:</b> value", "<span>Label</span><span>value</span>",
or "Label: value" in one element.
"""

from __future__ import annotations

import re
from typing import Iterable

from bs4 import BeautifulSoup, NavigableString, Tag

_CANDIDATES = ["dt", "th", "td", "strong", "b", "span", "label", "div", "li", "p", "h3", "h4", "h5", "h6", "em", "small"]
_BLOCKS = ["div", "p", "li", "ul", "ol", "table", "dl", "section", "article", "tr"]
_INLINE = {"a", "em", "i", "b", "strong", "span", "small", "abbr", "time", "sup", "sub", "code", "u"}


def soup_of(html: str | bytes) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def text_of(el: Tag | None) -> str | None:
    if el is None:
        return None
    t = " ".join(el.get_text(" ", strip=True).split())
    return t or None


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("\xa0", " ").split()).rstrip(":").strip()


_LABEL_VALUE = re.compile(r"^\s*([^:]{1,80}?)\s*:\s*(.+)$", re.S)
_BLOCK_SET = frozenset(_BLOCKS)


def _has_block(el: Tag) -> bool:
    return any(getattr(d, "name", None) in _BLOCK_SET for d in el.descendants)


class Labels:
    """Index of one page's label-like elements, built once, looked up many times.

    Why the two dicts: a scraper asks for ~10 fields with 2-4 label spellings each; scanning
    every element per spelling (and asking bs4 whether it holds a block) was most of the parse
    cost. Exact labels map to their elements in document order; "Label: value" elements that
    hold no block are split once into label -> value.
    """

    def __init__(self, root: Tag) -> None:
        self._exact: dict[str, list[Tag]] = {}
        self._inline: dict[str, str] = {}
        for el in root.find_all(_CANDIDATES):
            own = " ".join(el.get_text(" ", strip=True).split())
            if not own or len(own) > 400:
                continue
            n = _norm(own)
            self._exact.setdefault(n, []).append(el)
            if ":" in own:
                m = _LABEL_VALUE.match(own)
                if m and m.group(2).strip():
                    key = _norm(m.group(1))
                    if key not in self._inline and not _has_block(el):
                        self._inline[key] = m.group(2).strip()

    def get(self, *labels: str) -> str | None:
        wanted = [_norm(name) for name in labels]
        for lab in wanted:
            for el in self._exact.get(lab, ()):
                v = _value_after(el)
                if v:
                    return v
        for lab in wanted:
            v = self._inline.get(lab)
            if v:
                return v
        return None


def _value_after(el: Tag) -> str | None:
    if el.name == "dt":
        dd = el.find_next_sibling("dd")
        return text_of(dd)
    if el.name in ("th", "td"):
        td = el.find_next_sibling("td")
        return text_of(td)
    node: Tag = el
    for _ in range(3):  # label nested in wrappers: climb while the parent holds nothing else
        parts: list[str] = []
        for sib in node.next_siblings:
            if isinstance(sib, NavigableString):
                t = str(sib).strip().lstrip(":").strip()
                if t:
                    parts.append(t)
                continue
            if not isinstance(sib, Tag):
                continue
            if sib.name == "br":
                if parts:
                    break
                continue
            if not parts:
                return text_of(sib)
            if sib.name in _INLINE:
                inline = text_of(sib)
                if inline:
                    parts.append(inline)
            else:
                break
        if parts:
            return " ".join(parts)
        parent = node.parent
        if parent is None or _norm(parent.get_text(" ", strip=True)) != _norm(node.get_text(" ", strip=True)):
            return None
        node = parent
    return None


def first_text(root: Tag, selectors: Iterable[str]) -> str | None:
    """Text of the first element matching any CSS selector (ordered from specific to generic)."""
    for sel in selectors:
        el = root.select_one(sel)
        t = text_of(el)
        if t:
            return t
    return None


def links_matching(root: Tag, pattern: str, base: str) -> list[str]:
    """Absolute hrefs whose path matches `pattern`, in page order, without duplicates."""
    from urllib.parse import urldefrag, urljoin

    rx = re.compile(pattern)
    out: list[str] = []
    for a in root.find_all("a", href=True):
        href = urldefrag(urljoin(base, str(a["href"])))[0]
        if rx.search(href) and href not in out:
            out.append(href)
    return out


def next_page(root: Tag, base: str) -> str | None:
    """The pagination "next" link by rel, class or label, never by position."""
    from urllib.parse import urljoin

    el = root.select_one("a[rel~=next], link[rel~=next]")
    if el is None:
        for a in root.find_all("a", href=True):
            cls = " ".join(a.get("class") or []).lower()
            label = str(a.get("aria-label") or "").lower() + " " + a.get_text(" ", strip=True).lower()
            if "next" in cls or re.search(r"\bnext\b|›|»|→", label):
                el = a
                break
    if el is None or not el.get("href"):
        return None
    return urljoin(base, str(el["href"]))


def first_el(root: Tag, selectors: Iterable[str]) -> Tag | None:
    """The first element matching the first selector that matches anything (priority order,
    unlike a CSS selector list, which returns whichever comes first in the document)."""
    for sel in selectors:
        el = root.select_one(sel)
        if el is not None:
            return el
    return None


_NEXT_LABEL = re.compile(r"\bnext\b|›|»|→")


def list_page_links(html: str, pattern: str, base: str) -> tuple[list[str], str | None]:
    """`links_matching` + `next_page` for one list page, read with lxml directly.

    Why not the bs4 versions: list pages are read inside the crawl loop (their links decide what
    to fetch next), and a bs4 tree per list page was the loop's biggest CPU cost after HTTP.
    Same rules: hrefs matching `pattern` in page order without duplicates; next page by rel,
    then a "next" class or label. Falls back to bs4 for input lxml refuses."""
    from urllib.parse import urldefrag, urljoin

    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        if not html or not html.strip():
            return [], None
        soup = soup_of(html)
        return links_matching(soup, pattern, base), next_page(soup, base)
    rx = re.compile(pattern)
    out: list[str] = []
    seen: set[str] = set()
    anchors = [a for a in root.iter("a") if a.get("href") is not None]
    for a in anchors:
        href = urldefrag(urljoin(base, a.get("href")))[0]
        if href not in seen and rx.search(href):
            seen.add(href)
            out.append(href)
    nxt = None
    for el in root.iter("a", "link"):
        if "next" in (el.get("rel") or "").split():
            nxt = el
            break
    if nxt is None:
        for a in anchors:
            cls = (a.get("class") or "").lower()
            label = (a.get("aria-label") or "").lower() + " " + " ".join(
                t.strip() for t in a.itertext() if t.strip()).lower()
            if "next" in cls or _NEXT_LABEL.search(label):
                nxt = a
                break
    if nxt is None or not nxt.get("href"):
        return out, None
    return out, urljoin(base, nxt.get("href"))
