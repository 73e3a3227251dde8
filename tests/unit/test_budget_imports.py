"""Real exports in (issue 19): the two public samples under tests/data/budget, dates in every shape
users have, short rows, mappings printed, missing money fields, stopped campaigns, one-line errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from matrix.budget import importers
from matrix.budget.model import PerformanceError

DATA = Path(__file__).resolve().parents[1] / "data" / "budget"


def test_online_advertising_export_month_day_columns_need_a_year():
    with pytest.raises(PerformanceError, match=r"online_advertising_sample.csv: dates have no year .*'April' '19'.*--year"):
        importers.import_csv(DATA / "online_advertising_sample.csv", duplicates="sum", default_currency="USD")
    res = importers.import_csv(DATA / "online_advertising_sample.csv", duplicates="sum", default_currency="USD", year=2020)
    m = res.mapping
    assert m["campaign_id"] == "campaign_number" and m["spend"] == "cost" and m["commission"] == "revenue"
    assert m["impressions"] == "displays" and m["revenue"] == "post_click_sales_amount" and "month+day" in m["date"]
    assert {"banner", "placement", "user_engagement"} <= set(res.ignored) and not res.warnings
    assert "campaign_id <- 'campaign_number'" in res.mapping_line()
    days = {(r.campaign_id, r.date) for r in res.rows}
    assert len(days) == len(res.rows) and ("camp 1", dt.date(2020, 4, 1)) in days
    # breakdown rows (banner x placement) were added up per campaign-day
    apr1 = next(r for r in res.rows if r.campaign_id == "camp 1" and r.date == dt.date(2020, 4, 1))
    assert apr1.spend == pytest.approx(351.9167 + 424.0715) and apr1.commission == pytest.approx(1877.8227 + 543.1365)


def test_breakdown_rows_need_an_explicit_duplicates_choice():
    with pytest.raises(PerformanceError, match="--duplicates sum"):
        importers.import_csv(DATA / "facebook_kag_sample.csv", default_currency="USD")


def test_facebook_export_ddmmyyyy_inferred_and_missing_earnings_warned():
    res = importers.import_csv(DATA / "facebook_kag_sample.csv", duplicates="sum", default_currency="USD")
    assert res.mapping["campaign_id"] == "xyz_campaign_id" and res.mapping["spend"] == "Spent"
    assert res.mapping["conversions"] == "Approved_Conversion" and "commission" not in res.mapping
    assert any("%d-%m-%Y" in w and "'31-08-2023'" in w for w in res.warnings)
    assert any("no commission" in w and '--map commission="Your Header"' in w for w in res.warnings)
    assert all(r.commission is None for r in res.rows) and {r.campaign_id for r in res.rows} == {"916", "936", "1178"}
    assert max(r.date for r in res.rows) == dt.date(2023, 8, 31)
    with pytest.raises(PerformanceError, match="--strict: no commission"):
        importers.import_csv(DATA / "facebook_kag_sample.csv", duplicates="sum", default_currency="USD", strict=True)
    explicit = importers.import_csv(DATA / "facebook_kag_sample.csv", duplicates="sum", default_currency="USD",
                                    date_format="%d-%m-%Y")
    assert [r.date for r in explicit.rows] == [r.date for r in res.rows]


def test_mapping_a_header_to_revenue_warns_that_commission_is_left_empty():
    res = importers.import_csv(DATA / "online_advertising_sample.csv", {"revenue": "revenue"}, duplicates="sum",
                               default_currency="USD", year=2020)
    assert "commission" not in res.mapping
    assert any("'revenue' would be commission" in w and '--map commission="revenue"' in w for w in res.warnings)


@pytest.mark.parametrize("body,fmt,year,needle", [
    ("a,05-06-2024,1,2\n", None, None, "ambiguous; pass --date-format %d-%m-%Y"),
    ("a,1,1,2\n", None, None, "not a date in YYYY-MM-DD; pass --date-format"),
    ("a,2024-13-01,1,2\n", None, None, "not a valid calendar date"),
    ("a,06/05,1,2\n", "%d/%m", None, "has no year; pass --year"),
    ("a,31/12/2024,1,2\n", "%m/%d/%Y", None, "does not match --date-format"),
])
def test_unreadable_dates_name_file_row_column_value(tmp_path, body, fmt, year, needle):
    p = tmp_path / "e.csv"
    p.write_text("Campaign,Day,Cost,Earnings\n" + body)
    with pytest.raises(PerformanceError) as e:
        importers.import_csv(p, default_currency="USD", date_format=fmt, year=year)
    msg = str(e.value)
    assert "e.csv" in msg and "row 1 (line 2)" in msg and "column 'Day'" in msg and needle in msg


def test_dates_without_year_with_format_and_year(tmp_path):
    p = tmp_path / "y.csv"
    p.write_text("Campaign,Day,Cost,Earnings\na,06/05,1,2\na,07/05,1,3\n")
    rows = importers.read_csv(p, default_currency="USD", date_format="%d/%m", year=2023)
    assert [r.date for r in rows] == [dt.date(2023, 5, 6), dt.date(2023, 5, 7)]


def test_short_and_long_rows_are_rejected_with_their_lines(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("campaign_id,date,spend,commission\na,2024-01-01,1,2\nb,2024-01-01,3\nc,2024-01-02,1,2,9\n")
    with pytest.raises(PerformanceError) as e:
        importers.import_csv(p, default_currency="USD")
    msg = str(e.value)
    assert "2 rows have the wrong number of fields" in msg and "line 3: 3 fields" in msg and "line 4: 5 fields" in msg


def test_value_errors_name_header_and_value_and_hints_use_cli_syntax(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("Campaign,Date,Cost,Revenue\na,2024-01-01,-4,2\n")
    with pytest.raises(PerformanceError) as e:
        importers.import_csv(p, default_currency="USD")
    assert "v.csv: row 1 (line 2), column 'Cost' (spend), value '-4'" in str(e.value)
    q = tmp_path / "n.csv"
    q.write_text("Name,When,Cost\na,2024-01-01,1\n")
    with pytest.raises(PerformanceError) as e:
        importers.import_csv(q)
    assert '--map campaign_id="Your Header"' in str(e.value) and "{" not in str(e.value).split("columns:")[0]


def test_cli_import_prints_mapping_and_stopped_campaigns_are_left_out(settings, tmp_path, capsys):
    from matrix.cli import main

    p = tmp_path / "h.csv"
    start = dt.date(2024, 1, 1)
    lines = ["campaign_id,date,spend,commission"]
    rng = np.random.default_rng(0)
    for d in range(90):
        day = start + dt.timedelta(days=d)
        for c, scale in (("live1", 100), ("live2", 60), ("gone", 80)):
            if c == "gone" and d >= 30:
                continue  # stopped two months before the data ends
            s = scale * float(np.exp(rng.normal(0, 0.3)))
            lines.append(f"{c},{day},{s:.2f},{2 * s ** 0.8 * float(np.exp(rng.normal(0, 0.1))):.2f}")
    p.write_text("\n".join(lines) + "\n")
    assert main(["budget", "import", str(p)]) == 0
    out = capsys.readouterr().out
    assert "columns: campaign_id <- 'campaign_id'" in out
    assert main(["budget", "allocate", "--budget", "200"]) == 0
    out = capsys.readouterr().out
    assert "gone: stopped (last spend 2024-01-30" in out
    plan_lines = [ln for ln in out.splitlines() if ln.startswith(("live1", "live2", "gone "))]
    assert {ln.split()[0] for ln in plan_lines} == {"live1", "live2"}
    assert main(["budget", "forecast"]) == 0
    out = capsys.readouterr().out
    assert "verdict:" in out and "gone  " not in out.split("verdict:")[1]


def test_forecast_and_backtest_on_a_31_day_file_say_why_in_one_line(settings, tmp_path, capsys):
    from matrix.cli import main

    p = tmp_path / "m.csv"
    rows = ["campaign_id,date,spend,commission"] + [f"a,{dt.date(2024, 3, 1) + dt.timedelta(days=d)},{10 + d % 5},{20 + d % 7}"
                                                    for d in range(31)]
    p.write_text("\n".join(rows) + "\n")
    assert main(["budget", "import", str(p)]) == 0
    capsys.readouterr()
    assert main(["budget", "forecast", "--backtest"]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("verdict:")
    assert main(["budget", "forecast"]) == 0
    assert "verdict:" in capsys.readouterr().out
    short = tmp_path / "s.csv"
    short.write_text("campaign_id,date,spend,commission\nb,2024-03-30,1,2\nb,2024-03-31,2,3\n")
    # a short second campaign: still no traceback anywhere
    assert main(["budget", "import", str(short)]) == 0
    capsys.readouterr()
    for cmd in (["forecast"], ["forecast", "--backtest"], ["allocate", "--budget", "10"], ["report"]):
        rc = main(["budget", *cmd])
        out = capsys.readouterr().out
        assert "Traceback" not in out and rc in (0, 1)
