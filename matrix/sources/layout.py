"""One generic extractor for directory detail pages, driven by a declarative `SiteSpec`.

Why: directories redesign. Class names are hashed, wrappers are added, a definition list becomes
a table (sometimes a transposed one), stat cards put the value above its caption, labels gain
tooltip icons and new wordings ("Cookie Life", "Min. Payout"). A scraper that looks for one exact
label in one structure loses those fields silently. This module reads *every* label/value pair a
page offers, whatever the structure, and matches labels by normalized tokens against a shared
vocabulary (`matrix/data/sources/field_labels.yaml`); a site is then just data: where its main
content is, which fields it publishes, any extra label spellings and selectors.

Structures read (all inside the main-content region):
  <dt>/<dd> · row tables (<th>|<td> label, <td> value) · column (transposed) tables (a header row
  of labels over one row of values) · label element followed by its value (any tags, wrappers
  climbed) · value-before-label cards (the caption after the number) · "Label: value" and
  "Label – value" text (also several per element, split at <br>) · label/value in data
  attributes (data-label / data-field / data-title with the text or data-value).

Whose values: a pair found inside a block that links other detail pages or is headed "similar /
related / other programs" belongs to *another* program and is never used; a pair inside an
aside-like block (aside, role=complementary, "sidebar"/"widget" classes) is used only when the
page states the field nowhere else. Content outside the main region is not read at all.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Mapping
from urllib.parse import urldefrag, urljoin

import yaml
from bs4 import NavigableString, Tag

# --- the label vocabulary ----------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    synonyms: dict[str, tuple[frozenset[str], ...]]
    filler: frozenset[str]
    abbreviations: dict[str, tuple[str, ...]]
    stopwords: frozenset[str]

    def extended(self, extra: Mapping[str, Iterable[str]]) -> "Vocabulary":
        """A copy with a site's own label spellings added (plain strings, tokenized here)."""
        syn = dict(self.synonyms)
        for f, labels in extra.items():
            syn[f] = tuple(dict.fromkeys([*syn.get(f, ()), *(frozenset(self.tokens(label)) for label in labels)]))
        return Vocabulary(syn, self.filler, self.abbreviations, self.stopwords)

    def tokens(self, text: str) -> list[str]:
        out: list[str] = []
        for raw in re.split(r"[^0-9a-z&]+", text.lower().replace("e-mail", "email")):
            if not raw or raw in self.stopwords:
                continue
            for t in self.abbreviations.get(raw, (raw,)):
                out.append(_fold(t))
        return out

    def match(self, label: str) -> tuple[str, int] | None:
        """(field, score) for a label text, or None. Score: 100 * synonym length + 1 if exact."""
        text = clean_label(label)
        if not text or len(text) > 60:
            return None
        toks = self.tokens(text)
        if not toks or len(toks) > 6:
            return None
        have = set(toks)
        best: tuple[int, str] | None = None
        tie = False
        for f, syns in self.synonyms.items():
            for syn in syns:
                if not syn <= have:
                    continue
                extra = have - syn
                if extra and not extra <= self.filler:
                    continue
                score = 100 * len(syn) + (0 if extra else 1)
                if best is None or score > best[0]:
                    best, tie = (score, f), False
                elif score == best[0] and f != best[1]:
                    tie = True
        if best is None or tie:
            return None
        return best[1], best[0]


def _fold(t: str) -> str:
    """Plural -> singular for label words ("countries", "methods", "payouts")."""
    if len(t) > 4 and t.endswith("ies"):
        return t[:-3] + "y"
    if len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        return t[:-1]
    return t


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    data = yaml.safe_load(resources.files("matrix").joinpath("data/sources/field_labels.yaml").read_text("utf-8"))
    abbr = {k: tuple(v) if isinstance(v, list) else (v,) for k, v in (data.get("abbreviations") or {}).items()}
    stop = frozenset(data.get("stopwords") or [])
    base = Vocabulary({}, frozenset(), abbr, stop)
    syn = {f: tuple(frozenset(_fold(t) for s in words for t in base.tokens(str(s))) for words in lists)
           for f, lists in data["fields"].items()}
    filler = frozenset(_fold(t) for t in data.get("filler") or [])
    return Vocabulary(syn, filler, abbr, stop)


