"""Redesigned versions of the directory fixture pages, the way real sites get redesigned.

Written before (and independently of) the extractor it tests: every operation below is something
directory sites do when they change theme or framework, not something a particular parser
handles. One *variant* is one redesign (a seed) applied to every fixture page of a source, as a
site redesign applies to all its pages:

- framework change: every class and id renamed to hashed names (CSS modules / styled-components);
- new layout of the details block: definition list, row table (th|td or td|td), column table (a
  header row of labels over one row of values), value-first stat cards, label/value span rows,
  "Label: value" lines split by <br>, "Label – value" list items, <b>Label:</b> inline items,
  label in a data attribute (responsive tables), label and value in data attributes;
- wording: each label may become a synonym real directories use ("Cookie Life", "Min. Payout",
  "Payment Options", "Target Countries", "Earnings", "Reward" ...), upper case, trailing colon;
- tooltips and icons inside labels (Font Awesome <i>, "?" bubbles with hidden help text, ⓘ);
- reordered fields; extra wrapper divs around the block and around each pair;
- a "similar programs" / "related offers" sidebar or widget holding other programs' values under
  the same labels, before or after the details, inside or outside the main container;
- description moved above the details.

Truth comes from the original fixture pages (their label/value pairs, `TRUTH_LABELS`), never
from the extractor. Seeds: dev = range(0, N); held-out = range(10_000, 10_000 + N), run only to
report.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

SITES = Path(__file__).resolve().parent.parent / "tests" / "support" / "sites"

# The fixture pages' own labels -> the field they state (hand-labelled truth).
TRUTH_LABELS: dict[str, str] = {
    "Commission": "commission", "Commission Rate": "commission", "Payout": "commission",
    "Cookie Duration": "cookie", "Cookie Length": "cookie", "Cookie": "cookie",
    "Payout Methods": "payout_methods", "Payment Methods": "payout_methods",
    "Minimum Payout": "payout_minimum", "Payment Frequency": "payout_frequency", "Payout Frequency": "payout_frequency",
    "Countries": "geo", "Geo": "geo", "Category": "category", "Vertical": "category", "Network": "network",
    "Approval": "approval", "Website": "website", "Payout Type": "payout_type", "EPC": "epc",
    "Type": "payout_type", "GEO": "geo", "Categories": "category",
    "Allowed Traffic": "traffic_allowed", "Restricted Traffic": "traffic_restricted",
}

# Wordings real directories and offer sites use for the same field.
SYNONYMS: dict[str, list[str]] = {
    "commission": ["Commission", "Commission Rate", "Commissions", "Affiliate Commission", "Payout", "Earnings",
                   "Commission Structure", "Revenue Share", "Reward", "You Earn", "Commission Amount",
                   "Referral Commission", "Rate"],
    "cookie": ["Cookie Duration", "Cookie Life", "Cookie Length", "Cookie Window", "Cookie", "Cookie Period",
               "Tracking Period", "Cookie Lifetime", "Referral Period", "Cookie Days", "Tracking Duration",
               "Attribution Window", "Cookie Expiry"],
    "payout_methods": ["Payout Methods", "Payment Methods", "Payment Options", "Payout Options", "Paid Via",
                       "Payment Method", "Withdrawal Methods", "How You Get Paid"],
    "payout_minimum": ["Minimum Payout", "Min. Payout", "Payout Threshold", "Minimum Payment", "Payment Threshold",
                       "Min Payout", "Minimum Withdrawal", "Threshold"],
    "payout_frequency": ["Payment Frequency", "Payout Frequency", "Payout Schedule", "Payment Schedule",
                         "Payment Terms", "Paid", "Payment Cycle"],
    "geo": ["Countries", "Target Countries", "GEO", "Geos", "Accepted Countries", "Regions", "Allowed Countries",
            "Geo Targeting", "Markets", "Available In", "Locations"],
    "category": ["Category", "Categories", "Vertical", "Niche", "Industry", "Program Category"],
    "network": ["Network", "Affiliate Network", "Network Name", "Platform", "Tracking Platform", "Managed On"],
    "website": ["Website", "Homepage", "URL", "Site", "Program URL", "Official Website"],
    "approval": ["Approval", "Approval Type", "Approval Process", "Approval Time", "Application"],
    "payout_type": ["Payout Type", "Type", "Commission Type", "Conversion Type", "Offer Type", "Pricing Model"],
    "epc": ["EPC", "Avg. EPC", "Earnings Per Click", "Average EPC", "EPC (7 days)"],
    "traffic_allowed": ["Allowed Traffic", "Traffic Allowed", "Accepted Traffic", "Traffic Sources",
                        "Allowed Promotion Methods"],
    "traffic_restricted": ["Restricted Traffic", "Not Allowed", "Prohibited Traffic", "Traffic Restrictions",
                           "Disallowed Traffic", "Restrictions"],
}

# Other programs' values, as a sidebar shows them (deliberately different from every fixture value).
SIDEBAR_VALUES: dict[str, list[str]] = {
    "commission": ["75% recurring", "$500 per sale", "Up to 90%"], "cookie": ["365 days", "Lifetime", "7 days"],
    "payout_methods": ["Check", "Skrill"], "payout_minimum": ["$1,000", "$5"], "payout_frequency": ["Quarterly", "Daily"],
    "geo": ["Japan", "Brazil, Mexico"], "category": ["Dating", "Pets"], "network": ["Awin", "FlexOffers"],
    "approval": ["Invite only"], "payout_type": ["CPI", "CPS"], "epc": ["$9.99"],
    "traffic_allowed": ["Push"], "traffic_restricted": ["Email"], "website": ["https://other-brand.example/"],
}

LAYOUTS = ["dl", "dl_each", "row_th", "row_td", "column_table", "value_first", "span_rows", "colon_lines",
           "dash_items", "bold_inline", "data_label_td", "data_attrs"]

SOURCES = {  # source kind -> fixture detail pages and a URL path for each (what the crawler would fetch)
    "affiliatefix": ("affiliatefix/directory/items/*/index.html", lambda p: f"/directory/items/{p.parent.name}/"),
    "affiliateprograms": ("affiliateprograms/programs/*/index.html", lambda p: f"/programs/{p.parent.name}/"),
    "odigger": ("odigger/offer/*.html", lambda p: f"/offer/{p.stem}"),
    "affplus": ("", None),      # rendered from the API records (RENDERED)
    "offervault": ("", None),
}
OTHER_DETAIL = {"affiliatefix": "/directory/items/{slug}.{n}/", "affiliateprograms": "/programs/{slug}/",
                "odigger": "/offer/{slug}", "affplus": "/o/{n}-{slug}", "offervault": "/offer/{n}/{slug}"}
# Single-page apps: their fixture detail pages are the DOM their scripts render from the fixture
# API records (the same templates as tests/support/sites/<site>/static/*.js).
RENDERED = ("affplus", "offervault")


@dataclass
class FixturePage:
    path: str                    # URL path
    html: str
    truth: dict[str, str] = field(default_factory=dict)  # field -> original raw value text


@dataclass
class Variant:
    seed: int
    ops: list[str]
    pages: list[FixturePage]     # transformed pages (truth unchanged)
    labels: dict[str, str] = field(default_factory=dict)  # field -> the wording this redesign uses


def _esc(v: object) -> str:
    import html as _html

    return _html.escape("" if v is None else str(v))


def rendered_pages(kind: str) -> list[tuple[str, str]]:
    """(URL path, rendered DOM) of a single-page app's detail pages."""
    import json

    out = []
    if kind == "affplus":
        def stat(label: str, value: object) -> str:
            return f'<div class="stat"><div class="stat-label">{label}</div><div class="stat-value">{value or "-"}</div></div>'

        for p in sorted((SITES / "affplus" / "api" / "offer").glob("*.json")):
            o = json.loads(p.read_text())
            body = (f'<main class="offer-page"><h1 class="offer-title">{o["title"]}</h1><div class="stats">'
                    + stat("Payout", o.get("payout")) + stat("Type", o.get("type")) + stat("Vertical", o.get("vertical"))
                    + stat("GEO", o.get("geo")) + stat("Network", o.get("network")) + stat("EPC", o.get("epc"))
                    + f'</div><div class="offer-description">{o.get("description") or ""}</div></main>')
            out.append((f"/o/{o['id']}-{o['slug']}", f'<html><body><div id="app">{body}</div></body></html>'))
    elif kind == "offervault":
        nets = {str(n["id"]): n["name"] for n in json.loads((SITES / "offervault/api/networks.json").read_text())["networks"]}
        for p in sorted((SITES / "offervault" / "api" / "offers").glob("[0-9]*.json")):
            o = json.loads(p.read_text())
            network = o.get("network") or nets.get(str(o.get("network_id")))
            epc = "N/A" if o.get("epc") is None else f"${o['epc']}"
            body = (f'<div class="container offer-detail"><h1 class="offer-name">{_esc(o["name"])}</h1>'
                    '<table class="table offer-info"><tbody>'
                    f'<tr><th>Payout</th><td>{_esc(o.get("payout_text"))}</td></tr>'
                    f'<tr><th>Payout Type</th><td>{_esc(o.get("payout_type"))}</td></tr>'
                    f'<tr><th>Categories</th><td>{_esc(", ".join(o.get("categories") or []))}</td></tr>'
                    f'<tr><th>Countries</th><td>{_esc(", ".join(o.get("countries") or []))}</td></tr>'
                    f'<tr><th>Network</th><td>{_esc(network)}</td></tr>'
                    f'<tr><th>EPC</th><td>{_esc(epc)}</td></tr></tbody></table>'
                    f'<a class="btn preview-link" href="{_esc(o.get("preview_url"))}">Preview</a>'
                    f'<div class="offer-description">{o.get("description") or ""}</div></div>')
            out.append((f"/offer/{o['id']}/{o.get('slug', '')}", f'<html><body><div id="root">{body}</div></body></html>'))
    return out


