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
    # "any rebate or reward for buying", "paying users to click": the visitor is paid to act
    "incent": r"incent(?:ive|iv[iy][sz](?:ed|ing|e)|ivi[sz]ation)?s?|rewards? traffic|cash ?back|cash rebates?|loyalty"
              r"|(?<!commission )(?<!fee )(?<!referral )rebates?"
              r"|rewards? (?:for|to) (?:buying|purchasing|clicking|signing up|registering|completing|visiting|buy|click)"
              r"|pay(?:s|ing)? (?:users|visitors|people|members|customers) to (?:click|sign up|register|buy|visit|install)"
              r"|reward(?:s|ing)? (?:customers|users|visitors|buyers|people|shoppers) (?:for|with)"
              r"|(?:offer|give|pay)(?:s|ing)? (?:\w+ )?(?:rewards?|points|cash|money|gifts?|prizes?)"
              r"(?:,? (?:or |and )?(?:rewards?|points|cash|money|gifts?|prizes?))*"
              r" to (?:your )?(?:visitors|users|customers|buyers|members|people|shoppers)"
              r"|get[\s-]paid[\s-]to|\bgpt (?:sites?|websites?|offers?)|paid[\s-]to[\s-](?:click|read|surf)"
              r"|\bptc (?:sites?|websites?)"
              r"|motivat(?:ed|ing|ional) traffic"
              r"|points? sites?",
    "brand-bidding": r"brand(?:ed)?(?:[\s-](?:name|keyword|term))?s?(?:[\s-]keyword)?[\s-]bidding"
                     r"|trademarks?(?: \+)?(?: keywords?)?(?: bidding)?|brand(?:ed)?[\s-](?:keywords?|ppc|sem|terms?|search)"
                     # "Paid search (Brand) Forbidden", "PPC (brand keywords): No"
                     r"|(?:paid search|search|sem|ppc) \((?:on )?brand(?:ed)?(?: (?:keywords?|terms?|names?))?\)"
                     r"|\btm bidding|direct linking|brand names?|[\w-]+(?:'s| related) (?:keywords|search terms)"
                     r"|bid(?:ding)? on (?:our|the|any of our|the company'?s|company|its) (?:\w+ )?"
                     r"(?:brand|trademark|name)(?:s|ed)?"
                     # any wording of the brand bid on: "bid on brand", "bidding on misspellings of brand terms"
                     r"|bid(?:s|ding)? (?:on|of) (?:[\w\"'“”‘’-]+ ){0,4}?(?:the |our )?brand(?:ed)?"
                     r"(?: (?:names?|terms?|keywords?))?",
    "email": r"e-?mail(?:s|ing)?(?! address)(?: marketing| traffic)?|newsletters?",
    "spam": r"spam(?:s|m?ed|m?ing|my|mers?)?|cold[\s-]spam\w*|unsolicited|e-?mail blasts?"
            r"|(?:mass|bulk) (?:e-?mails?|mail(?:ing|ings|outs?)|sms|messag\w+)"
            # (session 9) mail to addresses nobody opted in for: "purchased email lists", "rented mailing lists"
            r"|(?:purchased|bought|rented|harvested|scraped|third[\s-]party) (?:e-?mail|mailing) (?:lists?|addresses|databases?)",
    "social": r"social(?: media)?(?: traffic| ads)?|facebook|instagram|tiktok|meta ads",
    "search": r"\bppc\b|pay[\s-]per[\s-]click (?:ads|advertising|traffic|campaigns?)"
              r"|search(?:[\s-]based)?(?: ads| engine marketing)?|\bsem\b|(?-i:\bSEA\b)|google (?:ads?|shopping)|bing ads?"
              r"|adwords\w*",     # SEA: "search engine advertising", the European name for SEM
    # a "banner farm" is a kind of site (little content, many ads), not display advertising
    # (session 9) "display URL", "display domain", "display name": a field of a (search) ad, not display advertising
    "display": r"display(?! (?:urls?|domains?|names?)\b)(?: ads| advertising| banners?)?"
               r"|(?<!pop up )(?<!pop-up )(?<!popup )banners?(?! farms?\b)",
    "native": r"native(?: ads| advertising)?",
    "push": r"push(?: notifications?| traffic)?",
    "pop": r"pop(?:[\s-]?(?:ups?|unders?|s))?\b",
    "adult": r"adult(?: traffic| sites?| content)?|sexually explicit|(?:explicit|pornographic|sexual) (?:content|material|sites?)"
             r"|pornographic"
             r"|porn(?:ography)?|sex|nsfw",
    # "coupon apps / extensions" are browser software (toolbar), not coupon sites
    "coupon": r"coupons?(?: (?:sites?|codes?))?(?! (?:apps?|extensions?|plug-?ins?|add-?ons?)\b)|deal sites?|voucher(?: sites?)?"
              r"|(?:promo(?:tional)?|discount) codes? (?:sites?|websites?|platforms?|aggregators?|portals?)",
    "sms": r"\bsms\b|text messag(?:e|es|ing)|texting",
    "content": r"content(?: sites?)?|\bseo\b|blogs?|reviews?",
    "contextual": r"contextual|context (?:ads?|advertising)",
    "toolbar": r"toolbars?|browser (?:extensions?|plug-?ins?|add-?ons?|apps?|applications?)|adware|spyware|ad[\s-]?injection"
               r"|parasite[\s-]?(?:ware|software)"
               r"|browser helper objects?|shopping assist\w* (?:apps?|applications?|software|tools?)"
               r"|(?:coupon|shopping|cash ?back|savings?) (?:apps?|extensions?|plug-?ins?|add-?ons?)"
               r"|downloadable (?:applications?|software)",
    "sub-affiliate": r"sub[\s-]?affiliates?|sub[\s-]?networks?",
    "misleading": r"mislead(?:s|ing)?|misguiding|false claims|false information|fake news|deceptive|misrepresent\w*"
                  r"|fake (?:information|claims)|untrue (?:claims|statements)"
                  # (session 15) "No unsupported results or earnings claims": a claim of what a buyer will earn
                  r"|(?:unsupported|unsubstantiated|exaggerated|unrealistic) (?:[\w-]+ (?:or|and) )?(?:[\w-]+ )?claims"
                  r"|(?:earnings?|income|results?) claims",
}
# a type word inside a host name ("Adult-Site-Traffic.com") names a site, not a traffic type
NOT_IN_HOST = r"(?![\w-]*\.(?:com|net|org|io|co|de|uk|fr|es|it|nl|au|ca|in)\b)"
_TYPE_RE = {k: re.compile(rf"(?<![\w-])(?:{v})(?![\w]){NOT_IN_HOST}", re.I) for k, v in TRAFFIC_TYPES.items()}
_LABEL_NOUN = (r"(?: (?:traffic|promotion(?:al)?|marketing|advertising))?"
               r"(?: (?:types?|sources?|methods?|media|channels?|activities|practices))?")