_LABEL_JUNK = re.compile(r"[\s:：\-–—*?ⓘℹ🛈•|]+$|^[\s*•|]+|\(\s*\?\s*\)|\[\s*\?\s*\]")


def clean_label(text: str) -> str:
    t = " ".join(str(text).replace("\xa0", " ").split())
    prev = None
    while prev != t:
        prev, t = t, _LABEL_JUNK.sub("", t).strip()
    return t


# --- the site spec -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One field a site publishes. `selectors` (tried first) pin it where a site has a stable
    hook; otherwise the field is found by label. `kind`: text | link (an href) | html."""

    name: str
    selectors: tuple[str, ...] = ()
    kind: str = "text"
    labels: tuple[str, ...] = ()  # extra spellings this site uses, on top of the shared vocabulary
    link_text: str | None = None  # kind=link: also an <a> whose text matches this regex ("Visit Website")


@dataclass(frozen=True)
class SiteSpec:
    kind: str
    list_path: str
    detail_pattern: str
    id_key: str = "id"
    id_pattern: str | None = None           # regex on the URL; group 1 is the id (slug when None/no match)
    main: tuple[str, ...] = ("main", "[role=main]", "article", "#content", ".content")
    name_selectors: tuple[str, ...] = ("h1",)
    name_strip: str | None = None            # regex removed from the name ("Affiliate Program$")
    description: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    required: tuple[str, ...] = ("name", "commission")
    own_blocks: tuple[str, ...] = ()         # aside-like blocks that really hold the page's own data
    list_wait_for: str | None = None
    detail_wait_for: str | None = None

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def vocabulary(self) -> Vocabulary:
        extra = {f.name: f.labels for f in self.fields if f.labels}
        return vocabulary().extended(extra) if extra else vocabulary()


# --- reading a page ----------------------------------------------------------------------------

_BLOCK = frozenset(
    [
        "div",
        "p",
        "li",
        "ul",
        "ol",
        "table",
        "dl",
        "dt",
        "dd",
        "th",
        "td",
        "section",
        "article",
        "tr",
        "tbody",
        "thead",
        "aside",
        "header",
        "footer",
        "nav",
        "main",
        "form",
        "fieldset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    ]
)
_SKIP = frozenset(["script", "style", "noscript", "template", "svg", "button", "select", "option", "input", "textarea"])
_TIP_CLASS = re.compile(r"tool-?tip|tippy|popover|hint|help|info-?icon|\bicon|fa-|glyphicon|bi-|sr-only|visually-hidden|"
                        r"screen-reader|tip\b|question", re.I)
_ASIDE_CLASS = re.compile(r"side-?bar|widget|aside|related|similar|recommend|also-like|popular|trending|more-program|"
                          r"promo|advert|sponsor", re.I)
_FOREIGN_HEADING = re.compile(r"\b(?:similar|related|other|more|alternative|popular|top|recommended|trending|featured|"
                              r"you (?:may|might) also|also like|compare)\b.{0,30}\b(?:programs?|offers?|affiliates?|"
                              r"networks?|listings?|campaigns?)\b|\balternatives? to\b|\bsponsored\b", re.I)
_TIP_GLYPHS = frozenset("?ⓘℹ🛈")
_DATA_LABEL = ("data-label", "data-field", "data-title", "data-name", "data-key", "data-th", "data-term", "data-attr")
_DATA_VALUE = ("data-value", "data-content", "data-val")
_SEPARATOR = re.compile(r"^\s*(?P<label>[^:：\n]{1,60}?)\s*(?:[:：]|\s[–—-]\s)\s*(?P<value>\S.*)$", re.S)


@dataclass
class Pair:
    field: str
    value: str | None
    value_el: Tag | None
    label_el: Tag | None
    score: int
    order: int
    trust: int = 0  # 0 = the page's own content, 1 = aside-like block, 2 = another program's block
    loose: int = 0  # 1 = read from "Label: value" text (a structural pair beats it)


@dataclass
class PageRead:
    """What the extractor found on one page: the record plus how each field was found."""

    record: dict[str, Any]
    how: dict[str, str] = field(default_factory=dict)
    region: str | None = None
    unmatched_labels: list[str] = field(default_factory=list)


_MEMO = threading.local()  # per-read caches keyed by element id (cleared when a read ends)


def _memo(kind: str) -> dict[int, Any] | None:
    caches = getattr(_MEMO, "caches", None)
    return None if caches is None else caches.setdefault(kind, {})


def _is_tip(el: Tag) -> bool:
    memo = _memo("tip")
    if memo is None:
        return _compute_is_tip(el)
    key = id(el)
    if key not in memo:
        memo[key] = _compute_is_tip(el)
    return memo[key]


def _compute_is_tip(el: Tag) -> bool:
    if el.name in ("i", "svg", "img", "sup", "button", "abbr") and len(el.get_text(strip=True)) <= 2:
        return True
    if el.name in ("i", "svg", "img", "button"):
        return True
    cls = " ".join(el.get("class") or []) + " " + str(el.get("id") or "") + " " + str(el.get("role") or "")
    if _TIP_CLASS.search(cls):
        return True
    if el.get("role") == "tooltip" or el.get("aria-hidden") == "true" or el.has_attr("hidden"):
        return True
    # a help bubble whatever its class: it opens with a "?"/"ⓘ" glyph ("? How long a referral ...")
    first = next((str(t).strip() for t in el.strings if str(t).strip()), "")
    return first[:1] in _TIP_GLYPHS


def label_text(el: Tag) -> str:
    """An element's text with tooltips, icons and screen-reader hints inside it left out."""
    memo = _memo("label")
    if memo is not None:
        key = id(el)
        if key not in memo:
            memo[key] = _compute_label_text(el)
        return memo[key]
    return _compute_label_text(el)