def fixture_pages(kind: str) -> list[FixturePage]:
    if kind in RENDERED:
        docs = rendered_pages(kind)
    else:
        pattern, to_path = SOURCES[kind]
        docs = []
        for p in sorted(SITES.glob(pattern)):
            raw = p.read_bytes()
            docs.append((to_path(p), raw.decode("utf-8") if b"charset=windows-1252" not in raw[:400] else raw.decode("cp1252")))
    out = []
    for path, html in docs:
        soup = BeautifulSoup(html, "lxml")
        truth = {}
        for label, value_el in _pairs(soup):
            f = TRUTH_LABELS.get(label)
            if f:
                truth[f] = " ".join(value_el.get_text(" ", strip=True).split())
        h1 = soup.find("h1")
        if h1 is not None:
            truth["name"] = " ".join(h1.get_text(" ", strip=True).split())
        out.append(FixturePage(path, html, truth))
    return out


def _pairs(soup: BeautifulSoup) -> list[tuple[str, Tag]]:
    """The fixture's label/value pairs (dl/dt/dd, table rows, .detail-row spans / .stat blocks)."""
    out: list[tuple[str, Tag]] = []
    for dt in soup.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            out.append((_lab(dt), dd))
    for tr in soup.find_all("tr"):
        cells = tr.find_all(["th", "td"], recursive=False)
        if len(cells) == 2:
            out.append((_lab(cells[0]), cells[1]))
    for row in soup.select(".detail-row, .stat"):
        kids = [c for c in row.find_all(True, recursive=False) if c.name != "a"]
        if len(kids) >= 2:
            out.append((_lab(kids[0]), kids[1]))
    return out


