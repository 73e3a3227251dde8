"""Session 14: the restriction reader's searches on long unpunctuated text read a window, not the whole rest of the text.

Each windowed search is checked against the whole-text search it replaces on random texts built from the words those
patterns look for (the cues sit within a few words of the mention, so the window changes nothing); no timing here
(speed is measured by hand, see docs: 12 KB of "spam on forums ..." 9.6 s -> 3.2 s)."""
from __future__ import annotations

import random
import re

import pytest

from matrix.normalize import text as traffic
from matrix.normalize.terms import _question_spans, extract_terms

WORDS = ["no", "not", "never", "do", "don't", "may", "must", "allowed", "permitted", "prohibited", "is", "are",
         "coupon", "sites", "email", "spam", "ppc", "ok", "welcome", "but", "permission", "to", "run", "use", "we",
         "prohibit", "mind", "strictly", "forbidden", "will", "be", "rejected", "against", "our", "terms", "and", "or",
         ",", "?", ".", "|", "\n", "  ", "hesitate", "x" * 30]


def _random_text(rnd: random.Random, n: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def test_question_spans_match_the_pattern_they_replace() -> None:
    rnd = random.Random(3)
    for _ in range(2000):
        t = "".join(rnd.choice("ab ?.!|\nx") for _ in range(rnd.randint(0, 60)))
        assert list(_question_spans(t)) == [m.span() for m in re.finditer(r"[^.?!|\n]*\?", t)]


@pytest.mark.parametrize("rx", [traffic._ALLOWED_BEFORE, traffic._PERMITTED_BEFORE, traffic._NEG_BEFORE])
def test_cues_before_a_mention_read_the_same_in_the_window(rx: re.Pattern) -> None:
    rnd = random.Random(5)
    hits = 0
    for _ in range(400):
        seg = _random_text(rnd, rnd.randint(50, 300))
        for at in range(0, len(seg), 7):
            want = rx.search(seg[:at]) is not None
            assert traffic._ends_before(rx, seg, at) == want
            hits += want
    assert hits > 0


def test_negation_after_a_list_reads_the_same_in_the_window() -> None:
    rnd = random.Random(7)
    seen = {True: 0, False: 0}
    for _ in range(1500):
        rest = _random_text(rnd, rnd.randint(1, 250))
        m = traffic._NEG_AFTER.search(rest)
        want = m is not None and m.start() < 120 and not traffic._LIST_POSITIVE.search(rest[:m.start()]) \
            and not traffic._POS_AFTER.search(rest[:m.start()])
        assert traffic._negated_after_list(rest) == want
        seen[want] += 1
    assert seen[True] and seen[False]


def test_long_unpunctuated_ban_text_still_reads_its_ban() -> None:
    assert extract_terms("spam on forums " * 400).as_dict()["restrictions"] == ["no-spam"]
    text = "Do not use " + "coupon sites or email lists or " * 60 + "pop-ups"
    got = extract_terms(text).as_dict()["restrictions"]
    assert {"no-coupon", "no-email"} <= set(got)
