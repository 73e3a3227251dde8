"""Records: the typed, normalized view of input rows that blocking and scoring work on.

Why normalize once up front: every candidate pair would otherwise re-clean the same strings;
with 100k records and ~10 candidates each that is a million redundant cleanings. Each field is
turned into what its type needs (processed string, registered domain, float, identifier) and a
missing value stays None so scoring can treat "unknown" as neither agreement nor disagreement.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import math
import operator
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from rapidfuzz import utils

from matrix.normalize.domain import registered_domain
from matrix.resolve import fieldtypes as ft
from matrix.resolve.spec import ResolveSpec

# Legal-form and filler words that say nothing about which organisation a name denotes.
NAME_STOPWORDS = frozenset(
    "the inc incorporated corp corporation co company ltd limited llc llp plc gmbh ag sa sas sarl srl spa"
    " nv bv kg kgaa oy ab as aps pty pte bhd kk lp holding holdings group international intl"
    " official program affiliate affiliates partner partners".split()
)
_CODE_SPLIT = re.compile(r"[\s,;:()\[\]{}\"'|]+")
_NUM = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def process(value: Any) -> str | None:
    """RapidFuzz's default processing (lower case, non-alphanumerics to spaces, trimmed); blank -> None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    s = utils.default_process(str(value))
    return s or None


def name_key(processed: str | None) -> str | None:
    """An exact blocking key for names: legal forms and fillers dropped, spaces removed."""
    if not processed:
        return None
    toks = [t for t in processed.split() if t not in NAME_STOPWORDS]
    key = "".join(toks) if toks else processed.replace(" ", "")
    return key or None


_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# Articles that catalogues move behind a name ("Doors, The", "Grand jeu, Le", "Golem, Der").
INVERTED_ARTICLES = frozenset("the a an le la les l el los las il lo gli der die das den det het de een ein eine".split())


def name_core(raw: Any) -> str | None:
    """A name without bracketed qualifiers and with a trailing ', Article' put back in front.

    'Sentinel, The (1977)', 'The Sentinel' and 'Acme (UK)' / 'Acme' then share one blocking key:
    catalogues add years, countries and disambiguators in brackets and invert articles, and an
    exact key over the full string misses every such pair.
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    s = _BRACKETED.sub(" ", str(raw)).strip()
    head, sep, tail = s.rpartition(",")
    if sep and tail.strip().lower().rstrip("'") in INVERTED_ARTICLES and head.strip():
        s = f"{tail.strip()} {head.strip()}"
    p = process(s)
    return " ".join(p.split()) if p else None


def code_tokens(raw: Any) -> frozenset[str]:
    """Tokens that mix letters and digits (model numbers, SKUs, codes), hyphens/slashes/dots removed."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return frozenset()
    s = str(raw)
    if s.isascii() and not _ASCII_DIGIT.search(s):  # a code needs a digit: most titles and names have none
        return _NO_CODES
    return _code_tokens(s)


_ASCII_DIGIT = re.compile(r"[0-9]")
_NO_CODES: frozenset[str] = frozenset()
_CODE_JOINERS = str.maketrans("", "", "-/._")  # what `code_tokens` removes inside a token


def _code_tokens(s: str) -> frozenset[str]:
    """`code_tokens` of a string that may hold a digit (str.translate instead of a regex per token)."""
    out = set()
    for tok in _CODE_SPLIT.split(s):
        t = tok.translate(_CODE_JOINERS).lower()
        if len(t) >= 4 and t.isalnum() and any(c.isdigit() for c in t) and any(c.isalpha() for c in t):
            out.add(t)
    return frozenset(out)