def _lab(el: Tag) -> str:
    return el.get_text(" ", strip=True).rstrip(":").strip()


def _pair_elements(soup: BeautifulSoup) -> list[Tag]:
    """The elements holding one pair each (removed when the block is re-laid out)."""
    els = []
    for dt in soup.find_all("dt"):
        parent = dt.parent
        if parent.name == "dl" and len(parent.find_all("dt")) == 1:
            els.append(parent)  # XenForo: one <dl> per pair
        else:
            els.extend([dt, dt.find_next_sibling("dd")])
    for tr in soup.find_all("tr"):
        if len(tr.find_all(["th", "td"], recursive=False)) == 2:
            els.append(tr)
    els.extend(soup.select(".detail-row, .stat"))
    return [e for e in els if e is not None]


# --- rendering one details block ------------------------------------------------------------------

def _tooltip(rng: random.Random) -> str:
    return rng.choice([
        ' <i class="fa fa-info-circle" aria-hidden="true"></i>',
        ' <span class="tooltip">?<span class="tooltip-text">How long a referral is remembered after the click.</span></span>',
        ' <abbr title="More information">ⓘ</abbr>',
        ' <button type="button" class="help" aria-label="help">?</button>',
        ' <svg class="icon" width="12" height="12"><circle cx="6" cy="6" r="5"></circle></svg>',
        ' <sup>*</sup>',
    ])


def _label_html(text: str, rng: random.Random, tooltips: bool, case: str, colon: bool) -> str:
    t = text.upper() if case == "upper" else text
    t = t.replace(" ", "\u00a0", 1) if case == "nbsp" else t
    if colon:
        t += ":"
    return t + (_tooltip(rng) if tooltips else "")


