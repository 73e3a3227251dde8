"""Parsers for the field types real records need: address, phone, person, organisation, date, list.

Why parse instead of comparing raw strings: "12 Main St." and "12 Main Street Apt 4" are one
address while "12 Main St" and "14 Main St" are not, although the second pair is the closer
string; "Smith, John" and "John Smith" are one person; "+1 212-677-0606" and "(212) 677 0606"
are one phone. Each parser returns a small immutable value (or None for unknown), computed once
per record, so the comparison levels in `scoring.py` are cheap lookups per pair.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from rapidfuzz import utils

_PAREN = re.compile(r"\([^)]*\)")
_DIGITS = re.compile(r"\D+")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")
_ISO = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")  # 1995-11-17, 1995/11/17, 1995.11.17
_COMPACT = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(\d\d)(\d\d)(?!\d)")  # 19951117 (ISO 8601 basic)
_YEAR_LAST = re.compile(r"(?<!\d)(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?!\d)")  # 17/11/1995 or 11/17/1995

# Legal forms, articles and fillers that say nothing about which organisation a name denotes.
ORG_STOPWORDS = frozenset(
    "the inc incorporated corp corporation co company ltd limited llc llp plc gmbh ag sa sas sarl srl spa"
    " nv bv kg kgaa oy ab as aps pty pte bhd kk lp holding holdings group".split()
)

# Street-type and direction abbreviations (USPS Publication 28 forms, the common ones).
STREET_ABBREV = {
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "avn": "avenue",
    "blvd": "boulevard",
    "bl": "boulevard",
    "blv": "boulevard",
    "bvd": "boulevard",
    "rd": "road",
    "dr": "drive",
    "ln": "lane",
    "ct": "court",
    "pl": "place",
    "pkwy": "parkway",
    "pky": "parkway",
    "hwy": "highway",
    "sq": "square",
    "ter": "terrace",
    "terr": "terrace",
    "cir": "circle",
    "plz": "plaza",
    "aly": "alley",
    "expy": "expressway",
    "fwy": "freeway",
    "trl": "trail",
    "crt": "court",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "ne": "northeast",
    "nw": "northwest",
    "se": "southeast",
    "sw": "southwest",
    "mt": "mount",
    "ft": "fort",
    "hts": "heights",
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
    "4th": "fourth",
    "5th": "fifth",
    "6th": "sixth",
    "7th": "seventh",
    "8th": "eighth",
    "9th": "ninth",
    "10th": "tenth",
}
UNIT_WORDS = frozenset("apt apartment suite ste unit fl floor rm room bldg building no".split())

# Common English given-name variants (a name and its nicknames share one canonical form).
_NICK_GROUPS = (
    "william bill billy will willy liam", "robert bob bobby rob robbie bert", "richard rick ricky dick rich",
    "james jim jimmy jamie", "john jack johnny jon", "joseph joe joey", "thomas tom tommy",
    "charles charlie chuck chas", "edward ed eddie ted ned", "michael mike mick mickey", "david dave davey",
    "daniel dan danny", "anthony tony", "christopher chris kit", "matthew matt", "andrew andy drew",
    "nicholas nick nicky", "stephen steven steve", "benjamin ben benny", "samuel sam sammy",
    "alexander alex sandy", "jonathan jon jonny", "timothy tim timmy", "patrick pat paddy",
    "peter pete", "gregory greg", "kenneth ken kenny", "ronald ron ronnie", "donald don donny",
    "lawrence larry", "raymond ray", "gerald gerry jerry", "frederick fred freddy", "henry hank harry",
    "harold hal harry", "albert al bert", "walter walt", "eugene gene", "philip phil", "leonard leo len",
    "margaret maggie meg peggy marge", "elizabeth liz beth betty lizzie eliza",
    "katherine kathy kate katie kathryn catherine cathy",
    "jennifer jen jenny", "patricia pat patty trish", "susan sue susie", "deborah deb debbie",
    "rebecca becky becca", "victoria vicky tori", "christine chris chrissy christina", "barbara barb babs",
    "dorothy dot dottie", "abigail abby", "jessica jess jessie", "samantha sam", "alexandra alex sandra",
    "theodore ted teddy theo", "vincent vince vinny", "zachary zach zack", "nathaniel nathan nate",
)
NICKNAMES: dict[str, str] = {}
for _g in _NICK_GROUPS:
    _names = _g.split()
    for _n in _names:
        NICKNAMES.setdefault(_n, _names[0])


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _process(value: Any) -> str:
    return utils.default_process(str(value)) if not is_missing(value) else ""


# --- organisation ------------------------------------------------------------------------------
def organisation(value: Any) -> str | None:
    """Lower-cased words with '&' read as 'and', legal forms and articles dropped ('The Acme Co.' -> 'acme')."""
    if is_missing(value):
        return None
    s = _process(str(value).replace("&", " and ").replace("+", " and "))
    toks = [t for t in s.split() if t not in ORG_STOPWORDS]
    out = " ".join(toks) or s
    return out or None


# --- person ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """A person's name: given names (canonical nickname form) and the family name, all lower case."""

    given: tuple[str, ...]
    family: str

    @property
    def text(self) -> str:
        return " ".join(self.given + (self.family,))

    @property
    def initials(self) -> tuple[str, ...]:
        return tuple(g[0] for g in self.given)


