"""The generic directory extractor (matrix.sources.layout): every structure a redesign produces,
label synonyms, tooltips, and other programs' values never taken as the page's own."""

from __future__ import annotations

import pickle

import pytest

from matrix.sources.extract import soup_of
from matrix.sources.layout import FieldSpec, LayoutReader, SiteSpec, clean_label, vocabulary

SPEC = SiteSpec(
    kind="t", list_path="/", detail_pattern=r"/p/[^/]+/?$", main=(".content", "main"),
    fields=tuple(FieldSpec(n) for n in ("commission", "cookie", "payout_minimum", "payout_methods", "geo",
                                         "payout_type", "network", "category")) + (FieldSpec("website", kind="link"),),
)
URL = "https://dir.example/p/acme/"
WANT = {"commission": "30% recurring", "cookie": "60 days", "payout_minimum": "$50", "payout_methods": "PayPal, Wire",
        "geo": "US, CA"}


def read(body: str, spec: SiteSpec = SPEC) -> dict:
    html = f"<html><body><nav><a href='/'>Home</a></nav><main class='content'><h1>Acme</h1>{body}</main></body></html>"
    return LayoutReader(spec).read(soup_of(html), URL).record


@pytest.mark.parametrize("label,field", [
    ("Cookie Life", "cookie"), ("Cookie Duration", "cookie"), ("Tracking Period", "cookie"),
    ("Min. Payout", "payout_minimum"), ("Minimum Payout", "payout_minimum"), ("Payout Threshold", "payout_minimum"),
    ("Payment Options", "payout_methods"), ("Payment Methods", "payout_methods"), ("Payout Methods:", "payout_methods"),
    ("Target Countries", "geo"), ("GEO", "geo"), ("Commission Rate", "commission"), ("Payout", "commission"),
    ("Payout Type", "payout_type"), ("Commission Type", "payout_type"), ("Affiliate Network", "network"),
    ("COOKIE\u00a0LENGTH ⓘ", "cookie"), ("Earnings per click", "epc"),
])
def test_labels_match_by_tokens_and_synonyms(label, field):
    assert vocabulary().match(label)[0] == field


@pytest.mark.parametrize("label", ["Sub-affiliate commission", "Restricted Countries", "Conversion Rate", "Tax Rate",
                                   "Commission 30%", "About this program"])
def test_labels_that_are_not_a_field_match_nothing(label):
    assert vocabulary().match(label) is None


def test_clean_label_strips_colons_tooltip_marks_and_asterisks():
    assert clean_label("Cookie Duration: (?)") == "Cookie Duration"
    assert clean_label("  Commission *:") == "Commission"


PAIRS = [("Commission Rate", "30% recurring"), ("Cookie Life", "60 days"), ("Min. Payout", "$50"),
         ("Payment Options", "PayPal, Wire"), ("Target Countries", "US, CA")]


def _layouts() -> dict[str, str]:
    tip = ' <span class="tooltip">?<span class="tooltip-text">How long a referral is remembered.</span></span>'
    return {
        "dl": "<dl>" + "".join(f"<dt>{l}{tip}</dt><dd>{v}</dd>" for l, v in PAIRS) + "</dl>",
        "row_table": "<table>" + "".join(f"<tr><th>{l}</th><td>{v}</td></tr>" for l, v in PAIRS) + "</table>",
        "column_table": "<table><thead><tr>" + "".join(f"<th>{l}</th>" for l, _ in PAIRS) + "</tr></thead><tbody><tr>"
                        + "".join(f"<td>{v}</td>" for _, v in PAIRS) + "</tr></tbody></table>",
        "value_first": "".join(f"<div class='x1'><div class='x2'><strong>{v}</strong></div><div class='x3'>{l}"
                               f"<i class='fa fa-info'></i></div></div>" for l, v in PAIRS),
        "colon_lines": "<p>" + "<br>".join(f"{l}: {v}" for l, v in PAIRS) + "</p>",
        "dash_items": "<ul>" + "".join(f"<li>{l} – {v}</li>" for l, v in PAIRS) + "</ul>",
        "bold_inline": "<ul>" + "".join(f"<li><b>{l}:</b> {v}</li>" for l, v in PAIRS) + "</ul>",
        "data_label": "<table><tr>" + "".join(f"<td data-label='{l}'>{v}</td>" for l, v in PAIRS) + "</tr></table>",
        "data_value": "".join(f"<div data-field='{l}' data-value='{v}'></div>" for l, v in PAIRS),
        "spans": "".join(f"<div class='r'><span class='a'>{l}</span> <span class='b'>{v}</span></div>" for l, v in PAIRS),
    }