def _compute_label_text(el: Tag) -> str:
    parts: list[str] = []

    def walk(node: Tag) -> None:
        for ch in node.children:
            if isinstance(ch, NavigableString):
                if type(ch) is NavigableString:  # not comments or CDATA
                    parts.append(str(ch))
            elif isinstance(ch, Tag) and ch.name not in _SKIP and not _is_tip(ch):
                walk(ch)

    walk(el)
    return " ".join(" ".join(parts).split())


def value_text(el: Tag | None) -> str | None:
    if el is None:
        return None
    t = " ".join(el.get_text(" ", strip=True).split())
    return t or None


def _first_text(el: Tag) -> str:
    """The element's own leading text ("Cookie Life" in `<dt>Cookie Life <span>tip</span></dt>`),
    only when it is a direct child: text inside a child element belongs to that child."""
    first = ""
    for ch in el.children:
        if type(ch) is NavigableString:
            if ch.strip():
                if first:
                    return ""  # more own text after the first ("Network <i></i> – Perform"): not a label
                first = " ".join(ch.split())
        elif isinstance(ch, Tag) and not _is_tip(ch) and value_text(ch):
            if not first or re.search(r"[:：–—-]\s*$", first):
                return ""  # "Website – <a>…</a>": a label with its value inline, read as text
    return first


def _has_block(el: Tag) -> bool:
    memo = _memo("block")
    if memo is None:
        return any(isinstance(d, Tag) and d.name in _BLOCK for d in el.descendants)
    key = id(el)
    if key not in memo:  # bottom-up through the memo: linear over the page, not quadratic
        memo[key] = any(isinstance(c, Tag) and (c.name in _BLOCK or _has_block(c)) for c in el.children)
    return memo[key]


class _PairCollector:
    """One page's label/value pairs in document order; a label element used once is not read again."""

    def __init__(self, reader: LayoutReader) -> None:
        self.reader = reader
        self.found: list[Pair] = []
        self.unmatched: list[str] = []
        self.used_labels: set[int] = set()
        self.order = 0

    def add(self, m: tuple[str, int] | None, value: str | None, value_el: Tag | None, label_el: Tag | None,
            loose: int = 0) -> None:
        self.order += 1
        if m is None or not value:
            return
        if not loose and self.reader._value_is_label(value, value_el):  # a header cell or the next row's label
            return
        self.found.append(Pair(m[0], value, value_el, label_el, m[1], self.order, loose=loose))
        if label_el is not None:
            self.used_labels.add(id(label_el))


