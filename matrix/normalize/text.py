"""HTML descriptions -> clean text, and the traffic rules stated in them.

Program descriptions arrive as HTML fragments full of markup, entities and tracking junk.
`html_to_text` keeps the words and paragraph breaks only. `extract_traffic` finds the stated
traffic rules ("No incent", "No brand bidding", "Allowed traffic: Email, Social") and maps them
to one vocabulary, so "no incentivized traffic" on one site and "Incent: not allowed" on another
compare equal. Only what is stated is returned; silence is unknown, not "allowed".
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field

import lxml.etree
import lxml.html
from bs4 import BeautifulSoup

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
          "table", "dd", "dt", "blockquote", "pre"}


_DROP = ("script", "style", "noscript", "iframe", "svg", "template", "head")


def _markup_text(fragment: str) -> str:
    """Text of an HTML fragment with a line break around every block element.

    lxml directly (not a BeautifulSoup tree): descriptions are normalized once per listing, and
    building a bs4 tree for each was a fifth of the whole parse+normalize cost. Falls back to
    bs4 for input lxml refuses (e.g. a str with an XML encoding declaration)."""
    try:
        root = lxml.html.document_fromstring(fragment)
    except (ValueError, lxml.etree.ParserError):
        soup = BeautifulSoup(fragment, "lxml")
        for tag in soup(list(_DROP)):
            tag.decompose()
        for tag in soup.find_all(True):
            if tag.name in _BLOCK:
                tag.insert_before("\n")
                tag.insert_after("\n")
        return soup.get_text("")
    for el in list(root.iter(*_DROP)):
        el.drop_tree()  # keeps the text that follows the dropped element
    for el in root.iter(lxml.etree.Element):
        if el.tag in _BLOCK:
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    return "".join(t for t in root.itertext(lxml.etree.Element))


def html_to_text(fragment: str | None) -> str | None:
    """Readable text with paragraph breaks; None for empty input or markup with no words."""
    if fragment is None:
        return None
    fragment = str(fragment)
    if "<" not in fragment and "&" not in fragment:
        text = fragment
    else:
        text = html_lib.unescape(_markup_text(fragment))
    text = text.replace("\xa0", " ").replace("\u200b", "")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    cleaned = "\n".join(out).strip()
    cleaned = _MANY_BREAKS.sub("\n\n", cleaned)
    return cleaned or None


_MANY_BREAKS = re.compile(r"\n{3,}")


# traffic type -> patterns naming it
TRAFFIC_TYPES: dict[str, str] = {
    "incent": r"incent(?:ive|ivi[sz]ed)?s?|rewards? traffic|cashback|loyalty|points? sites?",
    "brand-bidding": r"brand(?:ed)?(?:[\s-](?:name|keyword|term))?s?(?:[\s-]keyword)?[\s-]bidding"
                     r"|trademark(?: \+)?(?: keyword)?(?: bidding)?|brand(?:ed)?[\s-](?:keywords?|ppc|terms?|search)"
                     r"|\btm bidding|direct linking|brand names?"
                     r"|bid(?:ding)? on (?:our|the|any of our|the company'?s|company|its) (?:\w+ )?(?:brand|trademark|name)s?",
    "email": r"e-?mail(?: marketing| traffic)?|newsletters?",
    "spam": r"spam|unsolicited",
    "social": r"social(?: media)?(?: traffic| ads)?|facebook|instagram|tiktok",
    "search": r"\bppc\b|search(?: ads| engine marketing)?|\bsem\b|google ads|bing ads|adwords",
    "display": r"display(?: ads| advertising| banners?)?|banners?",
    "native": r"native(?: ads| advertising)?",
    "push": r"push(?: notifications?| traffic)?",
    "pop": r"pop(?:[\s-]?(?:ups?|unders?|s))?\b",
    "adult": r"adult(?: traffic| sites?| content)?",
    "coupon": r"coupons?(?: (?:sites?|codes?))?|deal sites?|voucher(?: sites?)?",
    "sms": r"\bsms\b|text messag(?:e|ing)",
    "content": r"content(?: sites?)?|\bseo\b|blogs?|reviews?",
    "contextual": r"contextual",
    "toolbar": r"toolbars?|browser extensions?|adware",
    "sub-affiliate": r"sub[\s-]?affiliates?|sub[\s-]?networks?",
    "misleading": r"misleading|false claims|fake news|deceptive",
}
_TYPE_RE = {k: re.compile(rf"(?<![\w-])(?:{v})(?![\w])", re.I) for k, v in TRAFFIC_TYPES.items()}
_ALLOWED_LABEL = re.compile(r"\b(?:allowed|accepted|permitted|approved)(?: traffic)?(?: (?:types?|sources?|methods?))?\s*:"
                            r"|\btraffic (?:types?|sources?)? ?allowed\s*:", re.I)
_FORBIDDEN_LABEL = re.compile(r"\b(?:restricted|forbidden|prohibited|disallowed|not allowed|banned|no)(?: traffic)?"
                              r"(?: (?:types?|sources?|methods?))?\s*:"
                              r"|\brestrictions\s*:|\btraffic restrictions\s*:", re.I)
_NEG_AFTER = re.compile(r"\b(?:not (?:allowed|permitted|accepted)|prohibited|forbidden|disallowed|banned"
                        r"|strictly prohibited)\b", re.I)
_POS_AFTER = re.compile(r"\b(?:allowed|accepted|permitted|ok|welcome)\b", re.I)
_NEG_BEFORE = re.compile(r"(?:\bno\b|\bnot\b|\bnever\b|\bwithout\b|\bdon'?t\b|\bdo not\b|\bmay not\b|\bcannot\b|\bcan't\b)"
                         r"[^.;\n]{0,25}$", re.I)


@dataclass
class TrafficTerms:
    allowed: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)

    def restrictions(self) -> list[str]:
        """The `Listing.restrictions` vocabulary: 'no-<type>' for each forbidden type."""
        return [f"no-{t}" for t in self.forbidden]

    def tags(self) -> list[str]:
        return [f"traffic:{t}" for t in self.allowed]


def _types_in(segment: str, offset: int = 0) -> list[tuple[str, tuple[int, int]]]:
    hits = []
    for name, rx in _TYPE_RE.items():
        m = rx.search(segment)
        if m:
            hits.append((m.start(), name, (offset + m.start(), offset + m.end())))
    return [(n, span) for _, n, span in sorted(hits)]


_SEGMENT = re.compile(r"[^\n.;!]+")


Spans = dict[str, tuple[int, int]]


def _traffic_pieces(text: str) -> list[tuple[str, int]]:
    """Rule-sized pieces of text with their offsets: sentences, ";" items, parentheticals, " - " parts."""
    pieces = []
    for m in _SEGMENT.finditer(text):
        # ") " closes a parenthetical rule; "-" between two words joins a rule to the next ("required-cloaking")
        start = m.start()
        for part in re.split(r"(?<=\))\s|\s-\s|(?<=[a-z])-(?=[a-z]+ (?:is|are) )", m.group(0)):
            idx = text.find(part, start)
            pieces.append((part, idx))
            start = idx + len(part)
    return pieces


def _labelled_rules(seg: str, off: int, allowed: Spans, forbidden: Spans) -> None:
    """"Allowed: Email, Social. Not allowed: Incent" may share one segment: split at the labels."""
    marks = sorted([(m.start(), m.end(), "a") for m in _ALLOWED_LABEL.finditer(seg)]
                   + [(m.start(), m.end(), "f") for m in _FORBIDDEN_LABEL.finditer(seg)])
    for i, (_, end, kind) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(seg)
        target = allowed if kind == "a" else forbidden
        for t, span in _types_in(seg[end:stop], off + end):
            if not _qualified(seg, span[0] - off):
                target.setdefault(t, span)


def _sentence_rules(seg: str, off: int, allowed: Spans, forbidden: Spans) -> None:
    for name, rx in _TYPE_RE.items():
        for m in rx.finditer(seg):
            before, after = seg[: m.start()], seg[m.end(): m.end() + 40]
            if _REQUIRED_AFTER.match(after) or _ALLOWED_BEFORE.search(before) or _qualified(seg, m.start(), name):
                continue
            # "no incent", "incent traffic is not allowed", "do not use email", "may not run PPC ads, use
            # toolbars or coupons" (one negator governs the list after it)
            if _NEG_BEFORE.search(before) or _NEG_AFTER.search(after.split(",")[0] if "," in after else after) \
                    or _negated_list(before) or _negated_after_list(seg[m.end():]):
                forbidden.setdefault(name, (off + m.start(), off + m.end()))
            elif _POS_AFTER.search(after[:25]):
                allowed.setdefault(name, (off + m.start(), off + m.end()))


def _traffic_rules(text: str) -> tuple[list[tuple[str, tuple[int, int]]], list[tuple[str, tuple[int, int]]]]:
    """(allowed, forbidden) traffic types, each with the span of the words that named it."""
    allowed: Spans = {}
    forbidden: Spans = {}
    governing = False      # "Strictly prohibited: a; b; c" -- the label governs every ";" item
    for seg, off in _traffic_pieces(text):
        stripped = seg.strip()
        if not stripped:
            continue
        continues_list = (off > 0 and text[off - 1] == ";") or (off > 1 and text[off - 2:off] == "; ")
        off += seg.find(stripped)
        seg = stripped
        if governing and continues_list:
            for t, span in _types_in(seg, off):
                if not _qualified(seg, span[0] - off):
                    forbidden.setdefault(t, span)
            continue
        gov = _LIST_NEGATOR.search(seg) or _FORBIDDEN_LABEL.search(seg)
        governing = bool(gov and ":" in seg[gov.start():])
        if _ALLOWED_LABEL.search(seg) or _FORBIDDEN_LABEL.search(seg):
            _labelled_rules(seg, off, allowed, forbidden)
        else:
            _sentence_rules(seg, off, allowed, forbidden)
    # "PPC ads on brand terms" is brand bidding, not a ban on search traffic
    if "search" in forbidden and "brand-bidding" in forbidden:
        (ss, se), (bs, be) = forbidden["search"], forbidden["brand-bidding"]
        if 0 <= bs - se <= 15 or 0 <= ss - be <= 15:
            del forbidden["search"]
    allowed_list = [(t, sp) for t, sp in allowed.items() if t not in forbidden]
    return allowed_list, sorted(forbidden.items(), key=lambda kv: kv[1][0])


# "Direct linking is required", "email is permitted only with opt-in lists": not a prohibition of the type itself
_REQUIRED_AFTER = re.compile(r"^\s*(?:(?:is|are)\s+(?:required|mandatory|encouraged|preferred|ok|fine|welcome)"
                             r"|(?:that|which|containing|including|includes?)\b)", re.I)
_ALLOWED_BEFORE = re.compile(r"(?:\bpermission to (?:run|use)|\bare ok to run|\bpermissible only)\W+(?:\w+\W+){0,3}$", re.I)


_QUALIFIED = re.compile(r"\b(?:misleading|expired|explicit|unlawful|inappropriate|offensive|sexual|pornographic|hateful"
                        r"|unauthori[sz]ed|unapproved|fake|false|invalid|adult|restricted|illegal|violent|unsolicited|bulk"
                        r"|spam(?:my)?)\b(?:\s+(?:or|and|/)\s+\w+)?\s+$", re.I)
_LIST_NEGATOR = re.compile(r"\b(?:may not|must not|cannot|can't|shall not|will not|do not allow|does not allow|don't allow"
                           r"|are not (?:allowed|permitted) to|is not (?:allowed|permitted) to|prohibited from|not permitted to"
                           r"|never)\b", re.I)
_LIST_POSITIVE = re.compile(r"\b(?:allowed|permitted|welcome|ok|okay|fine|encouraged|but|however|except|unless)\b", re.I)


def _qualified(seg: str, start: int, name: str = "") -> bool:
    """"misleading or expired coupons", "adult content", "unsolicited email": the qualifier is the rule."""
    if name in ("misleading", "adult", "spam"):
        return False
    return bool(_QUALIFIED.search(seg[max(0, start - 28):start]))


def _negated_after_list(rest: str) -> bool:
    """"A, B or C is strictly not allowed": a negation after a list of types, nothing positive between."""
    m = _NEG_AFTER.search(rest)
    if m is None or m.start() >= 120:
        return False
    return not _LIST_POSITIVE.search(rest[:m.start()]) and not _POS_AFTER.search(rest[:m.start()])


def _negated_list(before: str) -> bool:
    """A negator earlier in the clause, with nothing positive between it and the type."""
    negs = list(_LIST_NEGATOR.finditer(before))
    if not negs:
        return False
    return not _LIST_POSITIVE.search(before[negs[-1].end():])


def extract_traffic_spans(text: str | None) -> list[tuple[str, tuple[int, int]]]:
    """Forbidden traffic types with the span that named each, in text order (for `terms`)."""
    if not text:
        return []
    return _traffic_rules(text)[1]


def extract_traffic(text: str | None) -> TrafficTerms:
    """Stated traffic rules; a type both allowed and forbidden counts as forbidden (the safer reading)."""
    terms = TrafficTerms()
    if not text:
        return terms
    allowed, forbidden = _traffic_rules(text)
    terms.allowed = [t for t, _ in sorted(allowed, key=lambda kv: kv[1][0])]
    terms.forbidden = [t for t, _ in forbidden]
    return terms
