"""`matrix resolve` end to end on small CSVs with odd separators; errors name what is wrong."""

from __future__ import annotations

import csv
import json

from matrix.cli import main


def _write(path, sep, rows, header=("key", "title", "web")):
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n", encoding="latin-1")


def test_link_two_files_writes_clusters_and_report(tmp_path, matrix_home):
    _write(tmp_path / "a.csv", "|", [("1", "Acme Shoes", "acme.com"), ("2", "Bolt VPN", "boltvpn.io"), ("3", "Café Orbit", "orbit.cafe")])
    _write(tmp_path / "b.csv", "#", [("x", "ACME shoes", "www.acme.com"), ("y", "Zebra Paints", "zebra.com")])
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "files:\n  a.csv: {id: key, sep: '|', encoding: latin-1}\n  b.csv: {id: key, sep: '#', encoding: latin-1}\n"
        "fields:\n  - {name: title, type: name}\n  - {name: web, type: url-domain}\n")
    out = tmp_path / "out"
    rc = main(["resolve", "--spec", str(spec), str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--out", str(out), "--no-embed"])
    assert rc == 0
    rows = list(csv.DictReader(open(out / "clusters.csv")))
    assert len(rows) == 5 and {r["source"] for r in rows} == {"a.csv", "b.csv"}
    cl = {(r["source"], r["id"]): r["cluster"] for r in rows}
    assert cl[("a.csv", "1")] == cl[("b.csv", "x")]
    assert len({cl[("a.csv", "2")], cl[("a.csv", "3")], cl[("b.csv", "y")], cl[("a.csv", "1")]}) == 4
    report = json.loads((out / "report.json").read_text())
    assert report["mode"] == "one-to-one" and report["records"] == 5
    assert (out / "matches.csv").read_text().count("\n") >= 2


def test_dedupe_with_training_labels(tmp_path, matrix_home):
    _write(tmp_path / "t.csv", ";", [("1", "Acme Shoes", "acme.com"), ("2", "Acme Shoes Inc", "acme.com"),
                                     ("3", "Bolt VPN", "boltvpn.io"), ("4", "Bolt VPN Ltd", "boltvpn.io"), ("5", "Zebra", "zebra.com")])
    spec = tmp_path / "spec.yaml"
    spec.write_text("files:\n  default: {id: key, sep: ';', encoding: latin-1}\nfields:\n  - {name: title, type: name}\n  - {name: web, type: url-domain}\n")
    labels = tmp_path / "labels.csv"
    labels.write_text("id_a,id_b,match\n1,2,1\n3,4,yes\n1,3,0\n2,5,no\n")
    out = tmp_path / "o"
    assert main(["resolve", "--spec", str(spec), str(tmp_path / "t.csv"), "--out", str(out), "--no-embed", "--train", str(labels)]) == 0
    cl = {r["id"]: r["cluster"] for r in csv.DictReader(open(out / "clusters.csv"))}
    assert cl["1"] == cl["2"] and cl["3"] == cl["4"] and cl["1"] != cl["3"]
    assert json.loads((out / "report.json").read_text())["supervised"] is True


def test_bad_inputs_fail_with_clear_errors(tmp_path, matrix_home, capsys):
    _write(tmp_path / "t.csv", ",", [("1", "Acme", "acme.com")])
    spec = tmp_path / "spec.yaml"
    spec.write_text("fields:\n  - {name: title, type: nome}\n")
    assert main(["resolve", "--spec", str(spec), str(tmp_path / "t.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "fields.0.type" in capsys.readouterr().err
    spec.write_text("fields:\n  - {name: title, type: name}\n")  # id column 'id' missing
    assert main(["resolve", "--spec", str(spec), str(tmp_path / "t.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "id column 'id' not found" in capsys.readouterr().err
