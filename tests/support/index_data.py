"""Small real master indexes for the index tests: synthetic programs plus hand-made edge cases.

The hand-made programs carry tokens no synthetic program has ("zanzibarq", "quuxvector") and
unknown terms everywhere, so a test can state exactly which programs a query must return.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from matrix.config import Settings, load_settings
from matrix.index import MasterIndex
from matrix.index.synthetic import clustered_vectors, synthetic_programs
from matrix.models import Approval, Commission, CommissionModel, Listing, Program

UTC = dt.timezone.utc


def index_settings(home: Path, **index: Any) -> Settings:
    cfg = {"vector_index_min_rows": 256, **index}
    return load_settings(overrides={"home": str(home), "index": cfg})


def edge_programs() -> list[Program]:
    return [
        Program(program_id="edge-unknown", name="Zanzibarq Mystery", description="nothing is known about zanzibarq"),
        Program(program_id="edge-rich", name="Zanzibarq Deluxe", networks=["awin", "cj"], category="travel",
                commission=Commission(model=CommissionModel.PERCENT, percent_min=60.0, percent_max=75.0),
                cookie_days=400.0, geo_allowed=["US", "GB"], approval=Approval.AUTO, epc=9.5,
                last_verified=dt.datetime(2026, 1, 1, tzinfo=UTC), quality=0.99),
        Program(program_id="edge-vector", name="Quuxvector Only", category="software"),
    ]


def build_index(settings: Settings, n: int = 400, seed: int = 0) -> tuple[MasterIndex, list[Program], np.ndarray]:
    programs = list(synthetic_programs(n, seed=seed)) + edge_programs()
    vectors = clustered_vectors([p.category for p in programs], seed=seed)
    index = MasterIndex(settings)
    index.upsert_programs(programs, vectors)
    index.upsert_listings([Listing(source="test", source_id=p.program_id, name=p.name, program_id=p.program_id)
                           for p in programs[:20]])
    index.ensure_indexes()
    index.commit_ingest()
    return index, programs, vectors
