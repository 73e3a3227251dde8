"""Session 12: the person-key blocker does not depend on the process's string hashing.

Why: `person_key_matrix` numbered its name keys in the order a record's key *set* was iterated,
which follows Python's per-process string hash seed (PYTHONHASHSEED). The columns then came in a
different order in every process, the float32 cosine sums of the person pool were added in a
different order, and a near-tie at a record's last candidate slot could fall either way: on
imdb_dbpedia one candidate pair of 358,561 changed between two runs of the same command. Keys are
now numbered in sorted order; these tests run the same build in processes with different seeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from matrix.resolve.blocking import person_key_matrix
from matrix.resolve.prepare import build_records
from matrix.resolve.spec import parse_spec

ROOT = Path(__file__).resolve().parents[2]

SPEC = {"fields": [{"name": "title", "type": "name"}, {"name": "actors", "type": "person"},
                   {"name": "director", "type": "person"}]}

FIRST = ["Anne", "Mia", "Oskar", "Pia", "Ken", "Sam", "Ola", "Ivo", "Eva", "Tor", "Per", "Kai", "Lena", "Jon"]
LAST = ["Ramsay", "Torres", "Lind", "Holm", "Tipton", "Reed", "Berg", "Marsh", "Nyberg", "Dahl", "Falk", "Moe"]


def films(n: int = 240, seed: int = 3):
    """Films in two tables whose cast lists share people in many combinations (many keys per
    record, IDF weights of every size: the case where summation order shows)."""
    rng = np.random.default_rng(seed)

    def person() -> str:
        return f"{FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]}"

    rows = [{"title": f"Film {i % (n // 2)}", "actors": "  ".join(person() for _ in range(int(rng.integers(2, 7)))),
             "director": person()} for i in range(n)]
    sources = ["a.csv" if i < n // 2 else "b.csv" for i in range(n)]
    return build_records(parse_spec(SPEC), rows, sources, [str(i) for i in range(n)])


def fingerprint() -> dict:
    """What the person blocker builds, as plain numbers (for comparing across processes)."""
    x = person_key_matrix(films())
    assert x is not None
    x.sort_indices()
    sims = (x @ x.T).toarray()
    return {"indices": x.indices.tolist(), "data": x.data.tolist(), "sims": sims.round(7).tolist()}


def _in_process_with_seed(seed: str) -> dict:
    code = ("import json, sys; sys.path.insert(0, 'tests/unit'); "
            "from test_resolve_s12_hash_order import fingerprint; print(json.dumps(fingerprint()))")
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_person_key_matrix_is_the_same_under_every_string_hash_seed():
    runs = [_in_process_with_seed(s) for s in ("1", "2", "12345")]
    assert runs[0]["indices"] == runs[1]["indices"] == runs[2]["indices"]  # one column numbering
    assert runs[0]["data"] == runs[1]["data"] == runs[2]["data"]  # bit-identical weights
    assert runs[0]["sims"] == runs[1]["sims"] == runs[2]["sims"]


def test_the_matrix_still_pools_people_across_fields():
    x = person_key_matrix(films())
    assert x is not None and x.nnz > 0
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)  # rows with keys stay L2-normalized
