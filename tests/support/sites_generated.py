"""A generated Odigger-structured directory of any size, for tests and benchmarks that need
hundreds or thousands of pages (the hand-written fixture sites hold a handful each).

List pages `/offers?page=N` link `PER_LIST` detail pages `/offer/o<i>` (rel=next pagination);
each detail page carries the label rows the Odigger scraper reads. Content is a pure function
of (host, i), so a re-crawl sees identical bodies (ETags match -> 304) unless a test changes
`version` for some pages.
"""

from __future__ import annotations

from typing import Callable

PER_LIST = 50
GEOS = ["US", "US, CA, UK", "Worldwide except RU", "DE, AT, CH", "United States", "UAE, SA"]
CATS = ["Sweepstakes", "Nutra", "Finance", "Mobile Apps", "Dating", "Gambling", "Web Hosting", "VPN"]
PAYOUTS = ["$2.10", "$38.00", "40% RevShare", "Up to $150 CPA", "€12 per lead", "$1.80 CPI"]
ROBOTS = "User-agent: *\nDisallow: /admin/\n"


def detail_html(host: int, i: int, version: int = 0) -> str:
    extra = f" Updated terms v{version}." if version else ""
    return f"""<!DOCTYPE html><html><head><meta charset="UTF-8"><title>Offer {i}</title></head><body>
<nav class="navbar"><a href="/">oDigger</a><a href="/offers">Offers</a></nav><main class="container">
<div class="offer-page"><div class="row"><div class="col-lg-8"><h1 class="offer-title">Offer {host}-{i} Program</h1>
<div class="offer-description"><p>Generated offer number {i} on host {host}. Converts well on mobile.{extra}</p>
<p>No incent. Allowed traffic: Email, Social.</p></div></div>
<div class="col-lg-4"><div class="card offer-details"><div class="card-body">
<div class="detail-row"><span class="label">Payout:</span> <span class="value">{PAYOUTS[i % len(PAYOUTS)]}</span></div>
<div class="detail-row"><span class="label">Payout Type:</span> <span class="value">{"CPL" if i % 2 else "CPA"}</span></div>
<div class="detail-row"><span class="label">Category:</span> <span class="value">{CATS[i % len(CATS)]}</span></div>
<div class="detail-row"><span class="label">Countries:</span> <span class="value">{GEOS[i % len(GEOS)]}</span></div>
<div class="detail-row"><span class="label">Network:</span> <span class="value">Network {i % 17}</span></div>
<div class="detail-row"><span class="label">EPC:</span> <span class="value">${(i % 90) / 100:.2f}</span></div>
<a class="btn preview-link" href="https://merchant{i}.example.com/landing">Preview</a>
</div></div></div></div></div></main></body></html>"""


def list_html(page: int, pages: int, per_host: int) -> str:
    start = (page - 1) * PER_LIST
    cards = "".join(f'<div class="card offer-card"><h3 class="card-title"><a href="/offer/o{i}">Offer {i}</a></h3></div>'
                    for i in range(start, min(start + PER_LIST, per_host)))
    nxt = f'<a class="page-link" rel="next" href="/offers?page={page + 1}">Next</a>' if page < pages else ""
    return f"<!DOCTYPE html><html><body><main><h1>Offers</h1><div class='offers-list'>{cards}</div><ul class='pagination'>{nxt}</ul></main></body></html>"


def odigger_like(n_details: int, host: int = 0,
                 versions: dict[int, int] | None = None) -> Callable[[str, str], tuple[bytes, str] | None]:
    """A `Site(generator=...)` callback serving `n_details` offers (see module docstring)."""
    pages = max(1, -(-n_details // PER_LIST))
    versions = versions if versions is not None else {}

    def generate(path: str, query: str) -> tuple[bytes, str] | None:
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return ROBOTS.encode(), "text/plain; charset=utf-8"
        if path == "/offers":
            page = int(query.split("=", 1)[1]) if query.startswith("page=") and query[5:].isdigit() else 1
            return (list_html(page, pages, n_details).encode(), html) if 1 <= page <= pages else None
        if path.startswith("/offer/o") and path[len("/offer/o"):].isdigit():
            i = int(path[len("/offer/o"):])
            return (detail_html(host, i, versions.get(i, 0)).encode(), html) if i < n_details else None
        return None

    return generate