@pytest.mark.parametrize("layout", sorted(_layouts()))
def test_every_structure_yields_every_field(layout):
    rec = read(_layouts()[layout])
    assert {k: rec[k] for k in WANT} == WANT, layout
    assert rec["name"] == "Acme" and rec["id"] == "acme"


SIDEBAR = ("<aside><h3>Similar Programs</h3><div class='card'><h4><a href='/p/other/'>Other</a></h4>"
           "<dl><dt>Commission</dt><dd>75%</dd><dt>Cookie Duration</dt><dd>365 days</dd><dt>Network</dt><dd>Awin</dd>"
           "</dl></div></aside>")


@pytest.mark.parametrize("where", ["before", "after"])
def test_similar_programs_widget_never_overrides_or_fills_the_pages_own_values(where):
    own = "<dl><dt>Commission Rate</dt><dd>30% recurring</dd><dt>Cookie Life</dt><dd>60 days</dd></dl>"
    body = SIDEBAR + own if where == "before" else own + SIDEBAR
    rec = read(body)
    assert rec["commission"] == "30% recurring" and rec["cookie"] == "60 days"
    assert rec["network"] is None  # the page states no network; the widget's "Awin" is another program's


def test_widget_of_cards_without_a_heading_is_known_by_its_links_and_content_outside_main_is_ignored():
    cards = "".join(f"<div><a href='/p/o{i}/'>Other {i}</a><span>Commission:</span> <span>9{i}%</span></div>" for i in range(3))
    html = (f"<html><body><div class='side'><dl><dt>Category</dt><dd>Dating</dd></dl></div>"
            f"<main class='content'><h1>Acme</h1><p>Cookie: 60 days</p>{cards}</main></body></html>")
    rec = LayoutReader(SPEC).read(soup_of(html), URL).record
    assert rec["commission"] is None and rec["cookie"] == "60 days" and rec["category"] is None


def test_link_fields_take_the_href_and_a_renamed_main_falls_back_to_the_body():
    html = ("<html><body><div class='sc-1'><h1>Acme</h1><dl><dt>Website</dt><dd><a href='https://acme.example/aff'>"
            "Visit</a></dd><dt>Commission</dt><dd>20%</dd></dl></div></body></html>")
    read_ = LayoutReader(SPEC).read(soup_of(html), URL)
    assert read_.region == "body" and read_.record["website"] == "https://acme.example/aff"
    assert read_.record["commission"] == "20%"


def test_selectors_win_and_site_labels_extend_the_vocabulary():
    spec = SiteSpec(kind="t", list_path="/", detail_pattern=r"/p/", main=("main",),
                    fields=(FieldSpec("commission", labels=("Bounty Paid",)), FieldSpec("network", selectors=(".net",))))
    html = "<html><body><main><h1>A</h1><span class='net'>Impact</span><p>Bounty Paid: $40</p></main></body></html>"
    rec = LayoutReader(spec).read(soup_of(html), URL).record
    assert rec["network"] == "Impact" and rec["commission"] == "$40"


def test_reader_pickles_and_structural_pairs_beat_loose_text():
    body = "<dl><dt>Commission</dt><dd>30% recurring</dd><dt>Cookie</dt><dd>60 days</dd></dl><p>Commission: 5% on renewals</p>"
    assert read(body)["commission"] == "30% recurring"
    clone = pickle.loads(pickle.dumps(LayoutReader(SPEC)))
    assert clone.match_label("Cookie Window") == ("cookie", 201)