def parse_number(value: Any) -> float | None:
    """'$1,299.00' -> 1299.0; unparseable or blank -> None (unknown, never 0)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    m = _NUM.search(str(value))
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def domain_of(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = str(value).strip().lower()
    if not s:
        return None
    if "://" not in s:
        s = "http://" + s
    return registered_domain(s)


def identifier(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = _NON_ALNUM.sub("", str(value).lower())
    return s or None


@dataclass
class Records:
    """Column-oriented normalized records. `source[i]` / `ids[i]` identify row i in the input."""

    spec: ResolveSpec
    source: list[str]
    ids: list[str]
    values: dict[str, list[Any]]  # field name -> normalized values (None = unknown)
    raw: dict[str, list[Any]]  # field name -> raw values (for embedding text and reports)
    codes: list[frozenset[str]] = field(default_factory=list)
    keys: dict[str, list[str | None]] = field(default_factory=dict)  # blocking key name -> key per row
    embed_text: list[str] = field(default_factory=list)
    # what later steps derive from these records, built once per object (see `derived`)
    _derived: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def derived(self, key: Any, build: Callable[["Records"], Any]) -> Any:
        """`build(self)`, computed on the first call for `key` and kept on this object.

        Why on the object: a comparison's per-record arrays and the twin groups are asked for many
        times per resolution (candidate pairs, random pairs, chunks). Kept here they live exactly as
        long as the records, a new object (a `subset`) never sees another's, and two resolutions in
        threads never read each other's (a module-level "last records" memo could do both wrong).
        """
        if key not in self._derived:
            self._derived[key] = build(self)
        return self._derived[key]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to Ray workers, caches) without what was derived: it is rebuilt on demand, and its
        keys may be closures that plain pickle cannot carry."""
        state = dict(self.__dict__)
        state["_derived"] = {}
        return state

    def subset(self, keep: Sequence[int]) -> "Records":
        """The records at positions `keep`, in that order."""
        pick = _picker([int(i) for i in keep])
        return Records(spec=self.spec, source=pick(self.source), ids=pick(self.ids),
                       values={k: pick(v) for k, v in self.values.items()}, raw={k: pick(v) for k, v in self.raw.items()},
                       codes=pick(self.codes) if self.codes else [], keys={k: pick(v) for k, v in self.keys.items()},
                       embed_text=pick(self.embed_text) if self.embed_text else [])

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(self.source))


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Automatic cyclic garbage collection off for the block, back on (if it was on) after it.

    Why: loading and resolving allocate millions of small acyclic containers (row dicts, tuples,
    frozensets, parsed names); they trigger full collections, and each full collection walks every
    tracked object in the process, a loaded embedding model's included. Measured on a 50k-record
    linkage: 7 full collections, 1.6 s of CPU inside one run whose other work after embedding took
    about 14 s. What the block allocates is freed by reference counting as before; a reference
    cycle made meanwhile waits for the first collection after the block. Outputs cannot change:
    no step depends on when the collector runs. Nested or concurrent blocks are harmless: only a
    block that found collection on turns it back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _picker(idx: list[int]) -> Callable[[Sequence[Any]], list[Any]]:
    """`col -> [col[i] for i in idx]` through one `itemgetter` (C): blocking takes a subset of
    every column of every table, and the list comprehension per column was measurable at 50k records."""
    if len(idx) < 2:  # itemgetter of one index returns the item, not a tuple
        return lambda col: [col[i] for i in idx]
    get = operator.itemgetter(*idx)
    return lambda col: list(get(col))


def as_text(value: Any) -> str | None:
    """A normalized value as comparable text (typed values carry a `.text`)."""
    if value is None or isinstance(value, str):
        return value
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else None


def person_key(p: "ft.Person | None") -> str | None:
    """Family name + first initial: 'John Smith', 'J. Smith' and 'Smith, Johnny' share it."""
    if p is None:
        return None
    return p.family + (" " + p.given[0][0] if p.given else "")


# A literal '\\u00E9' or a bare 'u00E9' left by a broken JSON/CSV export ('Franu00E7ois Truffaut').
# Bare escapes are decoded only in the Latin-letter range (U+00C0-U+024F): 'Tru1080p' stays as it is.
_ESCAPED = re.compile(r"\\u([0-9A-Fa-f]{4})|u(00[C-Fc-f][0-9A-Fa-f]|01[0-9A-Fa-f]{2}|02[0-4][0-9A-Fa-f])")


def fold_text(value: str) -> str:
    """Unicode escapes decoded and accents dropped: 'Franu00E7ois' and 'François' -> 'Francois'.

    Why: one source writes names with accents, another as escapes or plain ASCII; without
    folding a person's key differs on every non-English name.
    """
    s = _ESCAPED.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), value)
    if s.isascii():
        return s
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


_NAME_TITLES = frozenset("jr sr ii iii iv dr mr mrs ms prof sir".split())
PERSON_KEY_WINDOW = 2  # in a long value (several people in one cell), pair words at most this far apart