def person(value: Any) -> Person | None:
    """'Smith, John A.' and 'John A. Smith' -> Person(('john', 'a'), 'smith'); '(I)' disambiguators dropped."""
    if is_missing(value):
        return None
    s = _PAREN.sub(" ", str(value))
    if s.count(",") == 1:  # "Last, First"
        last, first = s.split(",")
        s = f"{first} {last}"
    toks = [t for t in _process(s).split() if t not in _PERSON_TITLES]
    if not toks:
        return None
    return Person(tuple([NICKNAMES.get(t, t) for t in toks[:-1]]), toks[-1])  # a list first: faster than a generator


_PERSON_TITLES = frozenset(("jr", "sr", "ii", "iii", "iv", "dr", "mr", "mrs", "ms", "prof"))


def given_compatible(a: Person, b: Person) -> bool:
    """First given names agree, or one is the other's initial (nicknames already canonical)."""
    if not a.given or not b.given:
        return True
    x, y = a.given[0], b.given[0]
    return x == y or (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y))


# --- address -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Address:
    """House number, street words (abbreviations expanded) and unit; the house number may be None."""

    number: str | None
    street: str
    unit: str | None

    @property
    def text(self) -> str:
        return " ".join(x for x in (self.number, self.street, self.unit) if x)


def address(value: Any) -> Address | None:
    """'12-14 Main St., Apt 4B' -> Address('12', 'main street', '4b')."""
    if is_missing(value):
        return None
    s = _process(str(value).replace("#", " unit "))
    toks = s.split()
    if not toks:
        return None
    number = None
    lead = re.match(r"\d+", toks[0])  # (str.isdigit also accepts digits like "²" that \d does not)
    if lead:
        number = lead.group(0)
        toks = toks[1:]
        if toks and toks[0].isdigit() and number is not None and len(toks) > 1:  # "12 14 main" (a range)
            toks = toks[1:]
    unit = None
    street: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in UNIT_WORDS and i + 1 < len(toks):
            unit = toks[i + 1]
            i += 2
            continue
        street.append(STREET_ABBREV.get(t, t))
        i += 1
    return Address(number, " ".join(street), unit)


# --- phone -------------------------------------------------------------------------------------
def infer_region(values: Iterable[Any], sample: int = 300) -> str | None:
    """The country under which most of a column's numbers are valid, when they carry no '+' prefix.

    The rule: the first `REGION_PROBE` numbers are tried in every region; a region none of them is
    valid in scores 0 (unless none is valid anywhere: then every region competes); the others score
    how many of the first 60 numbers are valid there; the best score wins, ties by how the column
    groups its digits (`_written_like`). `_region_scores` finds the same winners without trying every
    number in every region."""
    import phonenumbers

    raw = [str(v) for v in values if not is_missing(v)][:sample]
    national = [v for v in raw if not v.strip().startswith("+")]
    if not national:
        return None
    scores = _region_scores(national[:60], sorted(phonenumbers.SUPPORTED_REGIONS), REGION_PROBE)
    if not scores:
        return None
    best = max(scores.values())
    tied = sorted(r for r, c in scores.items() if c == best)
    if len(tied) == 1:
        return tied[0]
    # numbers valid in several countries: the one whose national format groups the digits the
    # way the column writes them ('310/246-1501' is 3-3-4, as in the US, not 4-3-4 as in China)
    return max(tied, key=lambda r: _written_like(national[:60], r))


