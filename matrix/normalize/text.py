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
    "brand-bidding": r"brand(?:ed)?(?: (?:name|keyword|term))?s?(?: keyword)? bidding|trademark(?: \+)?(?: keyword)?(?: bidding)?|brand(?:ed)? (?:keywords?|ppc|terms?|search)|\btm bidding|direct linking",
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
                              r"(?: (?:types?|sources?|methods?))?\s*:|\brestrictions\s*:|\btraffic restrictions\s*:", re.I)
_NEG_AFTER = re.compile(r"\b(?:not (?:allowed|permitted|accepted)|prohibited|forbidden|disallowed|banned|strictly prohibited)\b", re.I)
_POS_AFTER = re.compile(r"\b(?:allowed|accepted|permitted|ok|welcome)\b", re.I)
_NEG_BEFORE = re.compile(r"(?:\bno\b|\bnot\b|\bnever\b|\bwithout\b|\bdon'?t\b|\bdo not\b|\bmay not\b|\bcannot\b|\bcan't\b)[^.;\n]{0,25}$", re.I)


@dataclass
class TrafficTerms:
    allowed: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)

    def restrictions(self) -> list[str]:
        """The `Listing.restrictions` vocabulary: 'no-<type>' for each forbidden type."""
        return [f"no-{t}" for t in self.forbidden]

    def tags(self) -> list[str]:
        return [f"traffic:{t}" for t in self.allowed]


def _types_in(segment: str) -> list[str]:
    hits = []
    for name, rx in _TYPE_RE.items():
        m = rx.search(segment)
        if m:
            hits.append((m.start(), name))
    return [n for _, n in sorted(hits)]


def extract_traffic(text: str | None) -> TrafficTerms:
    """Stated traffic rules; a type both allowed and forbidden counts as forbidden (the safer reading)."""
    terms = TrafficTerms()
    if not text:
        return terms
    for seg in re.split(r"[\n.;!]+|(?<=\))\s", text):
        seg = seg.strip()
        if not seg:
            continue
        lab_a, lab_f = _ALLOWED_LABEL.search(seg), _FORBIDDEN_LABEL.search(seg)
        if lab_a or lab_f:
            # "Allowed: Email, Social. Not allowed: Incent" may share one segment: split at labels
            marks = sorted([(m.start(), m.end(), "a") for m in _ALLOWED_LABEL.finditer(seg)]
                           + [(m.start(), m.end(), "f") for m in _FORBIDDEN_LABEL.finditer(seg)])
            for i, (_, end, kind) in enumerate(marks):
                stop = marks[i + 1][0] if i + 1 < len(marks) else len(seg)
                target = terms.allowed if kind == "a" else terms.forbidden
                for t in _types_in(seg[end:stop]):
                    if t not in target:
                        target.append(t)
            continue
        for name, rx in _TYPE_RE.items():
            for m in rx.finditer(seg):
                before, after = seg[: m.start()], seg[m.end(): m.end() + 40]
                # "no incent", "incent traffic is not allowed", "do not use email"
                if _NEG_BEFORE.search(before) or _NEG_AFTER.search(after.split(",")[0] if "," in after else after):
                    if name not in terms.forbidden:
                        terms.forbidden.append(name)
                elif _POS_AFTER.search(after[:25]) and name not in terms.allowed:
                    terms.allowed.append(name)
    terms.allowed = [t for t in terms.allowed if t not in terms.forbidden]
    return terms