def person_name_keys(raw: Any) -> frozenset[str]:
    """Order-free keys for the people one value names: each pair of its name words, sorted.

    'Tipton, Ken', 'Ken Tipton' and 'Ken Tipton (I)' share 'ken tipton'; 'Keanu Charles Reeves'
    and 'Reeves, Keanu' share 'keanu reeves'. Why word pairs and not a parsed Person: catalogues
    put several people in one cell ('Jean Bart, M. Coates Webster'), where a parser picks a
    wrong family name; pairs of nearby words still hold each person's given + family name.
    Initials and titles are dropped (too common to say who), nicknames read canonically
    (Bill -> william). A one-word name ('Matahi') is its own key.
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return frozenset()
    return _person_name_keys(str(raw))


@functools.lru_cache(maxsize=1 << 16)
def _person_name_keys(raw: str) -> frozenset[str]:
    """`person_name_keys` of a string, cached: blocking and the `people` comparison both ask, and
    a star or a director's name recurs on hundreds of records."""
    p = _folded_words(raw)[1]
    if not p:
        return frozenset()
    nick, titles = ft.NICKNAMES, _NAME_TITLES  # locals: looked up once, not per word of a long cast list
    toks = [nick.get(t, t) for t in p.split() if len(t) > 1 and t not in titles]
    if len(toks) == 1:
        return frozenset(toks)
    window = len(toks) if len(toks) <= 4 else PERSON_KEY_WINDOW
    return frozenset(" ".join(sorted((toks[i], toks[j])))
                     for i in range(len(toks)) for j in range(i + 1, min(len(toks), i + 1 + window))
                     if toks[i] != toks[j])


