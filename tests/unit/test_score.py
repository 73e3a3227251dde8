"""The program score (matrix.score): properties over generated programs, weights, reasons."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from matrix.config import ScoreSettings
from matrix.score import COMPONENTS, ScoreInputs, parse_weights, score_programs

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
CATEGORIES = ["email-marketing", "web-hosting", "vpn", None]

maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
program = st.fixed_dictionaries({
    "category": st.sampled_from(CATEGORIES),
    "commission_percent": maybe(st.floats(0, 200, allow_nan=False)),
    "commission_flat": maybe(st.floats(0, 5000, allow_nan=False)),
    "commission": st.fixed_dictionaries({
        "recurring": maybe(st.booleans()), "lifetime": maybe(st.booleans()),
        "duration_months": maybe(st.integers(1, 60)), "currency": st.sampled_from(["USD", "EUR", None]),
        "payout_type": st.sampled_from(["cps", "cpa", "revshare", "unknown"])}),
    "cookie_days": maybe(st.floats(0, 3650, allow_nan=False)),
    "payout": st.fixed_dictionaries({"minimum": maybe(st.floats(0, 1000, allow_nan=False)),
                                     "frequency": st.sampled_from(["monthly", "weekly", "net-60", None])}),
    "epc": maybe(st.floats(0, 100, allow_nan=False)),
    "approval": st.sampled_from(["auto", "manual", "invite", "unknown"]),
    "restrictions": st.lists(st.sampled_from(["no-ppc", "no-coupons", "no-email"]), max_size=3),
    "last_verified": maybe(st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2026, 6, 1)).map(
        lambda d: d.replace(tzinfo=dt.timezone.utc))),
    "sources": st.lists(st.sampled_from(["openaffiliate", "awin", "cj", "impact"]), min_size=0, max_size=4),
})
programs = st.lists(program, min_size=1, max_size=25)
FAST = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scores(rows, **kw):
    return score_programs(ScoreInputs.from_rows(rows), ScoreSettings(), now=NOW, **kw)


@FAST
@given(programs)
def test_score_is_bounded_and_confidence_is_a_fraction(rows):
    t = scores(rows)
    known = t.score[~np.isnan(t.score)]
    assert ((known >= 0) & (known <= 100)).all()
    assert ((t.confidence >= 0) & (t.confidence <= 1)).all()
    # NaN only when nothing at all is known about a program
    for i in np.flatnonzero(np.isnan(t.score)):
        assert all(math.isnan(t.components[c][i]) for c in COMPONENTS)


@FAST
@given(programs, st.integers(0, 24), st.floats(0.5, 100))
def test_monotone_in_commission(rows, which, bump):
    i = which % len(rows)
    assume(rows[i]["commission_percent"] is not None)
    before = scores(rows).score[i]
    higher = [dict(r) for r in rows]
    higher[i]["commission_percent"] = rows[i]["commission_percent"] + bump
    assert scores(higher).score[i] >= before - 1e-9


@FAST
@given(programs, st.integers(0, 24), st.floats(0.5, 400))
def test_monotone_in_cookie(rows, which, bump):
    i = which % len(rows)
    assume(rows[i]["cookie_days"] is not None)
    before = scores(rows).score[i]
    longer = [dict(r) for r in rows]
    longer[i]["cookie_days"] = rows[i]["cookie_days"] + bump
    assert scores(longer).score[i] >= before - 1e-9


@FAST
@given(programs, program)
def test_stable_under_adding_a_program_of_another_category(rows, extra):
    extra = dict(extra, category="a-category-nobody-else-has")
    before = scores(rows)
    after = scores(rows + [extra])
    np.testing.assert_allclose(after.score[: len(rows)], before.score, equal_nan=True)
    np.testing.assert_allclose(after.confidence[: len(rows)], before.confidence)


def test_commission_is_compared_within_category_and_kind():
    """A $40 CPA is not ranked against 30 %: each is placed in its own (category, kind) group."""
    base = {"commission": {}, "approval": "auto", "sources": ["x"]}
    rows = [dict(base, category="email-marketing", commission_percent=p) for p in (10, 20, 30)] + \
           [dict(base, category="email-marketing", commission_flat=f) for f in (5, 40)]
    t = scores(rows)
    assert t.kind == ["percent"] * 3 + ["flat"] * 2
    assert t.components["earnings"][2] > t.components["earnings"][0]  # 30 % beats 10 %
    assert t.components["earnings"][4] > t.components["earnings"][3]  # $40 beats $5
    assert t.group_size.tolist() == [3, 3, 3, 2, 2]


def test_recurring_terms_weigh_by_duration():
    rows = [{"category": "saas", "commission_percent": 30, "commission": {"recurring": True, "duration_months": 12}},
            {"category": "saas", "commission_percent": 30, "commission": {"recurring": False}},
            {"category": "saas", "commission_percent": 40, "commission": {"recurring": False}}]
    t = scores(rows)
    assert t.horizon_months.tolist() == [12, 1, 1]
    assert t.components["earnings"][0] > t.components["earnings"][2] > t.components["earnings"][1]
    assert t.explain(0)["reasons"][0].startswith("30 % recurring for 12 months, top")


def test_unknown_terms_lower_confidence_not_the_value():
    full = {"category": "vpn", "commission_percent": 40, "commission": {}, "cookie_days": 30,
            "payout": {"minimum": 50, "frequency": "monthly"}, "epc": 1.0, "approval": "auto",
            "last_verified": NOW, "sources": ["a", "b"]}
    sparse = {"category": "vpn", "commission_percent": 40, "commission": {}, "cookie_days": 30, "sources": ["a", "b"]}
    t = scores([full, sparse])
    assert t.confidence[1] < t.confidence[0]
    # the sparse program's value is the mean of what is known about it, with no penalty term
    e = t.explain(1)
    assert set(e["unknown"]) == {"payout", "epc", "access", "freshness"}
    w = t.weights
    known = ["earnings", "cookie", "data_quality"]
    expect = 100 * sum(w[c] * t.components[c][1] for c in known) / sum(w[c] for c in known)
    assert t.score[1] == pytest.approx(expect)


def test_reasons_read_like_a_marketer_would_say_them():
    rows = [{"category": "email-marketing", "commission_percent": p, "commission": {"recurring": True, "duration_months": 12},
             "cookie_days": 60, "approval": "auto", "last_verified": NOW - dt.timedelta(days=3), "sources": ["a"]}
            for p in range(5, 55, 5)]
    e = scores(rows).explain(9)  # 50 %, the best of ten
    text = "; ".join(e["components"][c]["reason"] for c in ("earnings", "cookie", "freshness"))
    assert text == ("50 % recurring for 12 months, top 10 % of 10 email-marketing programs paying a %; "
                    "cookie 60 days; terms verified 3 days ago")
    assert len(e["reasons"]) == 3 and e["reasons"][0].startswith("50 % recurring")


def test_weights_parse_override_and_name_the_argument():
    w = parse_weights("earnings:2, cookie:0")
    assert w["earnings"] == 2 and w["cookie"] == 0 and w["epc"] == 1.5
    assert parse_weights({"epc": 3})["epc"] == 3
    for bad, needle in [("earnings", "NAME:NUMBER"), ("speed:2", "unknown component 'speed'"),
                        ("cookie:x", "not a number"), ("cookie:-1", "between 0 and 1000"),
                        (",".join(f"{c}:0" for c in COMPONENTS), "at least one")]:
        with pytest.raises(ValueError, match="weights") as exc:
            parse_weights(bad)
        assert needle in str(exc.value)


def test_user_weights_change_the_order():
    rows = [{"category": "c", "commission_percent": 50, "commission": {}, "cookie_days": 1},
            {"category": "c", "commission_percent": 5, "commission": {}, "cookie_days": 365}]
    t = scores(rows, weights="earnings:5,cookie:0")
    assert t.score[0] > t.score[1]
    t = scores(rows, weights="earnings:0,cookie:5")
    assert t.score[1] > t.score[0]