def render_block(triples: list[tuple[str, str, str]], layout: str, rng: random.Random, wrap_pairs: bool) -> str:
    """(label html, value html, plain label) -> one details block in `layout`. Attributes carry
    the plain label (a template writes the field name there, not its tooltip markup)."""
    pairs = [(l, v) for l, v, _ in triples]
    plain = [p for _, _, p in triples]
    def w(h: str) -> str:
        return f'<div class="field-wrap">{h}</div>' if wrap_pairs else h

    if layout == "dl":
        return "<dl class='details'>" + "".join(f"<dt>{l}</dt><dd>{v}</dd>" for l, v in pairs) + "</dl>"
    if layout == "dl_each":
        return "<div class='fields'>" + "".join(w(f"<dl class='pair'><dt>{l}</dt><dd>{v}</dd></dl>") for l, v in pairs) + "</div>"
    if layout == "row_th":
        return "<table class='details'><tbody>" + "".join(f"<tr><th>{l}</th><td>{v}</td></tr>" for l, v in pairs) + "</tbody></table>"
    if layout == "row_td":
        return "<table class='details'>" + "".join(f"<tr><td class='k'>{l}</td><td class='v'>{v}</td></tr>" for l, v in pairs) + "</table>"
    if layout == "column_table":
        return ("<table class='details'><thead><tr>" + "".join(f"<th>{l}</th>" for l, _ in pairs) + "</tr></thead><tbody><tr>"
                + "".join(f"<td>{v}</td>" for _, v in pairs) + "</tr></tbody></table>")
    if layout == "value_first":
        return "<div class='stats'>" + "".join(w(f"<div class='stat'><div class='stat-value'><strong>{v}</strong></div>"
                                                   f"<div class='stat-caption'>{l}</div></div>") for l, v in pairs) + "</div>"
    if layout == "span_rows":
        return "<div class='rows'>" + "".join(w(f"<div class='row'><span class='k'>{l}</span> <span class='v'>{v}</span></div>")
                                              for l, v in pairs) + "</div>"
    if layout == "colon_lines":
        return "<p class='terms'>" + "<br>".join(f"{_strip_colon(l)}: {v}" for l, v in pairs) + "</p>"
    if layout == "dash_items":
        return "<ul class='terms'>" + "".join(f"<li>{_strip_colon(l)} – {v}</li>" for l, v in pairs) + "</ul>"
    if layout == "bold_inline":
        return "<ul class='terms'>" + "".join(f"<li><b>{_strip_colon(l)}:</b> {v}</li>" for l, v in pairs) + "</ul>"
    if layout == "data_label_td":
        return ("<table class='details responsive'><tr>" + "".join(f"<td data-label=\"{_plain(pl)}\">{v}</td>"
                                                                   for (l, v), pl in zip(pairs, plain)) + "</tr></table>")
    if layout == "data_attrs":
        return "<div class='facts'>" + "".join(
            f"<div class='fact' data-label=\"{_plain(pl)}\" data-value=\"{_attr(v)}\"><span>{l}</span>"
            f"<span>{v}</span></div>" for (l, v), pl in zip(pairs, plain)) + "</div>"
    raise ValueError(layout)


def _strip_colon(label_html: str) -> str:
    return re.sub(r":(\s*<|$)", r"\1", label_html, count=1)


def _plain(html: str) -> str:
    return BeautifulSoup(html, "lxml").get_text(" ", strip=True).rstrip(":").replace('"', "")


def _attr(html: str) -> str:
    return " ".join(BeautifulSoup(html, "lxml").get_text(" ", strip=True).split()).replace('"', "&quot;")


def render_sidebar(kind: str, fields: list[str], label_of: dict[str, str], rng: random.Random, style: str) -> str:
    cards = []
    for n in range(rng.randint(2, 3)):
        slug = f"other-brand-{n}"
        href = OTHER_DETAIL[kind].format(slug=slug, n=900 + n)
        rows = "".join(f"<li><span class='k'>{label_of[f]}</span> <span class='v'>{rng.choice(SIDEBAR_VALUES[f])}</span></li>"
                       for f in fields if f in SIDEBAR_VALUES)
        title = f"<a href='{href}'>Other Brand {n}</a>" if style != "heading_only" else f"<span>Other Brand {n}</span>"
        cards.append(f"<div class='card'><h4>{title}</h4><ul>{rows}</ul></div>")
    heading = {"heading_links": rng.choice(["Similar Programs", "Related Offers", "You may also like",
                                             "Top Programs in this Category", "Alternatives to this program"]),
               "links_only": "", "heading_only": rng.choice(["Similar Programs", "Related Offers"])}[style]
    h = f"<h3>{heading}</h3>" if heading else ""
    tag = rng.choice(["aside", "div", "section"])
    return f"<{tag} class='sidebar-widget'>{h}{''.join(cards)}</{tag}>"


