"""Splink (DuckDB backend) on the same eight ER datasets, for the side-by-side in er_quality.py.

Run alone: .venv/bin/python bench/er_splink.py [--only abt_buy] [--data ../shared/data/er]

Why this shape: Splink is a Fellegi-Sunter engine like ours, so the fair comparison is Splink
used the way its documentation recommends, unsupervised: light cleaning (lower case, digits of
phone numbers, name tokens), comparisons per column chosen for its type, u from random
sampling, m by EM on two different blocking rules (so every comparison gets trained on pairs it
was not blocked on), the match prior from a deterministic rule, then `predict` and connected
components at 0.5. Gold is read only by the scorer functions passed in from er_quality.py.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
_TOKEN = re.compile(r"[a-z0-9]+")
_LEGAL = frozenset("inc corp co ltd llc plc gmbh ag sa nv bv kg the company corporation limited".split())


def _clean(s: Any) -> str | None:
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return None
    out = " ".join(_TOKEN.findall(str(s).lower()))
    return out or None


def _tokens(s: Any, drop: frozenset[str] = frozenset()) -> list[str] | None:
    c = _clean(s)
    if not c:
        return None
    toks = sorted({t for t in c.split() if t not in drop})
    return toks or None


def _code(s: Any) -> str | None:
    """The longest letter+digit token (model number): products that share it are likely the same."""
    c = str(s or "").lower().replace("-", "")
    cands = [t for t in re.findall(r"[a-z0-9]+", c)
             if len(t) >= 4 and any(ch.isdigit() for ch in t) and any(ch.isalpha() for ch in t)]
    return max(cands, key=len) if cands else None


def _price(v: Any) -> float | None:
    m = re.search(r"\d[\d,]*(?:\.\d+)?", str(v or ""))
    return float(m.group(0).replace(",", "")) if m else None


# --- per-dataset preparation and settings ------------------------------------------------------
def _prep_fodors(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": df["id"].astype(str),
        "name": df["name"].map(_clean),
        "name_first": df["name"].map(lambda s: (_clean(s) or "")[:4] or None),
        "addr": df["addr"].map(_clean),
        "city": df["city"].map(_clean),
        "phone": df["phone"].map(lambda s: re.sub(r"\D", "", str(s or ""))[-10:] or None),
        "type": df["type"].map(_clean),
    })


def _product_columns(df: pd.DataFrame, title: str, extra: dict | None = None) -> pd.DataFrame:
    """The product cleaning (title tokens, brand, second word, model code, description, price) shared
    by the product linkages; `extra` adds a set's own columns before the description."""
    return pd.DataFrame({
        "unique_id": df["id"].astype(str),
        "name": df[title].map(_clean),
        "name_tokens": df[title].map(_tokens),
        "brand": df[title].map(lambda s: (_clean(s) or " ").split()[0] or None),
        "word2": df[title].map(lambda s: ((_clean(s) or "").split() + [None, None])[1]),
        "code": df[title].map(_code),
        **(extra or {}),
        "desc_tokens": df["description"].map(lambda s: _tokens(str(s or "")[:300])),
        "price": df["price"].map(_price),
    })


def _prep_abt(df: pd.DataFrame) -> pd.DataFrame:
    return _product_columns(df, "name")


def _prep_patstat(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": df["person_id"].astype(str),
        "name": df["Name"].map(_clean),
        "name_tokens": df["Name"].map(lambda s: _tokens(s, _LEGAL)),
        "name_first": df["Name"].map(lambda s: (_clean(s) or "")[:5] or None),
        "coauthors": df["Coauthor"].map(lambda s: sorted({_clean(x) for x in str(s or "").split("**") if _clean(x)}) or None),
        "classes": df["Class"].map(lambda s: sorted({x.strip() for x in str(s or "").split("**") if x.strip()}) or None),
    })


def _col(df: pd.DataFrame, short: str) -> pd.Series:
    """A column by the last part of its name (the ontology-URI sets name columns by URI), or blanks."""
    for c in df.columns:
        if c.split("#")[-1].split("/")[-1] == short:
            return df[c]
    return pd.Series([""] * len(df), index=df.index)


def _year(v: Any) -> str | None:
    m = re.search(r"(1[5-9]\d\d|20\d\d)", str(v or ""))
    return m.group(1) if m else None