_ALLOWED_LABEL = re.compile(r"(?<!dis)(?<!not )\b(?:allowed|accepted|acceptable|permitted|approved)" + _LABEL_NOUN + r"\s*:"
                            r"|\btraffic (?:types?|sources?)? ?allowed\s*:", re.I)
ALLOWED_LABEL = _ALLOWED_LABEL     # for `terms`: a permitted list's label ends a banned list before it
# "The following activities are not allowed on the programme:" heads its list like "Not allowed:"
_FORBIDDEN_LABEL = re.compile(r"\b(?:restricted|forbidden|prohibited|disallowed|not allowed|not permitted|not accepted|banned"
                              r"|unacceptable|not acceptable|no)"
                              + _LABEL_NOUN + r"\s*:"
                              r"|\b(?:are|is) (?:\w+ )?not (?:allowed|permitted)"
                              r" (?:on|in|under|within) (?:the |this |our )?\w+\s*:"
                              r"|\brestrictions?\s*:|\btraffic restrictions\s*:", re.I)
# A table cell that is only a list label ("Disallowed Media | Deals | POP Traffic"): it heads the cells after it
_FORBIDDEN_CELL = re.compile(r"(?:restricted|forbidden|prohibited|disallowed|not allowed|not permitted|not accepted|banned"
                             r"|unacceptable|not acceptable)"
                             + _LABEL_NOUN, re.I)
