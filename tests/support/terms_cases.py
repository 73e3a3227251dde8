"""Shared check for the terms rule tests: the fields a text states, compared as a whole.

Restrictions and payment methods are sets of types (their order carries nothing), so both the
extracted and the expected lists are sorted before comparing; every other value is compared as is.
"""

from __future__ import annotations

from typing import Any

from matrix.normalize.terms import extract_terms

UNORDERED = ("restrictions", "methods")


def _canonical(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if k in UNORDERED and v else v for k, v in fields.items() if v is not None}


def assert_states_exactly(text: str, expected: dict[str, Any]) -> None:
    """Every stated field equals `expected`, and no other field is stated (a rule firing too widely fails)."""
    assert _canonical(extract_terms(text).as_dict()) == _canonical(expected)