def _person(v: Any) -> str | None:
    """'Last, First' -> 'first last', lower case (the cleaning a Splink user would write)."""
    s = re.sub(r"\([^)]*\)", " ", str(v or ""))
    if s.count(",") == 1:
        last, first = s.split(",")
        s = f"{first} {last}"
    return _clean(s)


def _title(v: Any) -> str | None:
    return _clean(re.sub(r"\(\d{4}\)", " ", str(v or "")))


def _prep_okkam(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": df["id"].astype(str),
        "name": _col(df, "name").map(_clean),
        "name_first": _col(df, "name").map(lambda s: (_clean(s) or "")[:4] or None),
        "phone": _col(df, "phone_number").map(lambda s: re.sub(r"\D", "", str(s or ""))[-10:] or None),
        "street": _col(df, "street").map(_clean),
    })


def _prep_dblp(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": df["id"].astype(str),
        "title": df["title"].map(_clean),
        "title_first": df["title"].map(lambda s: (_clean(s) or "")[:6] or None),
        "title_tokens": df["title"].map(_tokens),
        "authors": df["authors"].map(
            lambda s: sorted({(_clean(x) or "").split()[-1] for x in str(s or "").split(",") if _clean(x)}) or None),
        "author1": df["authors"].map(lambda s: ((_clean(str(s or "").split(",")[0]) or "").split() or [None])[-1]),
        "venue": df["venue"].map(_clean),
        "year": df["year"].map(_year),
    })


def _prep_movies(df: pd.DataFrame) -> pd.DataFrame:
    year = _col(df, "startYear").where(_col(df, "startYear") != "", _col(df, "releaseDate"))
    return pd.DataFrame({
        "unique_id": df["id"].astype(str),
        "title": _col(df, "title").map(_title),
        "title_first": _col(df, "title").map(lambda s: (_title(s) or "")[:5] or None),
        "name": _col(df, "name").map(_person),
        "name_last": _col(df, "name").map(lambda s: ((_person(s) or "").split() or [None])[-1]),
        "episode": _col(df, "episodeNumber").map(lambda s: str(s).strip() or None),
        "season": _col(df, "seasonNumber").map(lambda s: str(s).strip() or None),
        "year": year.map(_year),
    })


def _prep_dbpedia(df: pd.DataFrame) -> pd.DataFrame:
    actor = df["starring"] if "starring" in df.columns else df["actor name"]
    return pd.DataFrame({
        "unique_id": df["id"].astype(str),
        "title": df["title"].map(_title),
        "title_first": df["title"].map(lambda s: (_title(s) or "")[:5] or None),
        "actor": actor.map(_person),
        "actor_last": actor.map(lambda s: ((_person(s) or "").split() or [None])[-1]),
    })


def _strip(v: Any) -> str | None:
    s = str(v if v is not None else "").strip()
    return s or None


def _prep_febrl(df: pd.DataFrame) -> pd.DataFrame:
    """FEBRL person records (values padded with a space after each comma): the cleaning of Splink's
    own FEBRL examples, lower case and trimmed, date of birth as text for a Levenshtein level."""
    df = df.rename(columns=lambda c: str(c).strip())
    col = {c: df[c].map(_clean) for c in ("given_name", "surname", "address_1", "address_2", "suburb", "state")}
    return pd.DataFrame({
        "unique_id": df["rec_id"].map(_strip),
        **col,
        "street_number": df["street_number"].map(_strip),
        "postcode": df["postcode"].map(_strip),
        "date_of_birth": df["date_of_birth"].map(_strip),
        "soc_sec_id": df["soc_sec_id"].map(lambda s: re.sub(r"\D", "", str(s or "")) or None),
    })


def _febrl_settings(link_type: str):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    s = SettingsCreator(
        link_type=link_type,
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.95, 0.88]),
            cl.JaroWinklerAtThresholds("surname", [0.95, 0.88]),
            cl.ExactMatch("street_number"),
            cl.LevenshteinAtThresholds("address_1", [2, 5]),
            cl.LevenshteinAtThresholds("address_2", [2, 5]),
            cl.ExactMatch("suburb"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[block_on("given_name", "surname"), block_on("surname", "date_of_birth"),
                                                block_on("postcode", "street_number"), block_on("soc_sec_id")],
    )
    train = [block_on("given_name", "surname"), block_on("date_of_birth"), block_on("postcode")]
    deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
    return s, train, deterministic