REGION_PROBE = 12  # numbers tried in every region before the shortlist


def _region_scores(numbers: Sequence[str], regions: Sequence[str], probe: int) -> dict[str, int]:
    """Per region, its score under `infer_region`'s rule: how many of `numbers` are valid there,
    0 for a region none of the first `probe` numbers is valid in while some region has one (every
    region competes when none has); zeros left out. Regions that cannot reach the best score may be
    left out too: the best score and the regions that reach it are always exact.

    Why not every number in every region (what `_valid_counts` does): parsing is ~0.1 ms, and 12
    numbers x 245 regions plus the shortlist x 48 was ~5,100 parses, most of loading a small phone
    linkage. Branch and bound instead: a region's score is at most its valid numbers so far plus
    the numbers it has not tried, at least its valid numbers so far once one of its first `probe`
    is valid; the region with the highest bound (ties: the one tried furthest) tries its next
    number, and a region whose bound falls below the best sure score is dropped (it cannot tie).
    The column's own country usually takes every number first, and the others drop after their
    first invalid one: ~300 parses. Each (number, region) is tried at most once (repeated numbers
    reuse the answer)."""
    import heapq

    n = len(numbers)
    probe = min(probe, n)
    valid_count = [0] * len(regions)
    in_head = [False] * len(regions)  # one of the first `probe` numbers is valid there
    sure = 0  # a score some region certainly reaches (0: no region has a valid head number yet)
    done: list[int] = []
    seen: dict[tuple[str, str], bool] = {}
    heap = [(-n, 0, i) for i in range(len(regions))]  # (-bound, -tried, region): a valid heap as built
    while heap:
        neg_bound, neg_tried, i = heapq.heappop(heap)
        if -neg_bound < sure:  # this and every later region cannot reach the best score
            break
        tried = -neg_tried
        if tried >= probe and not in_head[i] and sure > 0:  # scores 0 while another region scores
            continue
        region, v = regions[i], numbers[tried]
        ok = seen.get((v, region))
        if ok is None:
            ok = seen[v, region] = _valid_in(v, region)
        if ok:
            valid_count[i] += 1
            in_head[i] = in_head[i] or tried < probe
            if in_head[i]:
                sure = max(sure, valid_count[i])
        tried += 1
        if tried < n:
            heapq.heappush(heap, (-(valid_count[i] + n - tried), -tried, i))
        else:
            done.append(i)
    anywhere = sure > 0  # some region has a valid head number (else nothing was dropped)
    return {regions[i]: valid_count[i] for i in done
            if valid_count[i] and (in_head[i] or not anywhere)}


def _valid_in(value: str, region: str) -> bool:
    """Whether `value` parses as a valid number of `region` (`_valid_counts`' test, one number)."""
    import phonenumbers

    try:
        return bool(phonenumbers.is_valid_number_for_region(phonenumbers.parse(value, region), region))
    except phonenumbers.NumberParseException:
        return False


def _digit_groups(s: str) -> list[int]:
    return [len(g) for g in re.findall(r"\d+", s)]


def _written_like(values: Sequence[str], region: str) -> int:
    import phonenumbers

    hits = 0
    for v in values:
        try:
            num = phonenumbers.parse(v, region)
        except phonenumbers.NumberParseException:
            continue
        hits += _digit_groups(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)) == _digit_groups(v)
    return hits


def phone(value: Any, region: str | None) -> str | None:
    """E.164 ('+12126770606') when the number parses, else its digits (so unparseable numbers still compare)."""
    if is_missing(value):
        return None
    import phonenumbers

    s = str(value)
    try:
        num = phonenumbers.parse(s, region)
        if phonenumbers.is_possible_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = _DIGITS.sub("", s)
    return digits or None