# --- one redesign ---------------------------------------------------------------------------------

def make_variant(kind: str, seed: int, pages: list[FixturePage] | None = None) -> Variant:
    rng = random.Random(f"{kind}:{seed}")
    pages = pages if pages is not None else fixture_pages(kind)
    ops: list[str] = []
    layout = rng.choice(LAYOUTS)
    ops.append(f"layout={layout}")
    synonym_p = rng.choice([0.0, 0.3, 0.6, 1.0])
    labels: dict[str, str] = {}
    for f, syns in SYNONYMS.items():
        labels[f] = rng.choice(syns) if rng.random() < synonym_p else None  # None = keep the site's own
    if synonym_p:
        ops.append(f"synonyms={synonym_p}")
    tooltips = rng.random() < 0.35
    case = rng.choice(["as_is", "as_is", "upper", "nbsp"])
    colon = rng.random() < 0.4
    reorder = rng.random() < 0.5
    wrap_pairs = rng.random() < 0.4
    wrap_block = rng.randint(0, 3)
    rename = rng.random() < 0.5
    sidebar = rng.choice([None, None, "heading_links", "links_only", "heading_only"])
    sidebar_where = rng.choice(["before", "after", "outside"])
    desc_first = rng.random() < 0.3
    ops += [o for o, on in (("tooltips", tooltips), (f"case={case}", case != "as_is"), ("colon", colon),
                            ("reorder", reorder), ("wrap_pairs", wrap_pairs), (f"wrap_block={wrap_block}", wrap_block),
                            ("rename_classes", rename), (f"sidebar={sidebar}@{sidebar_where}", sidebar),
                            ("description_first", desc_first)) if on]
    order_key = {f: rng.random() for f in SYNONYMS}
    out = []
    for page in pages:
        soup = BeautifulSoup(page.html, "lxml")
        pair_list = []
        for lab, val in _pairs(soup):
            f = TRUTH_LABELS.get(lab)
            text = labels.get(f) or lab if f else lab
            pair_list.append((f, _label_html(text, rng, tooltips, case, colon), val.decode_contents().strip(),
                              _label_html(text, rng, False, case, False)))
        if reorder:
            pair_list.sort(key=lambda p: order_key.get(p[0] or "", 0.5))
        olds = _pair_elements(soup)
        if not olds:
            out.append(FixturePage(page.path, page.html, page.truth))
            continue
        first = olds[0]
        anchor = first.find_parent("table") if first.name == "tr" else first
        container = anchor.parent
        block = render_block([(l, v, plain) for _, l, v, plain in pair_list], layout, rng, wrap_pairs)
        for _ in range(wrap_block):
            block = f"<div class='section-inner'>{block}</div>"
        new = BeautifulSoup(block, "lxml").body
        for el in new.contents[:]:
            anchor.insert_before(el)
        for el in olds:
            if el.parent is not None:
                el.decompose()
        if anchor.name == "table" and anchor.parent is not None and not anchor.find("tr"):
            anchor.decompose()
        if sidebar:
            fields = [f for f, _, _, _ in pair_list if f]
            label_of = {f: _plain(l) for f, l, _, _ in pair_list if f}
            side = BeautifulSoup(render_sidebar(kind, fields, label_of, rng, sidebar), "lxml").body.contents[0]
            main = soup.find("main") or soup.body
            if sidebar_where == "before":
                container.insert(0, side)
            elif sidebar_where == "after":
                container.append(side)
            else:
                main.append(side)
        if desc_first:
            desc = soup.select_one(".bbWrapper, .program-description, .offer-description")
            if desc is not None and container is not None and desc not in container.parents:
                container.insert(0, desc.extract())
        if rename:
            _rename_classes(soup, seed)
        out.append(FixturePage(page.path, str(soup), page.truth))
    return Variant(seed, ops, out, {f: l for f, l in labels.items() if l})


def _rename_classes(soup: BeautifulSoup, seed: int) -> None:
    def h(name: str) -> str:
        return "sc-" + hashlib.blake2b(f"{seed}:{name}".encode(), digest_size=3).hexdigest()

    for el in soup.find_all(True):
        if el.get("class"):
            el["class"] = [h(c) for c in el["class"]]
        if el.get("id"):
            el["id"] = h(el["id"])


DEV_SEEDS = range(0, 60)
HELD_OUT_SEEDS = range(10_000, 10_060)