class LayoutReader:
    """Reads one detail page according to a `SiteSpec` (build once per source, reuse per page)."""

    _titled_cache: tuple[Tag, set[int]] | None = None  # (page root, ids of its titled blocks) while reading one page

    def __init__(self, spec: SiteSpec) -> None:
        self.spec = spec
        self.vocab = spec.vocabulary()
        self.wanted = set(spec.field_names())
        self._detail_rx = re.compile(spec.detail_pattern)
        self._compiled: dict[str, Any] = {}

    def _one(self, root: Any, selector: str) -> Tag | None:
        """select_one with the selector compiled once per reader (compiling was a third of a read)."""
        sel = self._compiled.get(selector)
        if sel is None:
            import soupsieve

            sel = self._compiled[selector] = soupsieve.compile(selector)
        return sel.select_one(root) if root is not None else None

    # -- label helpers ---------------------------------------------------------------------------
    def match_label(self, text: str | None) -> tuple[str, int] | None:
        if not text:
            return None
        m = self.vocab.match(text)
        return m if m and m[0] in self.wanted else None

    def _value_is_label(self, value: str, el: Tag | None) -> bool:
        """Whether a would-be value is really a label (a column table's header, the next row's
        label). One word that is only a label through an abbreviation ("RevShare" = revenue
        share) is a value: a payout type, not a caption."""
        if el is not None and el.name in ("th", "dt"):
            return self._is_any_label(value)
        words = [w for w in re.split(r"[^0-9a-z&]+", value.lower()) if w]
        if len(words) == 1 and words[0] in self.vocab.abbreviations:
            return False
        return self._is_any_label(value)

    def _is_any_label(self, text: str | None) -> bool:
        return bool(text) and self.vocab.match(text or "") is not None

    def _el_label(self, el: Tag) -> tuple[str, int] | None:
        t = label_text(el)
        m = self.match_label(t)
        if m is None:
            first = _first_text(el)
            if first and first != t:
                m = self.match_label(first)
        return m

    # -- region ----------------------------------------------------------------------------------
    def region(self, soup: Any, url: str = "") -> tuple[Tag, str]:
        """The first of the spec's main-content selectors that holds at least one field label;
        the whole body when none does (a renamed layout), where block trust still applies."""
        el, sel, _ = self._region_pairs(soup, url)
        return el, sel

    def _region_pairs(self, soup: Any, url: str) -> tuple[Tag, str, tuple[list[Pair], list[str]]]:
        for sel in self.spec.main:
            el = self._one(soup, sel)
            if el is not None and el.find(True) is not None:
                found = self.pairs(el, url)
                if found[0]:
                    return el, sel, found
        body = soup.body or soup
        return body, "body", self.pairs(body, url)

    # -- trust: whose values these are ----------------------------------------------------------
    def _trust(self, el: Tag, root: Tag, url: str, cache: dict[int, Any]) -> int:
        """0: the page's own; 1: inside an aside-like block; 2: another program's (never used).

        Another program's: the nearest block around the pair that links other detail pages links
        exactly one (a card of that program), or a block titled "similar / related programs".
        A block linking several other programs is a container, not a card: pairs in it are not
        attributed by those links (the page's own details often share a wrapper with a widget)."""
        level = 0
        links_decided = False
        node = el.parent if el is not None and el is not root else None
        while node is not None and node is not root:
            key = id(node)
            if key not in cache:
                cache[key] = self._block_facts(node, url)
            own, titled_foreign, asideish, n_links = cache[key]
            if own:
                return 0
            if titled_foreign:
                return 2
            if not links_decided and n_links:
                if n_links == 1:
                    return 2
                links_decided = True
            if asideish:
                level = 1
            node = node.parent
        return level

    def _titled_blocks(self, node: Tag) -> set[int]:
        """Blocks titled "similar / related / other programs": a matching heading's parent (its
        grandparent when the parent only wraps the heading). Computed once per page."""
        root = node
        while root.parent is not None:
            root = root.parent
        cached = getattr(self, "_titled_cache", None)
        if cached is not None and cached[0] is root:
            return cached[1]
        marked: set[int] = set()
        for h in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "header", "strong", "b", "legend", "caption"]):
            t = " ".join(h.get_text(" ", strip=True).split())
            if not t or len(t) > 80 or not _FOREIGN_HEADING.search(t):
                continue
            block = h.parent
            while block is not None and block.parent is not None and \
                    len([c for c in block.find_all(True, recursive=False) if value_text(c)]) <= 1:
                block = block.parent
            if block is not None:
                marked.add(id(block))
        self._titled_cache = (root, marked)
        return marked

    def _block_facts(self, node: Tag, url: str) -> tuple[bool, bool, bool, int]:
        own = bool(self.spec.own_blocks) and any(_matches(node, s) for s in self.spec.own_blocks)
        here = urldefrag(url)[0].rstrip("/")
        others = set()
        for a in node.find_all("a", href=True, limit=200):
            href = urldefrag(urljoin(url, str(a["href"])))[0].rstrip("/")
            if href != here and self._detail_rx.search(href):
                others.add(href)
        titled = id(node) in self._titled_blocks(node)
        marks = " ".join(node.get("class") or []) + " " + str(node.get("id") or "")
        asideish = node.name == "aside" or node.get("role") == "complementary" or bool(_ASIDE_CLASS.search(marks))
        return own, titled, asideish, len(others)

    # -- pairs -----------------------------------------------------------------------------------
    def pairs(self, root: Tag, url: str) -> tuple[list[Pair], list[str]]:
        acc = _PairCollector(self)
        for el in root.find_all(True):
            if el.name in _SKIP or id(el) in acc.used_labels:
                continue
            if el.name == "dt":
                self._definition_pair(el, acc.add)
            elif el.name == "table":
                self._column_table(el, acc.add, acc.used_labels)
            elif el.name == "tr":
                self._row_pair(el, acc.add, acc.used_labels)
            elif not self._attribute_pair(el, acc.add) and el.name not in ("td", "th", "dd"):
                self._leaf_pairs(el, acc.add, acc.unmatched)
        return acc.found, acc.unmatched

    def _definition_pair(self, dt_el: Tag, add: Any) -> None:
        """<dt>label</dt><dd>value</dd>...: every <dd> up to the next <dt>, joined."""
        dds = []
        for sib in dt_el.find_next_siblings():
            if sib.name == "dt":
                break
            if sib.name == "dd":
                dds.append(sib)
        add(self._el_label(dt_el), "; ".join(filter(None, (value_text(d) for d in dds))) or None,
            dds[0] if dds else None, dt_el)

    def _row_pair(self, row: Tag, add: Any, used: set[int]) -> None:
        """A <tr> whose first cell is a label and whose second cell is its value."""
        cells = row.find_all(["th", "td"], recursive=False)
        if len(cells) >= 2 and id(cells[0]) not in used:
            m = self._el_label(cells[0])
            if m is not None:
                add(m, value_text(cells[1]), cells[1], cells[0])
                used.update(id(c) for c in cells)

    def _attribute_pair(self, el: Tag, add: Any) -> bool:
        """An element labelled by a data attribute (data-label="Commission"); True when it yielded a pair."""
        attr_label = next((el.get(a) for a in _DATA_LABEL if el.get(a)), None)
        if not attr_label:
            return False
        m = self.match_label(str(attr_label).replace("_", " ").replace("-", " "))
        if m is None:
            return False
        val_attr = next((el.get(a) for a in _DATA_VALUE if el.get(a)), None)
        if val_attr:
            add(m, str(val_attr), el, None)
            return True
        own = value_text(el)
        if own and not self._is_any_label(own):
            add(m, own, el, None)
            return True
        return False

    def _column_table(self, table: Tag, add: Any, used: set[int]) -> None:
        rows = [r for r in table.find_all("tr") if r.find_parent("table") is table]
        if len(rows) < 2:
            return
        head = rows[0].find_all(["th", "td"], recursive=False)
        if len(head) < 2:
            return
        matches = [self._el_label(c) for c in head]
        n = sum(m is not None for m in matches)
        if n < 2 and not (n == 1 and all(c.name == "th" for c in head)):
            return
        vals = rows[1].find_all(["th", "td"], recursive=False)
        if len(vals) != len(head):
            return
        if any(self._value_is_label(label_text(v), v) for v in vals if label_text(v)):
            return  # the second row holds labels too: a row table ("Type | RevShare" over "EPC | $0.91")
        for m, h, v in zip(matches, head, vals, strict=False):
            add(m, value_text(v), v, h)
        for r in rows[:2]:
            used.update(id(c) for c in r.find_all(["th", "td"], recursive=False))
        used.update(id(r) for r in rows[:2])

    def _leaf_pairs(self, el: Tag, add: Any, unmatched: list[str]) -> None:
        if _has_block(el):  # a container: its innermost blocks are read on their own
            return
        own = label_text(el)
        if not own or len(own) > 400:
            return
        m = self._el_label(el)
        if m is not None:
            # skip when a child element is the very same label (the innermost one is read)
            for ch in el.find_all(True, recursive=False):
                if not _is_tip(ch) and clean_label(label_text(ch)) == clean_label(own):
                    return
            v_el, v = _value_beside(el, self)
            add(m, v, v_el, el)
            return
        for line in _lines(el):
            sm = _SEPARATOR.match(line)
            if sm:
                lm = self.match_label(sm.group("label"))
                if lm is not None and len(line) <= 300:
                    add(lm, sm.group("value").strip(), el, None, loose=1)

    # -- the record ------------------------------------------------------------------------------
    def read(self, soup: Any, url: str) -> PageRead:
        _MEMO.caches = {}
        try:
            return self._read(soup, url)
        finally:
            _MEMO.caches = None
            self._titled_cache = None  # never keep a page alive on the reader

    def _read(self, soup: Any, url: str) -> PageRead:
        root, region, (pairs, unmatched) = self._region_pairs(soup, url)
        out, how = self._selector_values(root, url)
        kinds = {f.name: f.kind for f in self.spec.fields}
        for name, p in self._best_pairs(pairs, out, root, url).items():
            v = p.value
            if kinds.get(name) == "link" and p.value_el is not None:
                v = _value_of_kind(p.value_el, "link", url) or v
            out[name] = v
            how[name] = "label" + (" (aside)" if p.trust else "")
        self._link_text_values(root, url, out, how)
        desc = self._description(root, soup)
        record: dict[str, Any] = {self.spec.id_key: self.record_id(url), "name": self._name(root, soup)}
        for f in self.spec.fields:
            record[f.name] = out.get(f.name)
        record["description_html"] = str(desc) if desc is not None else None
        return PageRead(record=record, how=how, region=region, unmatched_labels=unmatched)

    def _selector_values(self, root: Tag, url: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Fields the spec pins with CSS selectors: the first selector that yields a value wins."""
        out: dict[str, Any] = {}
        how: dict[str, str] = {}
        for f in self.spec.fields:
            for sel in f.selectors:
                el = self._one(root, sel)
                v = _value_of_kind(el, f.kind, url) if el is not None else None
                if v:
                    out[f.name], how[f.name] = v, f"selector {sel}"
                    break
        return out, how

    def _best_pairs(self, pairs: list[Pair], out: dict[str, Any], root: Tag, url: str) -> dict[str, Pair]:
        """Per field not set yet, the most trusted label pair (main content over asides; never other listings)."""
        cache: dict[int, Any] = {}
        best: dict[str, Pair] = {}
        for p in pairs:
            if p.field in out:
                continue
            p.trust = self._trust(p.value_el or p.label_el or root, root, url, cache)
            if p.trust >= 2:
                continue
            cur = best.get(p.field)
            if cur is None or (p.trust, p.loose, -p.score, p.order) < (cur.trust, cur.loose, -cur.score, cur.order):
                best[p.field] = p
        return best

    def _link_text_values(self, root: Tag, url: str, out: dict[str, Any], how: dict[str, str]) -> None:
        """Link fields still unset: the first main-content link whose text matches the field's `link_text`."""
        for f in self.spec.fields:
            if f.name in out or not f.link_text:
                continue
            rx = re.compile(f.link_text, re.I)
            cache: dict[int, Any] = {}
            for a in root.find_all("a", href=True):
                if rx.fullmatch(" ".join(a.get_text(" ", strip=True).split())) and self._trust(a, root, url, cache) == 0:
                    out[f.name], how[f.name] = urljoin(url, str(a["href"])), "link text"
                    break

    def _name(self, root: Tag, soup: Any) -> str | None:
        name = None
        for sel in self.spec.name_selectors:
            name = value_text(self._one(root, sel)) or value_text(self._one(soup, sel))
            if name:
                break
        if name and self.spec.name_strip:
            name = re.sub(self.spec.name_strip, "", name, flags=re.I).strip() or name
        return name

    def _description(self, root: Tag, soup: Any) -> Tag | None:
        for sel in self.spec.description:
            desc = self._one(root, sel) or self._one(soup, sel)
            if desc is not None:
                return desc
        return None

    def record_id(self, url: str) -> str:
        if self.spec.id_pattern:
            m = re.search(self.spec.id_pattern, url)
            if m:
                return m.group(1)
        from urllib.parse import urlsplit

        parts = [p for p in urlsplit(url).path.split("/") if p]
        return parts[-1] if parts else url


def _matches(node: Tag, selector: str) -> bool:
    try:
        return node in (node.parent.select(selector) if node.parent is not None else [])
    except Exception:  # noqa: BLE001 - an odd selector never breaks a page
        return False


def _lines(el: Tag) -> list[str]:
    """Text of a block-free element split at <br> (several "Label: value" lines per element)."""
    buf: list[str] = []
    lines: list[str] = []
    for d in el.descendants:
        if isinstance(d, Tag):
            if d.name == "br":
                lines.append(" ".join(" ".join(buf).split()))
                buf = []
            continue
        if type(d) is NavigableString and not _inside_tip(d, el):
            buf.append(str(d))
    lines.append(" ".join(" ".join(buf).split()))
    return [line for line in lines if line]


def _inside_tip(node: Any, root: Tag) -> bool:
    p = node.parent
    while p is not None and p is not root:
        if _is_tip(p) or p.name in _SKIP:
            return True
        p = p.parent
    return False


def _value_of_kind(el: Tag, kind: str, url: str) -> str | None:
    if kind == "link":
        a = el if el.name == "a" and el.get("href") else el.find("a", href=True)
        if a is not None:
            return urljoin(url, str(a["href"]))
        return value_text(el)
    if kind == "html":
        return str(el)
    return value_text(el)


def _value_beside(label: Tag, reader: LayoutReader) -> tuple[Tag | None, str | None]:
    """The value next to a label element: the text/element after it, climbing wrappers that hold
    nothing else; when nothing follows (a value-first card), the element before it."""
    node = label
    for _ in range(4):
        v = _after(node, reader)
        if v[1]:
            return v
        parent = node.parent
        if parent is None:
            break
        siblings = [s for s in parent.children if (isinstance(s, Tag) and not _is_tip(s) and value_text(s))
                    or (type(s) is NavigableString and s.strip())]
        if len(siblings) == 1:  # the label's wrapper holds only the label: climb
            node = parent
            continue
        before = _before(node, reader)
        return before
    return None, None


def _after(node: Tag, reader: LayoutReader) -> tuple[Tag | None, str | None]:
    parts: list[str] = []
    first_el: Tag | None = None
    t: str | None
    for sib in node.next_siblings:
        if isinstance(sib, NavigableString):
            if type(sib) is not NavigableString:
                continue
            t = str(sib).strip().lstrip(":：–—-").strip()
            if t:
                parts.append(t)
            continue
        if not isinstance(sib, Tag) or sib.name in _SKIP or _is_tip(sib):
            continue
        if sib.name == "br":
            if parts:
                break
            continue
        t = value_text(sib)
        if not t:
            continue
        if reader._is_any_label(label_text(sib)) or _holds_label(sib, reader):
            break
        if not parts:
            return sib, t
        if sib.name in _BLOCK:
            break
        parts.append(t)
        first_el = first_el or sib
    if parts:
        return first_el or node.parent, " ".join(parts)
    return None, None


def _before(node: Tag, reader: LayoutReader) -> tuple[Tag | None, str | None]:
    t: str | None
    for sib in node.previous_siblings:
        if isinstance(sib, NavigableString):
            t = str(sib).strip()
            if t and type(sib) is NavigableString:
                return node.parent, t
            continue
        if not isinstance(sib, Tag) or sib.name in _SKIP or _is_tip(sib):
            continue
        t = value_text(sib)
        if not t:
            continue
        if reader._is_any_label(label_text(sib)) or _holds_label(sib, reader):
            return None, None
        return sib, t
    return None, None


def _holds_label(el: Tag, reader: LayoutReader) -> bool:
    """Whether an element contains a field label of its own (so it is a row, not a value)."""
    text = value_text(el) or ""
    sm = _SEPARATOR.match(text) if len(text) <= 300 else None
    if sm and reader._is_any_label(sm.group("label")):
        return True  # "Approval – Manual review": the next row
    for d in el.find_all(True, limit=40):
        t = label_text(d)
        if t and len(t) <= 60 and reader._is_any_label(t):
            return True
    return False