def _prep_amazon_google(df: pd.DataFrame) -> pd.DataFrame:
    """Products (title, description, manufacturer, price): the cleaning written for Abt-Buy."""
    return _product_columns(df, "title", {"manufacturer": df["manufacturer"].map(_clean)})


def _prep_free_text_names(df: pd.DataFrame) -> pd.DataFrame:
    """One free-text name column (a company and parts of its address): tokens, first words."""
    return pd.DataFrame({
        "unique_id": df["rec_id"].astype(str),
        "name": df["name"].map(_clean),
        "name_tokens": df["name"].map(lambda s: _tokens(s, _LEGAL)),
        "name_first": df["name"].map(lambda s: (_clean(s) or " ").split()[0] or None),
    })


def _extra3_settings(name: str):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if name == "amazon_google":
        s = SettingsCreator(
            link_type="link_only",
            comparisons=[
                cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.8]),
                cl.ArrayIntersectAtSizes("name_tokens", [4, 2, 1]),
                cl.ExactMatch("code"),
                cl.JaroWinklerAtThresholds("manufacturer", [0.9]),
                cl.ArrayIntersectAtSizes("desc_tokens", [5, 2]),
                cl.ExactMatch("price"),
            ],
            blocking_rules_to_generate_predictions=[block_on("code"), block_on("brand", "word2")],
        )
        return s, [block_on("code"), block_on("brand", "word2")], [block_on("code", "brand")]
    s = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.JaroWinklerAtThresholds("name", [0.97, 0.92, 0.85]),
                     cl.ArrayIntersectAtSizes("name_tokens", [4, 2, 1])],
        blocking_rules_to_generate_predictions=[block_on("name_first")],
    )
    return s, [block_on("name_first")], [block_on("name_first")]


def _prep_census_cis(df: pd.DataFrame) -> pd.DataFrame:
    """UK person records (written from the column names, session 9): names and address lower case,
    birth day/month/year as codes, postcode without spaces."""
    return pd.DataFrame({
        "unique_id": df["rec_id"].map(_strip),
        "given_name": df["PERNAME1"].map(_clean),
        "surname": df["PERNAME2"].map(_clean),
        "sex": df["SEX"].map(_clean),
        **{c.lower(): df[c].map(_strip) for c in ("DOB_DAY", "DOB_MON", "DOB_YEAR")},
        "address": df["ENUMCAP"].map(_clean),
        "postcode": df["ENUMPC"].map(lambda s: re.sub(r"\s", "", str(s or "")).lower() or None),
    })


def _clean_any_script(s: Any) -> str | None:
    """Lower-case word characters of any script (names here come in Cyrillic, Greek, CJK too)."""
    out = " ".join(re.findall(r"\w+", str(s if s is not None else "").lower()))
    return out or None


def _prep_mentions(df: pd.DataFrame) -> pd.DataFrame:
    """One name column and its entity type (written from the column names, session 9)."""
    names = [_clean_any_script(s) for s in df["mention"]]
    return pd.DataFrame({
        "unique_id": df["rec_id"].astype(str),
        "name": names,
        "name_tokens": [sorted({t for t in s.split() if t not in _LEGAL}) or None if s else None for s in names],
        "name_first": [s.split()[0] if s else None for s in names],
        "entity_type": df["entity_type"].map(_clean),
    })


def _extra4_settings(name: str):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if name == "census_cis":
        s = SettingsCreator(
            link_type="link_only",
            comparisons=[
                cl.JaroWinklerAtThresholds("given_name", [0.95, 0.88]),
                cl.JaroWinklerAtThresholds("surname", [0.95, 0.88]),
                cl.ExactMatch("sex"),
                cl.ExactMatch("dob_day"),
                cl.ExactMatch("dob_mon"),
                cl.ExactMatch("dob_year"),
                cl.LevenshteinAtThresholds("address", [2, 5]),
                cl.ExactMatch("postcode"),
            ],
            blocking_rules_to_generate_predictions=[block_on("given_name", "surname"), block_on("surname", "dob_year"),
                                                    block_on("postcode")],
        )
        train = [block_on("given_name", "surname"), block_on("dob_year"), block_on("postcode")]
        return s, train, [block_on("given_name", "surname", "dob_year"), block_on("surname", "postcode")]
    s = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.JaroWinklerAtThresholds("name", [0.97, 0.92, 0.85]),
                     cl.ArrayIntersectAtSizes("name_tokens", [2, 1]),
                     cl.ExactMatch("entity_type")],
        blocking_rules_to_generate_predictions=[block_on("entity_type"), block_on("name_first")],
    )
    return s, [block_on("entity_type"), block_on("name_first")], [block_on("name")]


