"""The explainable 0-100 program score: pure functions over plain values (no index, no web, no Ray).

    from matrix.score import ScoreInputs, score_programs, parse_weights
    table = score_programs(ScoreInputs.from_rows(rows), settings.score, now=now)
    table.score[i], table.confidence[i], table.reasons(i)

See docs/score.md for the components, their defaults and why percentiles are taken per
(category, commission kind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matrix.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "COMPONENTS": "matrix.score.model",
    "ScoreInputs": "matrix.score.model",
    "ScoreTable": "matrix.score.model",
    "parse_weights": "matrix.score.model",
    "score_programs": "matrix.score.model",
}

if TYPE_CHECKING:
    from matrix.score.model import COMPONENTS, ScoreInputs, ScoreTable, parse_weights, score_programs

__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["COMPONENTS", "ScoreInputs", "ScoreTable", "parse_weights", "score_programs"]
