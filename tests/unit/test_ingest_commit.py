"""The ingest commit protocol (matrix.index.versions / MasterIndex.begin_ingest), in-process.

A "killed" run is simulated by entering the run and dropping it without `__exit__` (what SIGKILL
leaves: the marks, the writes, and a released flock). The chaos test does it with real SIGKILLs.
"""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from matrix.config import load_settings
from matrix.index import MasterIndex
from matrix.index.store import IngestBusyError
from matrix.index.synthetic import clustered_vectors, synthetic_programs
from matrix.index.versions import OPEN_TAG
from matrix.models import Listing


def _listing(i: int, **kw) -> Listing:
    return Listing(source="s", source_id=f"x{i}", name=kw.pop("name", f"Program {i}"), **kw)


def _programs(n, start=0):
    ps = list(synthetic_programs(n, seed=3, start=start))
    return ps, clustered_vectors([p.category for p in ps], seed=start)


@pytest.fixture
def index(matrix_home):
    settings = load_settings(overrides={"index": {"scalar_index_columns": ["category"]}})
    return MasterIndex(settings)


def _committed_run(index, listings, programs, vectors):
    with index.begin_ingest() as run:
        index.upsert_listings(listings)
        index.record_sightings(listings)
        index.upsert_programs(programs, vectors)
        return run.commit()


def _die(run) -> None:
    """What SIGKILL leaves behind: no __exit__, the lock released by the kernel."""
    run._unlock()


def test_a_run_is_invisible_until_commit_and_a_dead_run_is_rolled_back(index):
    ps, vs = _programs(5)
    v1 = _committed_run(index, [_listing(i) for i in range(5)], ps, vs)
    assert v1.tag == "ingest-000001"
    seen_before = index.stats()["last_ingest"]
    rows_before = index.snapshot().rows

    run = index.begin_ingest().__enter__()
    changed = [_listing(i, description="new text") for i in range(5)]
    stats = index.upsert_listings(changed)
    assert stats.updated == 5
    index.record_sightings(changed)
    more, mv = _programs(3, start=5)
    index.upsert_programs(more, mv)
    # readers (search snapshot, status, detail pages) still see ingest 1
    reader = MasterIndex(index.settings)
    assert reader.snapshot().rows == rows_before and reader.stats()["last_ingest"] == seen_before
    assert reader.get_program(more[0].program_id) is None
    assert reader.listings_for(["s:x0"])[0].description is None
    assert set(reader.stats()["open_ingest"]) == {"programs", "listings", "sightings"}
    _die(run)

    # the next run rolls everything back: the same listings count as changed again
    with index.begin_ingest() as run2:
        assert set(run2.recovered["rolled_back"]) == {"programs", "listings", "sightings"}
        again = index.upsert_listings(changed)
        assert again.updated == 5, "changes of the dead run must be found again"
        assert index.all_programs() and len(index.all_programs()) == 5
        run2.commit()
    assert "open_ingest" not in index.stats()
    assert index.listings_for(["s:x0"])[0].description == "new text"


def test_ingest_tags_of_a_run_that_died_while_committing_are_dropped(index):
    ps, vs = _programs(4)
    _committed_run(index, [_listing(i) for i in range(4)], ps, vs)
    run = index.begin_ingest().__enter__()
    index.upsert_listings([_listing(9)])
    # died after tagging listings and sightings, before programs (see versions.close_ingest)
    index.listings.tags.create("ingest-000002", index.listings.version)
    _die(run)
    with index.begin_ingest() as run2:
        assert "listings:ingest-000002" in run2.recovered["dropped_tags"]
        assert "ingest-000002" not in index.listings.tags.list()
        index.upsert_listings([_listing(9)])
        iv = run2.commit()
    assert iv.tag == "ingest-000002"
    assert index.listings.tags.list()["ingest-000002"]["version"] == index.listings.version


def test_marks_left_after_the_commit_point_are_only_cleared(index):
    ps, vs = _programs(3)
    _committed_run(index, [_listing(i) for i in range(3)], ps, vs)
    index.listings.tags.create(OPEN_TAG, index.listings.version)  # programs mark already gone: committed
    version = index.listings.version
    with index.begin_ingest() as run:
        assert run.recovered["stray_marks"] == ["listings"] and not run.recovered["rolled_back"]
        run.commit()
    assert index.listings.version == version and OPEN_TAG not in index.listings.tags.list()


def test_an_exception_rolls_back_at_once_and_a_second_writer_is_refused(index):
    ps, vs = _programs(3)
    _committed_run(index, [_listing(i) for i in range(3)], ps, vs)
    with pytest.raises(RuntimeError, match="boom"):
        with index.begin_ingest():
            index.upsert_listings([_listing(0, name="Changed")])
            raise RuntimeError("boom")
    assert "open_ingest" not in index.stats()
    assert index.listings_for(["s:x0"])[0].name == "Program 0"
    with index.begin_ingest():
        with pytest.raises(IngestBusyError, match=f"pid.*{os.getpid()}"):
            MasterIndex(index.settings).begin_ingest().__enter__()


def test_restore_takes_the_lock_and_clears_a_dead_run_first(index):
    ps, vs = _programs(3)
    _committed_run(index, [_listing(i) for i in range(3)], ps, vs)
    more, mv = _programs(2, start=3)
    _committed_run(index, [_listing(i) for i in range(5)], more, mv)
    run = index.begin_ingest().__enter__()
    index.upsert_listings([_listing(7)])
    _die(run)
    index.restore("ingest-000001")
    assert "open_ingest" not in index.stats()
    assert len(index.all_programs()) == 3 and [t.tag for t in index.ingest_versions()] == ["ingest-000001", "ingest-000002"]


def test_fault_point_kills_only_when_named(monkeypatch):
    from matrix import faults

    sent = []
    monkeypatch.setattr(faults.os, "kill", lambda pid, sig: sent.append(sig))
    monkeypatch.setenv(faults.ENV_POINT, "write:x#2")
    faults.fault_point("write:y")
    faults.fault_point("write:x")
    assert sent == []
    faults.fault_point("write:x")
    assert sent == [signal.SIGKILL]
    monkeypatch.setenv(faults.ENV_ACTION, "stop")
    monkeypatch.setenv(faults.ENV_POINT, "other")
    faults.fault_point("other")
    assert sent[-1] == signal.SIGSTOP
    np.testing.assert_equal(len(sent), 2)