def _settings(name: str):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if name in ("census_cis", "er_kg_mentions"):
        return _extra4_settings(name)
    if name.startswith("febrl"):
        return _febrl_settings("link_only" if name == "febrl4" else "dedupe_only")
    if name in ("amazon_google", "stoxx50"):
        return _extra3_settings(name)
    if name == "fodors_zagats":
        s = SettingsCreator(
            link_type="link_only",
            comparisons=[
                cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.8]),
                cl.LevenshteinAtThresholds("addr", [2, 5]),
                cl.ExactMatch("city"),
                cl.ExactMatch("phone"),
                cl.ExactMatch("type"),
            ],
            blocking_rules_to_generate_predictions=[block_on("phone"), block_on("name_first"), block_on("city", "type")],
            retain_intermediate_calculation_columns=False,
        )
        train = [block_on("phone"), block_on("name_first")]
        deterministic = [block_on("phone", "name_first")]
    elif name == "abt_buy":
        s = SettingsCreator(
            link_type="link_only",
            comparisons=[
                cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.8]),
                cl.ArrayIntersectAtSizes("name_tokens", [4, 2, 1]),
                cl.ExactMatch("code"),
                cl.ArrayIntersectAtSizes("desc_tokens", [5, 2]),
                cl.ExactMatch("price"),
            ],
            blocking_rules_to_generate_predictions=[block_on("code"), block_on("brand", "word2")],
        )
        train = [block_on("code"), block_on("brand", "word2")]
        deterministic = [block_on("code", "brand")]
    elif name == "restaurants_okkam":
        s = SettingsCreator(
            link_type="link_only",
            comparisons=[cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.8]), cl.ExactMatch("phone"),
                         cl.LevenshteinAtThresholds("street", [2, 5])],
            blocking_rules_to_generate_predictions=[block_on("phone"), block_on("name_first")],
        )
        train = [block_on("phone"), block_on("name_first")]
        deterministic = [block_on("name"), block_on("phone")]
    elif name == "dblp_acm":
        s = SettingsCreator(
            link_type="link_only",
            comparisons=[cl.JaroWinklerAtThresholds("title", [0.95, 0.88, 0.8]), cl.ArrayIntersectAtSizes("authors", [2, 1]),
                         cl.JaroWinklerAtThresholds("venue", [0.9, 0.7]), cl.ExactMatch("year")],
            blocking_rules_to_generate_predictions=[block_on("title_first"), block_on("author1", "year")],
        )
        train = [block_on("title_first"), block_on("author1")]
        deterministic = [block_on("title")]
    elif name in ("imdb_tmdb", "imdb_tvdb"):
        s = SettingsCreator(
            link_type="link_only",
            comparisons=[cl.JaroWinklerAtThresholds("title", [0.95, 0.88, 0.8]), cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
                         cl.ExactMatch("episode"), cl.ExactMatch("season"), cl.ExactMatch("year")],
            blocking_rules_to_generate_predictions=[block_on("title_first"), block_on("name_last")],
        )
        train = [block_on("title_first"), block_on("name_last")]
        deterministic = [block_on("title"), block_on("name")]
    elif name == "imdb_dbpedia":
        s = SettingsCreator(
            link_type="link_only",
            comparisons=[cl.JaroWinklerAtThresholds("title", [0.95, 0.88, 0.8]),
                         cl.JaroWinklerAtThresholds("actor", [0.95, 0.88])],
            blocking_rules_to_generate_predictions=[block_on("title_first"), block_on("actor_last")],
        )
        train = [block_on("title_first"), block_on("actor_last")]
        deterministic = [block_on("title")]
    else:
        s = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.JaroWinklerAtThresholds("name", [0.97, 0.92, 0.85]),
                cl.ArrayIntersectAtSizes("name_tokens", [3, 2, 1]),
                cl.ArrayIntersectAtSizes("coauthors", [2, 1]),
                cl.ArrayIntersectAtSizes("classes", [2, 1]),
            ],
            blocking_rules_to_generate_predictions=[block_on("name"), block_on("name_first")],
        )
        train = [block_on("name_first"), block_on("name")]
        deterministic = [block_on("name")]
    return s, train, deterministic