# --- date / year -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Date:
    year: int
    month: int | None = None
    day: int | None = None


def _full_date(y: int, mo: int, d: int) -> Date | None:
    """A calendar date, or None when month/day cannot be one; a 01-01 date is read as a bare year."""
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return Date(y) if mo == 1 and d == 1 else Date(y, mo, d)


def infer_day_first(values: Iterable[Any], sample: int = 2000) -> bool | None:
    """Whether a column writes `d/m/yyyy` (True) or `m/d/yyyy` (False), from the values that
    can only be read one way (a first part above 12 is a day); None when none tells.

    Why per column: '04/09/1956' alone is April or September; a column is written one way, and
    one '25/09/1956' in it settles the rest (as the phone type reads the country off the column).
    """
    day_first = month_first = 0
    for v in [v for v in values if not is_missing(v)][:sample]:
        m = _YEAR_LAST.search(str(v))
        if m:
            a, b = int(m.group(1)), int(m.group(3))
            day_first += a > 12 >= b
            month_first += b > 12 >= a
    if day_first == month_first:
        return None
    return day_first > month_first


def date(value: Any, day_first: bool | None = None) -> Date | None:
    """'1995-11-17', '1995/11/17' and '19951117' -> Date(1995, 11, 17); '1999' or '(1959)' -> Date(year).

    '17/11/1995' is read day-first or month-first as `day_first` says (see `infer_day_first`), or
    unambiguously when its first part is above 12; left ambiguous, only its year is kept. A 01-01
    date is read as a bare year: exports often pad a year that way, and a real 1 January is rare
    enough to lose. An 8-digit string is a date only when its month and day can be one
    (ISO 8601 basic form, as person registers and FEBRL-style exports write birth dates)."""
    if is_missing(value):
        return None
    s = str(value)
    m = _ISO.search(s)
    if m and (out := _full_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))) is not None:
        return out
    m = _COMPACT.search(s)
    if m and (out := _full_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))) is not None:
        return out
    m = _YEAR_LAST.search(s)
    if m:
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        first = day_first if day_first is not None else (True if a > 12 else False if b > 12 else None)
        if first is not None and (out := _full_date(y, a, b) if not first else _full_date(y, b, a)) is not None:
            return out
    m = _YEAR.search(s)
    return Date(int(m.group(1))) if m else None


def _digits8(d: Date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def date_typo(a: Date, b: Date) -> bool:
    """Two full dates one keying error apart: one digit differs, two adjacent digits swapped, or
    day and month swapped (a d/m vs m/d slip). Why: birth dates are typed by hand, and such a
    pair is far likelier one person mistyped than two people born days or years apart."""
    if a.month is None or a.day is None or b.month is None or b.day is None or a == b:
        return False
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return True
    x, y = _digits8(a), _digits8(b)
    diff = [i for i in range(8) if x[i] != y[i]]
    return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]]
                              and x[diff[1]] == y[diff[0]])


# --- list --------------------------------------------------------------------------------------
LIST_SEPARATORS = ("**", ";", "|", ",", "/")


def detect_separator(values: Iterable[Any]) -> str:
    """The first of LIST_SEPARATORS that occurs in the column (',' when none does)."""
    sample = [str(v) for v in values if not is_missing(v)][:500]
    for sep in LIST_SEPARATORS:
        if any(sep in v for v in sample):
            return sep
    return ","


@dataclass(frozen=True)
class Items:
    """A list field: the normalized items and their last words (surname-like loose keys)."""

    items: frozenset[str]
    loose: frozenset[str]


def items(value: Any, sep: str) -> Items | None:
    if is_missing(value):
        return None
    # `_process(p)` for a string part, without its generic checks (a blank string is missing)
    process = utils.default_process
    parts = [" ".join(process(p).split()) if p.strip() else "" for p in str(value).split(sep)]
    parts = [p for p in parts if p]
    if not parts:
        return None
    return Items(frozenset(parts), frozenset(p.split()[-1] for p in parts))
