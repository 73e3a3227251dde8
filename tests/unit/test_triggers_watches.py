"""Watches and program history over the real ingest steps: a registry fixture is re-crawled (the
openaffiliate source reading a copy of the bundled registry, then jobs.ingest.index_listings into a
real LanceDB index), the commission of one program changes, and the watch must alert exactly once
after two observations - and never for a value that flips back."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from matrix.config import load_settings
from matrix.index import MasterIndex
from matrix.index.history import TERM_FIELDS, expand_fields, program_history
from matrix.sources import build_source
from matrix.sources.openaffiliate import bundled_registry_path
from matrix.triggers import Outbox, TriggerEngine
from matrix.triggers.inputs import IndexInputs
from matrix.triggers.watches import Threshold, WatchNotFound, WatchSpec, WatchStore, observe_program, passes_threshold
from tests.support.hash_embedder import hash_embedder

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# -- the pure rule ------------------------------------------------------------------------------
def obs(stamp: str, **terms):
    return {"observed": stamp, "terms": terms, "sources": {k: {"listing": f"src:{stamp}"} for k in terms}}


def test_a_change_alerts_once_after_two_observations_and_a_flip_back_never():
    f = ["approval", "cookie_days"]
    alerts, st = observe_program(f, {}, 2, obs("1", approval="manual", cookie_days=30), None)
    assert alerts == [] and st["baseline"]["approval"]["value"] == "manual"
    alerts, st = observe_program(f, {}, 2, obs("2", approval="auto", cookie_days=30), st)
    assert alerts == [] and st["pending"]["approval"]["count"] == 1
    assert observe_program(f, {}, 2, obs("2", approval="auto", cookie_days=30), st) == ([], st)  # same crawl: not a 2nd look
    alerts, st = observe_program(f, {}, 2, obs("3", approval="auto", cookie_days=30), st)
    assert [(a["field"], a["before"], a["after"], a["observations"]) for a in alerts] == [("approval", "manual", "auto", 2)]
    assert alerts[0]["before_source"] == {"listing": "src:1"} and alerts[0]["after_source"] == {"listing": "src:3"}
    assert observe_program(f, {}, 2, obs("4", approval="auto", cookie_days=30), st)[0] == []  # alerted once
    # flapping: pending -> approved -> pending never alerts
    _, st = observe_program(f, {}, 2, obs("5", approval="manual", cookie_days=30), st)
    alerts, st = observe_program(f, {}, 2, obs("6", approval="auto", cookie_days=30), st)
    assert alerts == [] and "approval" not in st["pending"]
    # confirmations = 3 waits for a third look
    _, st3 = observe_program(f, {}, 3, obs("a", approval="auto", cookie_days=30), None)
    for stamp in ("b", "c"):
        assert observe_program(f, {}, 3, obs(stamp, approval="auto", cookie_days=45), st3)[0] == []
        st3 = observe_program(f, {}, 3, obs(stamp, approval="auto", cookie_days=45), st3)[1]
    assert [a["after"] for a in observe_program(f, {}, 3, obs("d", approval="auto", cookie_days=45), st3)[0]] == [45]


def test_thresholds():
    down10 = {"commission": Threshold(direction="down", min_change_pct=10)}
    assert passes_threshold("commission_percent_max", 30.0, 20.0, down10)
    assert not passes_threshold("commission_percent_max", 30.0, 28.0, down10)  # -6.7 %
    assert not passes_threshold("commission_percent_max", 20.0, 30.0, down10)  # rose
    assert not passes_threshold("commission_percent_max", None, 30.0, down10)  # unknown -> known is not a fall
    assert passes_threshold("commission_model", "percent", "flat", down10)  # thresholds gate numbers only
    assert passes_threshold("cookie_days", 30, 60, {"cookie": Threshold(min_change=10)})
    assert not passes_threshold("cookie_days", 30, 35, {"cookie": Threshold(min_change=10)})
    with pytest.raises(ValueError, match="numeric"):
        WatchSpec(name="x", kind="program", program_ids=["p"], thresholds={"status": {"direction": "down"}})
    with pytest.raises(ValueError, match="unknown field"):
        WatchSpec(name="x", kind="program", program_ids=["p"], fields=["vibes"])
    with pytest.raises(ValueError, match="needs a query"):
        WatchSpec(name="x", kind="search")
    with pytest.raises(ValueError, match="unknown filter"):
        WatchSpec(name="x", kind="search", q="vpn", filters={"colour": "red"})
    assert expand_fields(["commission", "networks"])[-1] == "networks" and set(expand_fields(["geo"])) <= set(TERM_FIELDS)


# -- the real pipeline ----------------------------------------------------------------------------
class Registry:
    """A copy of the bundled OpenAffiliate registry that a test edits between crawls."""

    def __init__(self, path, n: int = 40) -> None:
        doc = json.loads(bundled_registry_path().read_text())
        progs = doc["programs"] if isinstance(doc, dict) else doc
        self.doc = {"programs": copy.deepcopy(progs[:n])}
        self.path = path
        self.write()

    def write(self) -> None:
        self.path.write_text(json.dumps(self.doc))

    def entry(self, slug: str) -> dict:
        return next(p for p in self.doc["programs"] if p["slug"] == slug)


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> dt.datetime:
        return self.t


@pytest.fixture
def world(matrix_home, tmp_path):
    reg = Registry(tmp_path / "registry.json")
    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate", "path": str(reg.path)}]})
    index = MasterIndex(settings, read_consistency_interval_s=0)
    clock = Clock()

    def crawl():
        from jobs.ingest import index_listings

        listings = list(build_source(settings.source("oa"), settings).listings())
        return index_listings(settings, index, listings, embedder=hash_embedder(settings))

    box = Outbox(settings.path(settings.triggers.outbox))
    store = WatchStore(box)
    engine = TriggerEngine([], IndexInputs(settings, index=index), box, {}, clock=clock, watches=store, confirmations=2)
    return reg, settings, index, crawl, engine, store, clock


def _percent_program(reg, index):
    """A registry entry with a plain percent rate (chosen from the data, not by name) and its program id."""
    for p in reg.doc["programs"]:
        rate = (p.get("commission") or {}).get("rate") or ""
        if rate.endswith("%") and rate[:-1].isdigit() and int(rate[:-1]) >= 10:
            prog = next(x for x in index.all_programs() if f"oa:{p['slug']}" in x.listing_keys)
            return p, prog
    raise AssertionError("no percent program in the registry slice")


def test_commission_change_in_a_recrawled_fixture_alerts_once_after_two_observations(world):
    reg, settings, index, crawl, engine, store, clock = world
    first = crawl()
    entry, prog = _percent_program(reg, index)
    old_rate = float(entry["commission"]["rate"][:-1])
    hist = program_history(index, prog.program_id)
    assert len(hist) == 1 and hist[0]["first"] and hist[0]["ingest_version"] == first["ingest_version"]
    assert hist[0]["terms"]["commission_percent_max"] == old_rate

    w = store.create("alice", WatchSpec(name="my programs", kind="program", program_ids=[prog.program_id],
                                        fields=["commission", "status"],
                                        thresholds={"commission": {"direction": "down", "min_change_pct": 10}}), clock())
    assert engine.evaluate().watches["alerts"] == []  # baseline

    def recrawl_and_evaluate(rate=None):
        if rate is not None:
            reg.entry(entry["slug"])["commission"]["rate"] = rate
            reg.write()
        clock.t += dt.timedelta(hours=1)
        crawl()
        return engine.evaluate().watches["alerts"]

    new_rate = round(old_rate * 0.5)
    assert recrawl_and_evaluate(f"{new_rate}%") == []            # 1st observation of the cut: pending
    assert engine.evaluate().watches["alerts"] == []             # evaluating again is not a new observation
    [alert] = recrawl_and_evaluate()                             # 2nd observation (unchanged re-crawl): confirmed
    change = next(c for c in alert["changes"] if c["field"] == "commission_percent_max")
    assert (change["before"], change["after"]) == (old_rate, float(new_rate)) and alert["owner"] == "alice"
    assert change["after_source"]["listing"] == change["before_source"]["listing"] == f"oa:{entry['slug']}"
    assert recrawl_and_evaluate() == []                          # one alert per change
    rows = [r for r in engine.outbox.list(limit=100) if r.rule == "program_changed"]
    assert len(rows) == 1 and rows[0].action == "notify" and rows[0].payload["owner"] == "alice"

    # flip-back: a one-crawl blip never alerts
    assert recrawl_and_evaluate(f"{round(new_rate * 0.5)}%") == []
    assert recrawl_and_evaluate(f"{new_rate}%") == []
    assert recrawl_and_evaluate() == [] and recrawl_and_evaluate() == []
    assert len([r for r in engine.outbox.list(limit=100) if r.rule == "program_changed"]) == 1

    # the history shows every recorded change, with the ingest version and the listing behind it
    hist = program_history(index, prog.program_id)
    pcts = [next(c["after"] for c in h["changes"] if c["field"] == "commission_percent_max") for h in reversed(hist)
            if any(c["field"] == "commission_percent_max" for c in h["changes"])]
    assert pcts == [old_rate, float(new_rate), float(round(new_rate * 0.5)), float(new_rate)]
    assert all(h["ingest_version"].startswith("ingest-") for h in hist)
    assert hist[0]["changes"][0]["source"]["listing"] == f"oa:{entry['slug']}"
    assert store.get(w.id, "alice").spec.name == "my programs"
    with pytest.raises(WatchNotFound):
        store.get(w.id, "mallory")  # owners see only their own


def test_saved_search_alerts_on_a_new_match_once(world):
    reg, settings, index, crawl, engine, store, clock = world
    crawl()
    word = "zebracrm"
    store.create("bob", WatchSpec(name="zebra", kind="search", q=word), clock())
    assert engine.evaluate().watches["alerts"] == []  # baseline (no match yet)
    newcomer = copy.deepcopy(reg.doc["programs"][0])
    newcomer.update(slug="zebracrm-partners", name="ZebraCRM Partners", url="https://zebracrm.example.org",
                    description="ZebraCRM affiliate program for sales teams")
    reg.doc["programs"].append(newcomer)
    reg.write()
    crawl()
    [alert] = engine.evaluate().watches["alerts"]
    assert alert["rule"] == "new_match" and alert["owner"] == "bob" and len(alert["program_ids"]) == 1
    assert alert["programs"][0]["name"] == "ZebraCRM Partners"
    assert engine.evaluate().watches["alerts"] == []  # announced once


def test_digest_batches_an_owners_alerts_into_one_notification(world):
    reg, settings, index, crawl, engine, store, clock = world
    crawl()
    entries = [p for p in reg.doc["programs"] if p.get("cookie_days")][:2]
    progs = [next(x for x in index.all_programs() if f"oa:{e['slug']}" in x.listing_keys) for e in entries]
    store.create("carol", WatchSpec(name="cookies", kind="program", program_ids=[p.program_id for p in progs],
                                    fields=["cookie"], digest="hourly"), clock())
    engine.evaluate()
    for e in entries:
        reg.entry(e["slug"])["cookie_days"] = int(e["cookie_days"]) + 30
    reg.write()
    for _ in range(2):
        clock.t += dt.timedelta(minutes=10)
        crawl()
        rep = engine.evaluate()
    assert len(rep.watches["alerts"]) == 2 and all(a["digest"] == "hourly" for a in rep.watches["alerts"])
    assert rep.watches["digests"] == [] and engine.outbox.counts()["pending"] == 0  # the hour is not over
    clock.t += dt.timedelta(hours=1)
    rep = engine.evaluate()
    [d] = rep.watches["digests"]
    assert d["owner"] == "carol" and d["count"] == 2
    [row] = engine.outbox.list("pending")
    assert row.payload["kind"] == "digest" and len(row.payload["details"]["items"]) == 2
    assert row.payload["details"]["text"].count("- [cookies] ") == 2  # the email-style body lists every change
    assert engine.evaluate().watches["digests"] == []  # sent once


def test_watch_crud_and_update_validation(matrix_home):
    store = WatchStore(Outbox(matrix_home / "o.sqlite"))
    w = store.create("alice", WatchSpec(name="a", kind="program", program_ids=["p1"]), T0)
    store.create("bob", WatchSpec(name="b", kind="search", q="vpn"), T0)
    assert sorted(x.owner for x in store.list()) == ["alice", "bob"] and [x.id for x in store.list("alice")] == [w.id]
    w2 = store.update(w.id, "alice", {"fields": ["cookie"], "digest": "daily"}, T0)
    assert w2.spec.fields == ["cookie"] and w2.spec.digest == "daily" and w2.as_dict()["rule"] == "program_changed"
    with pytest.raises(ValueError, match="kind cannot change"):
        store.update(w.id, "alice", {"kind": "search"}, T0)
    with pytest.raises(ValueError):
        store.update(w.id, "alice", {"program_ids": []}, T0)
    with pytest.raises(WatchNotFound):
        store.delete(w.id, "bob")
    store.delete(w.id, "alice")
    assert [x.owner for x in store.list()] == ["bob"]


def test_history_catches_up_after_an_ingest_that_died_before_recording_it(world, monkeypatch):
    reg, settings, index, crawl, engine, store, clock = world
    import jobs.ingest

    monkeypatch.setattr(jobs.ingest, "record_after_ingest", lambda *a, **k: None)  # killed after commit
    crawl()
    assert all(program_history(index, p.program_id) == [] for p in index.all_programs()[:5])
    monkeypatch.undo()
    entry = next(p for p in reg.doc["programs"] if p.get("cookie_days"))
    reg.entry(entry["slug"])["cookie_days"] = int(entry["cookie_days"]) + 7
    reg.write()
    crawl()  # changes one program, but records every program's terms: its predecessor had no marker
    programs = index.all_programs()
    assert all(len(program_history(index, p.program_id)) == 1 for p in programs)
    crawl()  # nothing changed: nothing written
    assert all(len(program_history(index, p.program_id)) == 1 for p in programs)