PREP = {"fodors_zagats": _prep_fodors, "abt_buy": _prep_abt, "patstat_orgs": _prep_patstat, "restaurants_okkam": _prep_okkam,
        "dblp_acm": _prep_dblp, "imdb_tmdb": _prep_movies, "imdb_tvdb": _prep_movies, "imdb_dbpedia": _prep_dbpedia,
        **{f"febrl{k}": _prep_febrl for k in range(1, 5)}, "amazon_google": _prep_amazon_google,
        "stoxx50": _prep_free_text_names, "census_cis": _prep_census_cis, "er_kg_mentions": _prep_mentions}
SEPARATORS = {"fodors_zagats": ",", "patstat_orgs": ",", "dblp_acm": "%", "amazon_google": ",", "stoxx50": ",",
              "census_cis": ",", "er_kg_mentions": ",",
              **{f"febrl{k}": "," for k in range(1, 5)}}  # the rest: '|'
ENCODINGS = {"amazon_google": "latin-1"}  # the rest: utf-8


def resolve_with_splink(name: str, frames: list[pd.DataFrame], threshold: float = 0.5) -> tuple[pd.DataFrame, int]:
    """Train unsupervised and cluster; returns (unique_id, source_dataset, cluster_id) and the predicted pair count."""
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    db = DuckDBAPI()
    tables = [db.register(f, dataset_display_name=f"{name}_{i}") for i, f in enumerate(frames)]
    settings, train, deterministic = _settings(name)
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for br in train:
        linker.training.estimate_parameters_using_expectation_maximisation(br, record_sample_proportion=1.0)
    pred = linker.inference.predict(threshold_match_probability=0.01)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=threshold)
    cdf = clusters.as_pandas_dataframe()
    n_pairs = int((pred.as_pandas_dataframe()["match_probability"] >= threshold).sum())
    return cdf, n_pairs


def run_splink(name: str, data: Path, cfg: dict, gold_link_pairs: Callable, gold_entities: Callable, prf: Callable,
               bcubed: Callable, pairs_from_labels: Callable) -> dict:
    """Figures in the same shape as er_quality.run_ours, with system='splink'."""
    sep = SEPARATORS.get(name, "|")
    raw = [pd.read_csv(data / name / f, sep=sep, dtype=str, keep_default_na=False, engine="python",
                       encoding=ENCODINGS.get(name, "utf-8")) for f in cfg["files"]]
    t0 = time.perf_counter()
    frames = [PREP[name](df) for df in raw]
    try:
        cdf, n_pairs = resolve_with_splink(name, frames)
    except Exception as exc:  # report, never crash the side-by-side
        return {"system": "splink", "dataset": name, "error": f"{type(exc).__name__}: {exc}"}
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {"system": "splink", "dataset": name, "records": int(sum(len(f) for f in frames)),
                           "wall_s": round(wall, 2), "pairs_above_threshold": n_pairs}
    if cfg["kind"] == "link":
        ds_col = "source_dataset" if "source_dataset" in cdf.columns else None
        first = f"{name}_0"
        a = cdf[cdf[ds_col] == first] if ds_col else cdf.iloc[:len(frames[0])]
        b = cdf[cdf[ds_col] != first] if ds_col else cdf.iloc[len(frames[0]):]
        pred = pairs_from_labels(a["unique_id"].astype(str).tolist(), a["cluster_id"].astype(str).tolist(),
                                 b["unique_id"].astype(str).tolist(), b["cluster_id"].astype(str).tolist())
        out.update(prf(pred, gold_link_pairs(name, data)))
    else:
        gold = gold_entities(data, name)
        pred = dict(zip(cdf["unique_id"].astype(str), cdf["cluster_id"].astype(str), strict=True))
        out.update(bcubed(pred, {i: gold[i] for i in pred if i in gold}))
    return out


def main(argv=None) -> int:
    import argparse
    import json

    sys.path.insert(0, str(REPO))
    from bench.er_quality import DATASETS, bcubed, gold_entities, gold_link_pairs, pairs_from_labels, prf

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "er"))
    ap.add_argument("--only", nargs="*", default=list(DATASETS))
    args = ap.parse_args(argv)
    for name in args.only:
        print(json.dumps(run_splink(name, Path(args.data), DATASETS[name], gold_link_pairs, gold_entities, prf, bcubed,
                                    pairs_from_labels)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