def person_family_key(raw: Any) -> str | None:
    """'Dovzhenko, Aleksandr' and 'Alexander Dovzhenko' -> 'dovzhenko a': family name + first initial
    of a cell that names one person (2-4 words, escapes and accents folded); None otherwise.

    Why beside the word-pair keys: transliterations and spellings of given names differ across
    sources (Aleksandr/Alexander, Fran?ois/Francois) while the family name and initial agree. Looser
    than a word pair, so it is a blocking key only (an IDF weight keeps common family names cheap).
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    return _person_family_key(str(raw))


@functools.lru_cache(maxsize=1 << 16)
def _folded_words(raw: str) -> tuple[str, str | None]:
    """A person cell folded (`fold_text`) and, bracketed parts dropped, processed (`process`):
    what both `_person_name_keys` and `_person_family_key` start from, computed once per cell
    (blocking asks for both keys of every distinct person cell)."""
    text = fold_text(raw)
    return text, process(_BRACKETED.sub(" ", text))


@functools.lru_cache(maxsize=1 << 16)
def _person_family_key(raw: str) -> str | None:
    text, processed = _folded_words(raw)
    words = (processed or "").split()
    if not 2 <= len(words) <= 4 or text.count(",") > 1:
        return None
    p = ft.person(text)
    if p is None or not p.given or len(p.family) < 3:
        return None
    return f"{p.family} {p.given[0][0]}"


def normalize_column(f, column: list[Any]) -> list[Any]:
    """Normalize one field's column; types that need the whole column (phone country, list
    separator, day-first dates) look at it once here. Each distinct value is normalized once
    (`_per_distinct`)."""
    if f.type == "phone":
        region = f.country.upper() if f.country else ft.infer_region(column)
        return _per_distinct(lambda v: ft.phone(v, region), column)
    if f.type == "list":
        sep = f.sep or ft.detect_separator(column)
        return _per_distinct(lambda v: ft.items(v, sep), column)
    if f.type == "date":
        day_first = ft.infer_day_first(column)
        return _per_distinct(lambda v: ft.date(v, day_first), column)
    return _per_distinct(lambda v: normalize_value(f.type, v), column)


def _per_distinct(fn, column: list[Any]) -> list[Any]:
    """`[fn(v) for v in column]`, calling `fn` once per distinct value.

    Why: registers repeat most values (postcodes, states, given names, birth years), and parsing
    them (dates, addresses, person names) was most of the time spent loading a 10k-record table.
    `fn` is pure and its results are immutable (strings, numbers, frozen values), so records
    sharing a value may share its result. Keyed by type as well as value: 1, 1.0 and True are
    one dict key but not one normalized value."""
    seen: dict[tuple[type, Any], Any] = {}
    out = []
    for v in column:
        key = (type(v), v)
        try:
            r = seen[key]
        except KeyError:
            r = seen[key] = fn(v)
        except TypeError:  # an unhashable value: normalized on its own
            r = fn(v)
        out.append(r)
    return out


def normalize_value(ftype: str, value: Any) -> Any:
    if ftype == "organisation":
        return ft.organisation(value)
    if ftype == "person":
        return ft.person(value)
    if ftype == "address":
        return ft.address(value)
    if ftype == "date":
        return ft.date(value)
    if ftype == "phone":
        return ft.phone(value, None)
    if ftype == "list":
        return ft.items(value, ",")
    if ftype in ("name", "text"):
        return process(value)
    if ftype == "url-domain":
        return domain_of(value)
    if ftype == "categorical":
        p = process(value)
        return p
    if ftype == "number":
        return parse_number(value)
    if ftype == "identifier":
        return identifier(value)
    raise ValueError(f"unknown field type {ftype!r}")


def embedded_field(records: Records) -> np.ndarray | None:
    """Per record, which name-like field its embedded text came from (-1: none, empty text);
    None when every record embeds the same thing (fields marked `embed: true`, or no name field).

    Why: by default a record is embedded by what it is called, its first known name-like field,
    so a film without a title is embedded by its actor. Its nearest titles are noise that uses
    up its neighbour slots; vectors are only searched against vectors of the same field.
    """
    live = [f for f in records.spec.fields if f.weight > 0]
    names = [f for f in live if f.embedded]
    if any(f.embed for f in live) or len(names) < 2:
        return None
    out = np.full(len(records), -1, dtype=np.int64)
    for k, f in reversed(list(enumerate(names))):  # the first known field wins
        known = np.array([r is not None and v is not None for r, v in zip(records.raw[f.name], records.values[f.name],
                                                                            strict=True)], dtype=bool)
        out[known] = k
    return out


def _embed_texts(spec: ResolveSpec, raw: dict[str, list[Any]], values: dict[str, list[Any]], n: int) -> list[str]:
    """What the embedding model sees per record.

    Fields marked `embed: true` are concatenated (the listing spec embeds name, category and
    description together). By default the text is what the record is *called*: its first known
    name-like field (a title, else a person's name), so a film's title is not blurred by a cast
    list that only one source has. With no name-like field, the free-text fields are embedded.
    """
    live = [f for f in spec.fields if f.weight > 0]
    if any(f.embed for f in live):
        emb = [f for f in live if f.embedded]
        return [" ".join(str(raw[f.name][i]) for f in emb if raw[f.name][i] is not None)[:1000] for i in range(n)]
    names = [f for f in live if f.embedded]
    cols = [(f.type == "person", raw[f.name], values[f.name]) for f in names]
    texts = []
    for i in range(n):  # a plain loop: a `next(generator)` per record was a fifth of loading 50k records
        t = None
        for is_person, r, v in cols:
            if r[i] is not None and v[i] is not None:
                t = str(as_text(v[i])) if is_person else r[i]
                break
        texts.append(t or "")
    if not names:
        emb = [f for f in live if f.type == "text" and f.embed is not False]
        texts = [" ".join(str(raw[f.name][i]) for f in emb if raw[f.name][i] is not None) for i in range(n)]
    return [t[:1000] for t in texts]


def build_records(spec: ResolveSpec, rows: Sequence[dict[str, Any]], source: Sequence[str], ids: Sequence[str]) -> Records:
    """Normalize `rows` (dicts keyed by spec field name) into Records."""
    n = len(rows)
    if not (len(source) == len(ids) == n):
        raise ValueError("rows, source and ids must have the same length")
    values: dict[str, list[Any]] = {}
    raw: dict[str, list[Any]] = {}
    for f in spec.fields:
        col = [r.get(f.name) for r in rows]
        col = [
            None if (v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())) else v
            for v in col
        ]
        raw[f.name] = col
        values[f.name] = normalize_column(f, col)
    codes: list[frozenset[str]] = [frozenset()] * n
    code_fields = [f for f in spec.fields if f.type in ("name", "text") and f.weight > 0]
    if code_fields:
        codes = [frozenset().union(*(code_tokens(raw[f.name][i]) for f in code_fields)) for i in range(n)]
    keys: dict[str, list[str | None]] = {}
    for f in spec.fields:
        if not f.blocking_key or f.weight == 0:
            continue
        if f.type in ("name", "organisation"):
            keys[f.name] = [name_key(v) for v in values[f.name]]
            core = [name_key(name_core(v)) for v in raw[f.name]]
            if core != keys[f.name]:  # qualifiers or inverted articles present: a second, looser key
                keys[f.name + "~core"] = core
        elif f.type == "person":
            keys[f.name] = [person_key(v) for v in values[f.name]]
        elif f.type in ("url-domain", "identifier", "categorical", "phone"):
            keys[f.name] = list(values[f.name])
    embed_text = _embed_texts(spec, raw, values, n)
    return Records(spec=spec, source=list(source), ids=[str(i) for i in ids], values=values, raw=raw,
                   codes=codes, keys=keys, embed_text=embed_text)
