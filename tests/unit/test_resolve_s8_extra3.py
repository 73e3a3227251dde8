"""Session 8: the third out-of-sample check (`bench/er_quality.py --extra3`) reads its sets from
wheels fetched once from the package index; these tests build look-alike wheels here (no network)
and check what the bench makes of them: records, gold kept apart, row order scrubbed."""

from __future__ import annotations

import gzip
import importlib.util
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def erq():
    spec = importlib.util.spec_from_file_location("er_quality_s8", REPO / "bench" / "er_quality.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _xlsx(rows: list[list[object]]) -> bytes:
    """A minimal workbook: strings through the shared-strings table, numbers inline."""
    shared: list[str] = []
    cells = []
    for r, row in enumerate(rows, start=1):
        out = []
        for c, v in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(v, str):
                shared.append(v)
                out.append(f'<c r="{ref}" t="s"><v>{len(shared) - 1}</v></c>')
            else:
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    sst = "".join(f"<si><t>{s}</t></si>" for s in shared)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/sharedStrings.xml", f'<sst {NS} count="{len(shared)}">{sst}</sst>')
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet {NS}><sheetData>{"".join(cells)}</sheetData></worksheet>')
    return buf.getvalue()


COMPANIES = [["name", "id"], ["nordwerk ag hafenstrasse 3 hamburg", 1], ["nordwerk ag hamburg germany", 1],
             ["lumen sa 12 rue verte lyon", 2], ["lumen sa lyon france", 2], ["lumen sa 69001", 2],
             ["tessera spa via roma 8 torino", 3]]


def test_xlsx_sheet_is_read_without_openpyxl(erq):
    df = erq.read_xlsx_sheet(_xlsx(COMPANIES))
    assert list(df.columns) == ["name", "id"]
    assert df["name"].tolist() == [r[0] for r in COMPANIES[1:]]
    assert df["id"].tolist() == ["1", "1", "2", "2", "2", "3"]


def _fake_wheels(cache: Path) -> None:
    wheels = cache / "wheel"
    wheels.mkdir(parents=True)
    base = "zingg/examples/amazon-google/"
    amazon = 'id,title,description,manufacturer,price\nA1,"photo studio 5",,"pixelworks",49.99\nA2,"tax helper 2007",,,19\n'
    google = ('id,title,description,manufacturer,price\nhttp://g/1,"pixelworks photo studio 5.0",,,45\n'
              'http://g/2,"pixelworks photo studio v5",,,44\nhttp://g/3,"garden planner",,,9\n')
    gold = '"idAmazon","idGoogleBase"\n"A1","http://g/1"\n"A1","http://g/2"\n'
    with zipfile.ZipFile(wheels / "zingg-0.5.0-py2.py3-none-any.whl", "w") as z:
        z.writestr(base + "Amazon.csv.gz", gzip.compress(amazon.encode("latin-1")))
        z.writestr(base + "GoogleProducts.csv.gz", gzip.compress(google.encode("latin-1")))
        z.writestr(base + "Amzon_GoogleProducts_perfectMapping.csv.gz", gzip.compress(gold.encode()))
    with zipfile.ZipFile(wheels / "DedupliPy-0.8-py3-none-any.whl", "w") as z:
        z.writestr("deduplipy/data/stoxx50_extended_with_id.xlsx", _xlsx(COMPANIES))


def test_extra3_sets_are_extracted_with_gold_kept_apart(erq, tmp_path):
    _fake_wheels(tmp_path)
    root = erq.extra3_data_root(tmp_path, ["amazon_google", "stoxx50"])
    assert root == tmp_path
    # linkage: both tables as published, gold pairs only in gold.csv and read by the scorer
    assert erq.gold_link_pairs("amazon_google", root) == {("A1", "http://g/1"), ("A1", "http://g/2")}
    for f in ("Amazon.csv", "GoogleProducts.csv"):
        assert "idGoogleBase" not in (root / "amazon_google" / f).read_text(encoding="latin-1")
    # dedup: the records carry a row number and the name only; the entity sits in gold.csv
    recs = pd.read_csv(root / "stoxx50" / "records.csv", dtype=str)
    assert list(recs.columns) == ["rec_id", "name"]
    gold = erq.gold_entities(root, "stoxx50")
    truth = {name: str(ent) for name, ent in COMPANIES[1:]}
    assert {gold[i] for i in recs["rec_id"]} == {"1", "2", "3"}
    assert all(gold[i] == truth[n] for i, n in zip(recs["rec_id"], recs["name"], strict=True))
    # the sheet lists each company's rows together; the records file must not
    assert recs["name"].tolist() != [r[0] for r in COMPANIES[1:]]


def test_extra3_specs_load_and_name_only_columns_the_files_have(erq, tmp_path):
    from matrix.resolve.csvio import load_records
    from matrix.resolve.spec import load_spec

    _fake_wheels(tmp_path)
    root = erq.extra3_data_root(tmp_path, ["amazon_google", "stoxx50"])
    for name, cfg in erq.EXTRA3_DATASETS.items():
        rec = load_records(load_spec(erq.SPECS / cfg["spec"]), [root / name / f for f in cfg["files"]])
        assert len(rec) == sum(len(pd.read_csv(root / name / f, encoding="latin-1")) for f in cfg["files"])