_ALLOWED_CELL = re.compile(r"(?:allowed|accepted|acceptable|permitted|approved)" + _LABEL_NOUN, re.I)
_NEG_AFTER = re.compile(r"\b(?:(?:not|never) (?:allowed|permitted|accepted|tolerated|eligible|supported|welcome|authori[sz]ed)"
                        # "... is against our terms", "... are strictly off limits", "... is reserved for our in-house team"
                        r"|(?:is|are) (?:strictly )?(?:against (?:our|the|these|this) (?:\w+ )?(?:terms|rules|polic(?:y|ies)"
                        r"|guidelines|agreement)|off[- ](?:limits|the table)"
                        r"|reserved (?:exclusively |only )?for (?:us|our|the (?:merchant|advertiser|brand|company)))"
                        r"|prohibited|forbidden|disallowed|banned"
                        r"|(?:is|are|constitutes?) (?:a |an )?(?:violation|breach)"
                        r"|(?:will|shall) be (?:denied|rejected|reversed|voided|declined|withheld|forfeited|cancell?ed"
                        r"|terminated|suspended|removed|banned|expelled|disqualified)"
                        r"|(?:will|shall|do|does) not (?:receive|earn|qualify for|be eligible for) (?:any |a )?commissions?"
                        r"|(?:will|shall) (?:lose|forfeit) (?:\w+ ){0,2}(?:commissions?|earnings|payments?|rewards?)"
                        r"|(?:is|are|will be) (?:considered|deemed|treated as|regarded as) (?:fraud\w*|a violation|a breach)"
                        r"|(?:is|are) (?:strictly )?restricted(?! to\b)"
                        # (session 14) "Brand bidding restrictions apply across all search engines"
                        r"|restrictions (?:apply|are in place)"
                        r"|(?:(?:will|shall) not|won'?t) be (?:approved|accepted|considered|paid|credited|commissioned"
                        r"|tolerated|permitted|allowed)"
                        # "Sites with adult content are rejected", "Sub-networks may not promote this program",
                        # "... will have their commissions reversed"
                        r"|(?:is|are) (?:automatically |immediately |always )?(?:rejected|declined|refused)"
                        r"|(?:may|must|shall|should) not (?:promote|join|participate|apply|advertise|be employed"
                        r"|be (?:purchased|bought|bid on|targeted)"
                        r"|be used (?:to|for) (?:promot|advertis|market|driv|send|generat)\w*)"
                        r"|(?:cannot|can't|can ?not) (?:promote|join|participate|apply|advertise|be employed)"
                        r"|(?:will|shall) have (?:their|your|its|the|his|her) (?:\w+ ){0,2}(?:commissions?|earnings|accounts?"
                        r"|payments?|membership) (?:reversed|voided|withheld|forfeited|cancell?ed|terminated|suspended"
                        r"|declined|removed|closed)"
                        r"|(?:(?:will|shall|may|can) (?:also )?)?(?:results? in|leads? to|(?:is|are|be) grounds for)(?: \w+){0,3}"
                        r" (?:termination|suspension|removal|reversal|cancell?ation|forfeit\w*|closure|expulsion|deactivation"
                        r"|ban)"
                        r"|strictly prohibited|(?:be|are|is) blocked|(?:be|are|is) avoided|(?:be|are|is) excluded"
                        r"|(?:is|are) (?:an? )?(?:absolute |strict |definite |hard )?no[- ]go"
                        r"|(?:be|are|is) (?:not eligible|ineligible)"
                        # "Coupon sites are also invalid", "Cashback traffic is considered invalid", "... are not to be used"
                        r"|(?:is|are|be) (?:also )?(?:(?:deemed|considered|treated as|regarded as) )?invalid"
                        r"|(?:is|are) not to be (?:used|displayed|placed|posted|promoted|shown|advertised|run))\b"
                        # elliptical: "Paid social is allowed. Brand bidding is not."
                        r"|\b(?:is|are) not(?=\s*(?:[.;!|]|$))", re.I)
_BULLET = re.compile(r"\s*[-*•]\s")
_POS_AFTER = re.compile(r"\b(?:allowed|accepted|permitted|ok|welcome)\b", re.I)
_NEG_BEFORE = re.compile(r"(?:\bno\b(?!-)|\bnor\b|\bnot\b(?!\s+(?:responsible|liable|accountable)\b)|\bnever\b|\bwithout\b"
                         r"|\bdon'?t\b|\bdo not\b|\bmay not\b|\bcannot\b|\bcan't\b)"
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
    brands = [m.start() for m in _TYPE_RE["brand-bidding"].finditer(segment)]
    for name, rx in _TYPE_RE.items():
        # "SEM - Brand Keywords | SEM - Generic Keywords": the first SEM is brand bidding, the second search
        m = next((m for m in rx.finditer(segment) if name != "search" or not _brand_follows(segment, m.end(), brands)), None)
        if m:
            hits.append((m.start(), name, (offset + m.start(), offset + m.end())))
    return [(n, span) for _, n, span in sorted(hits)]


# (session 9) "PPC activity and brand bidding", "search ads or trademark bidding": a conjunction between a search
# mention and a brand mention lists two practices; only a preposition ("PPC on brand terms") scopes one to the other
SEARCH_BRAND_COORDINATED = re.compile(r"(?i)\b(?:and|or|nor|as well as)\b|&")


def same_item(gap: str) -> bool:
    """The text between a search mention and a brand mention joins them into one practice ("PPC on brand terms",
    "brand SEM"): short, no list separator, no conjunction that would list them as two."""
    return len(gap) <= 15 and not re.search(r"[|,;•]", gap) and not SEARCH_BRAND_COORDINATED.search(gap)


def _brand_adjacent(segment: str, start: int, end: int) -> bool:
    """A brand-bidding mention that contains or touches a search mention, in the same list item ("brand SEM")."""
    for b in _TYPE_RE["brand-bidding"].finditer(segment):
        lo, hi = (b.end(), start) if b.end() <= start else (end, b.start())
        if (b.start() <= start and end <= b.end()) or (0 <= hi - lo and same_item(segment[lo:hi])):
            return True
    return False


def _brand_follows(segment: str, end: int, brands: list[int]) -> bool:
    """A brand-bidding mention right after a search mention, in the same list item ("PPC on brand terms")."""
    return any(0 <= b - end and same_item(segment[end:b]) for b in brands)


_SEGMENT = re.compile(r"(?:[^\n.;!]|\.(?=\w))+")     # a dot inside a word ("site.com", "2.5") ends nothing


Spans = dict[str, tuple[int, int]]


# "e.g." and "i.e." end no sentence: their dots would cut a rule from its examples
_ABBREVIATIONS = re.compile(r"(?i)\b(?:e\.g|i\.e|etc|incl)\.")
# ") " before a capital closes a parenthetical rule (not "Google ads (or others) campaigns are not allowed");
# "|" and "•" separate table cells and bullet items; " - " keeps a label with its verdict ("Coupons - Not
# Allowed"); "-" between two words joins a rule to the next ("required-cloaking")
_PIECE_SPLIT = re.compile(r"(?<=\))\s(?=[A-Z])|\s*[|•]\s*|(?<=[a-z])-(?=[a-z]+ (?:is|are) )")


def _traffic_pieces(text: str) -> list[tuple[str, int]]:
    """Rule-sized pieces of text with their offsets: sentences, ";" items, table cells, bullets, parentheticals."""
    pieces = []
    for m in _SEGMENT.finditer(_ABBREVIATIONS.sub(lambda a: a.group(0).replace(".", ","), text)):
        start = m.start()
        for sep in _PIECE_SPLIT.finditer(text, m.start(), m.end()):
            if sep.group(0) == "-" and _hyphenated_type(text, sep.start()):
                continue     # "Pop-ups are forbidden", "Sub-affiliates are not allowed": one word, not two rules
            pieces.append((text[start:sep.start()], start))
            start = sep.end()
        pieces.append((text[start:m.end()], start))
    return pieces


def _hyphenated_type(text: str, dash: int) -> bool:
    """The hyphen at `dash` joins a compound that names a traffic type ("pop-ups", "sub-affiliates", "e-mail")."""
    left = re.search(r"[\w]+$", text[:dash])
    right = re.match(r"[\w]+", text[dash + 1:])
    word = text[left.start() if left else dash:dash + 1 + (right.end() if right else 0)]
    return any(rx.fullmatch(word) for rx in _TYPE_RE.values())


def _labelled_rules(seg: str, off: int, allowed: Spans, forbidden: Spans) -> None:
    """"Allowed: Email, Social. Not allowed: Incent" may share one segment: split at the labels."""
    marks = sorted([(m.start(), m.end(), "a") for m in _ALLOWED_LABEL.finditer(seg)]
                   + [(m.start(), m.end(), "f") for m in _FORBIDDEN_LABEL.finditer(seg)])
    for i, (_, end, kind) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(seg)
        target = allowed if kind == "a" else forbidden
        for t, span in _types_in(seg[end:stop], off + end):
            if _qualified(seg, span[0] - off, t) or _REQUIRED_AFTER.match(seg[span[1] - off:]):
                continue
            if target is forbidden and ITEM_ALLOWED_AFTER.match(seg, span[1] - off):
                continue     # "Restricted traffic: Incentivized (no), Social (yes)": the item's own verdict wins
            target.setdefault(t, span)


# A list item's own positive verdict right after the type: "Social (yes)", "Email - allowed", "Push: ✓"
# ("Coupons Allow", a table's verdict column); not the next list's label ("- SEM Permitted activities: - Content")
ITEM_ALLOWED_AFTER = re.compile(r"(?:\s*/\s*[\w-]+)?(?:\s+(?:traffic|sites?|ads|marketing|media))?\s*[(:|–-]?\s*"
                                r"(?:yes|allow(?:ed)?|ok|okay|permitted|accepted|welcome|[✓✔])(?![\w])"
                                r"(?!(?:\s+[\w-]+){0,3}\s*:)", re.I)


_VERB_USE = re.compile(r"(?i)\s+(?:us|me|you|them|him|her|our (?:support|team))\b")


def _inside_longer(seg: str, name: str, m: re.Match) -> bool:
    """The mention is part of a longer mention of another type ("Email blasts" is spam, not email)."""
    return any(other != name and o.start() <= m.start() and m.end() <= o.end() and o.end() - o.start() > m.end() - m.start()
               for other, rx in _TYPE_RE.items() for o in rx.finditer(seg, max(0, m.start() - 30), m.end() + 30))


# The end-anchored cues read before a type mention ("permission to run ...", "we do not prohibit ...", "no ...") are a
# few words long: they are searched in this many characters before the mention (the whole text before it made a long
# unpunctuated text quadratic); the search keeps the real text, so word boundaries at the window's start are exact
BEFORE_WINDOW = 400


def _ends_before(rx: re.Pattern, seg: str, at: int) -> bool:
    """`rx` (anchored at `$`) matches the text before position `at`, looking back at most BEFORE_WINDOW characters."""
    return rx.search(seg, max(0, at - BEFORE_WINDOW), at) is not None


def _sentence_rules(seg: str, off: int, allowed: Spans, forbidden: Spans) -> None:
    for name, rx in _TYPE_RE.items():
        for m in rx.finditer(seg):
            before, after = seg[: m.start()], seg[m.end(): m.end() + 40]
            if _REQUIRED_AFTER.match(after) or _ends_before(_ALLOWED_BEFORE, seg, m.start()) \
                    or _qualified(seg, m.start(), name):
                continue
            if _inside_longer(seg, name, m) or _VERB_USE.match(seg, m.end()):
                continue      # "Email blasts" is spam; "do not hesitate to email us" uses the word as a verb
            if name == "search" and _brand_adjacent(seg, m.start(), m.end()):
                continue      # "brand SEM", "PPC on brand terms": brand bidding, not a ban on search
            if _modifies_next(seg, name, m.end()):
                continue      # "Facebook Display Forbidden": display on Facebook, the head word is what is ruled
            if _ends_before(_PERMITTED_BEFORE, seg, m.start()) or _PERMITTED_AFTER.match(after) \
                    or _own_verdict_allows(before, after):
                allowed.setdefault(name, (off + m.start(), off + m.end()))     # "we do not prohibit social media"
                continue
            # "no incent", "incent traffic is not allowed", "do not use email", "may not run PPC ads, use
            # toolbars or coupons" (one negator governs the list after it)
            if _ends_before(_NEG_BEFORE, seg, m.start()) or _NEG_AFTER.search(after.split(",")[0] if "," in after else after) \
                    or _negated_list(before) or _negated_after_list(seg[m.end():]):
                forbidden.setdefault(name, (off + m.start(), off + m.end()))
            elif _POS_AFTER.search(after[:25]):
                allowed.setdefault(name, (off + m.start(), off + m.end()))


_SELF_STANDING = ("misleading", "adult", "spam")     # a type that is the rule itself even before another type word


def _modifies_next(seg: str, name: str, end: int) -> bool:
    """The mention is followed, after one space, by another type word it modifies ("Facebook Display")."""
    gap = re.match(r"[^\S\n]+", seg[end:])
    if name in _SELF_STANDING or gap is None:
        return False
    at = end + gap.end()
    return any(other != name and (name, other) != ("brand-bidding", "search") and rx.match(seg, at)
               for other, rx in _TYPE_RE.items())


def _own_verdict_allows(before: str, after: str) -> bool:
    """The type's own verdict right after it allows it ("Emails Allow Popunder Allow Reachmedia Forbidden"): a
    verdict further on belongs to the next row of the table. "No email allowed" stays a ban."""
    return bool(ITEM_ALLOWED_AFTER.match(after)) and not _NEG_BEFORE.search(before)


def _governing_label(seg: str, allowed: Spans, forbidden: Spans) -> Spans | None:
    """The list a piece opens with its last label or negator followed by ":" ("Disallowed Media: a | b",
    "Publishers must not: • a • b"), or None."""
    marks = [(m.start(), forbidden) for m in _LIST_NEGATOR.finditer(seg)] + \
            [(m.start(), forbidden) for m in _NEG_AFTER.finditer(seg)] + \
            [(m.start(), forbidden) for m in _FORBIDDEN_LABEL.finditer(seg)] + \
            [(m.start(), allowed) for m in _ALLOWED_LABEL.finditer(seg)]
    if not marks:
        return None
    start, target = max(marks, key=lambda mk: mk[0])
    return target if ":" in seg[start:] else None


def _cell_label(text: str, off: int, seg: str, allowed: Spans, forbidden: Spans) -> Spans | None:
    """A piece that is nothing but a list label and is followed by "|" heads the table cells after it,
    as "Disallowed Media:" would; "Disallowed Media" inside a sentence heads nothing."""
    if not text[off + len(seg):].lstrip().startswith("|") or text[:off].rstrip()[-1:] not in ("", "|", ":", "\n"):
        return None     # "Paid search (Brand) Forbidden | ...": a verdict closing its own cell heads nothing
    if _FORBIDDEN_CELL.fullmatch(seg):
        return forbidden
    return allowed if _ALLOWED_CELL.fullmatch(seg) else None


def _list_item(seg: str, off: int, target: Spans, banned: bool) -> None:
    """One item of a labelled list; "SEM - needs approval" in a banned list is allowed on request, not banned, and so is
    the exception an item names ("... other than those banners we approve")."""
    for t, span in _types_in(seg, off):
        if _qualified(seg, span[0] - off, t) or (banned and _CONDITIONAL.search(seg)) \
                or _EXCEPTED_BEFORE.search(seg, 0, span[0] - off):
            continue
        target.setdefault(t, span)


def _traffic_rules(text: str) -> tuple[list[tuple[str, tuple[int, int]]], list[tuple[str, tuple[int, int]]]]:
    """(allowed, forbidden) traffic types, each with the span of the words that named it."""
    allowed: Spans = {}
    forbidden: Spans = {}
    governing: Spans | None = None   # "Prohibited: a; b | c" -- the label governs every following list item
    for seg, off in _traffic_pieces(text):
        stripped = seg.strip()
        if not stripped:
            continue
        # an item after ";", "|", "•", a label's ":" or a line break, or a line that is itself a bullet ("- Email")
        continues_list = text[:off].rstrip()[-1:] in (";", "|", "•", "-", ":") or bool(_BULLET.match(seg))
        off += seg.find(stripped)
        seg = stripped
        if governing is not None and continues_list and not (_ALLOWED_LABEL.search(seg) or _FORBIDDEN_LABEL.search(seg)):
            _list_item(seg, off, governing, governing is forbidden)
            continue
        cell = _cell_label(text, off, seg, allowed, forbidden)     # an empty dict is still a list to fill
        governing = cell if cell is not None else _governing_label(seg, allowed, forbidden)
        if _ALLOWED_LABEL.search(seg) or _FORBIDDEN_LABEL.search(seg):
            _labelled_rules(seg, off, allowed, forbidden)
        else:
            _sentence_rules(seg, off, allowed, forbidden)
    # "PPC ads on brand terms" is brand bidding, not a ban on search traffic
    if "search" in forbidden and "brand-bidding" in forbidden:
        (ss, se), (bs, be) = forbidden["search"], forbidden["brand-bidding"]
        gap = text[se:bs] if se <= bs else text[be:ss]
        if same_item(gap):
            del forbidden["search"]
    allowed_list = [(t, sp) for t, sp in allowed.items() if t not in forbidden]
    return allowed_list, sorted(forbidden.items(), key=lambda kv: kv[1][0])


# "Direct linking is required", "email is permitted only with opt-in lists": not a prohibition of the type itself
_REQUIRED_AFTER = re.compile(r"^\s*(?:(?:is|are)\s+(?:required|mandatory|encouraged|preferred|ok|fine|welcome)"
                             r"|(?:needed|required|necessary)\b"     # "no forms or pop-ups required": a need, not a rule
                             r"|(?:that|which) (?:is|are)\b|(?:containing|including|includes?)\b)", re.I)
# (session 9) "other than those banners", "except for our coupon codes": the exception to a ban, not banned
EXCEPTED_BEFORE = _EXCEPTED_BEFORE = re.compile(r"\b(?:other than|except(?: for)?|apart from|save for)\s+"
                                                r"(?:(?:those|these|the|our|any)\s+)?$", re.I)
_ALLOWED_BEFORE = re.compile(r"(?:\bpermission to (?:run|use)|\bare ok to run|\bpermissible only)\W+(?:\w+\W+){0,3}$", re.I)


# "SEM - needs approval", "with prior approval": a listed type that is allowed on request is not banned
CONDITIONAL = _CONDITIONAL = re.compile(r"(?i)\b(?:needs?|requires?|with(?: prior| written)?) (?:prior |written )?approval\b"
                          r"|\bapproval required\b")
# A negated prohibition is a permission: "we do not prohibit / restrict / mind X", "X is not prohibited"
_PERMISSION_VERB = r"(?:prohibit|forbid|ban|restrict|limit|mind|object to)\w*"
_PERMITTED_BEFORE = re.compile(r"(?:\bnot|\bnever|n't)\s+(?:\w+\s+)?" + _PERMISSION_VERB
                               + r"(?:\s+(?:the use of|using|your|our))?(?:\s+(?!but\b|however\b)[\w-]+,?){0,4}\s+$", re.I)
_PERMITTED_AFTER = re.compile(r"\s*(?:\w+\s+){0,2}(?:is|are)\s+not\s+(?:\w+\s+)?(?:prohibited|forbidden|banned|restricted)\b",
                              re.I)
_QUALIFIED = re.compile(r"\b(?:misleading|expired|explicit|unlawful|inappropriate|offensive|sexual|pornographic|hateful"
                        r"|unauthori[sz]ed|unapproved|fake|false|invalid|adult|restricted|illegal|violent|unsolicited|bulk"
                        r"|spam(?:my)?)\b(?:\s+(?:or|and|/)\s+\w+)?\s+$", re.I)
_LIST_NEGATOR = re.compile(r"\b(?:may not|must not|cannot|can't|shall not|will not"
                           r"|(?:do|does|will) not (?:allow|accept|tolerate|permit)|don't (?:allow|accept|tolerate|permit)"
                           r"|are not (?:allowed|permitted) to|is not (?:allowed|permitted) to|prohibited from|not permitted to"
                           r"|(?:barred|banned|forbidden|precluded|restricted) from"
                           r"|refrain(?:s|ing)? from"
                           # "Do not bid on coupon keywords or our brand terms" (not "do not hesitate to email us")
                           r"|(?:do|does) not|don't|doesn't)\b(?!\s+(?:hesitate|forget|miss|need|have to|worry|know)\b)"
                           r"|\bnever\b", re.I)
_LIST_POSITIVE = re.compile(r"\b(?:allowed|permitted|welcome|ok|okay|fine|encouraged|but|however|except|unless)\b", re.I)


def _qualified(seg: str, start: int, name: str = "") -> bool:
    """"misleading or expired coupons", "adult content", "unsolicited email": the qualifier is the rule."""
    m = _QUALIFIED.search(seg[max(0, start - 28):start])
    if m is None or name in ("misleading", "adult", "spam"):
        return False
    return not AUTHORISATION_ONLY.match(m.group(0)) or name in MATERIAL_TYPES


# "unauthorized brand bidding" bans the practice done without permission; "unauthorized coupons" are
# one kind of coupon (the rule is about the authorisation, not the coupon channel)
AUTHORISATION_ONLY = re.compile(r"(?i)un(?:authori[sz]ed|approved)\b")
MATERIAL_TYPES = ("coupon", "content", "display", "native")


def ban_follows(rest: str) -> bool:
    """The text after a type mention bans it ("... and pop-ups are strictly not allowed"), for `terms`' own synonyms."""
    return _negated_after_list(rest)


# How far after a type mention a negation may start to ban it, and how much text is searched for one: a negation that
# starts within the reach is at most a few words long, so searching a window (not the whole rest of the sentence) finds
# the same first negation and keeps a long unpunctuated text linear (12 KB of "spam on forums ..." took 9.6 s)
NEG_AFTER_REACH = 120
NEG_AFTER_WINDOW = NEG_AFTER_REACH + 400


def _negated_after_list(rest: str) -> bool:
    """"A, B or C is strictly not allowed": a negation after a list of types, nothing positive between."""
    m = _NEG_AFTER.search(rest[:NEG_AFTER_WINDOW])
    if m is None or m.start() >= NEG_AFTER_REACH:
        return False
    return not _LIST_POSITIVE.search(rest[:m.start()]) and not _POS_AFTER.search(rest[:m.start()])


# "No brand, misspellings, TM+ or direct linking.", "No spamming, or any email promotion is allowed.": a "No" that
# opens the sentence (or its value, after a label's ":") negates every item of the list it opens
_OPENING_NO = re.compile(r"^\s*(?:[^:]{0,40}:\s*)?no\s+(?!(?:matter|need|longer|more than|less than|minimum|fee|cost|limit)\b)",
                         re.I)


# "No use of our brand in social media", "No search ads (especially on brand terms)": a venue or an aside, not an item
_VENUE_OR_ASIDE = re.compile(r"\(|\b(?:in|on|via|through|across|within|to|for|from|with|by)\b", re.I)


# (session 9) an item of a list of what partners must be that opens with a negated "be": "Aren't coupon/deal sites or
# using coupon extensions", "Are not adult sites"
_OPENING_NOT_BE = re.compile(r"^\s*(?:aren'?t|are not|isn'?t|is not)\s+", re.I)


def _negated_list(before: str) -> bool:
    """A negator earlier in the clause, with nothing positive between it and the type."""
    negs = list(_LIST_NEGATOR.finditer(before))
    if not negs:
        opening = _OPENING_NO.match(before) or _OPENING_NOT_BE.match(before)
        if opening is None:
            return False
        rest = before[opening.end():]
        return not (_LIST_POSITIVE.search(rest) or _VENUE_OR_ASIDE.search(rest))
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
