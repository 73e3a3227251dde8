"""Which search mode should the web page default to? Short queries over the bundled registry index.

    MATRIX_HOME=... python bench/search_default_mode.py [--queries vpn,email,...]

For each mode (text, vector, hybrid) and each short query: how many programs it returns, and how
many of its top 10 mention the query word (or a listed synonym) in name, description, category or
tags: a rough precision proxy that needs no gold labels. Prints a table and per-mode totals.
"""

from __future__ import annotations

import argparse
import statistics
import time

QUERIES = {
    "vpn": ["vpn", "privacy", "proxy"], "email": ["email", "newsletter", "mail"], "crm": ["crm", "sales", "customer"],
    "hosting": ["hosting", "host", "server", "wordpress"], "seo": ["seo", "search engine", "ranking", "keyword"],
    "payroll": ["payroll", "hr", "salary", "employee"], "password": ["password", "security", "login"],
    "video": ["video"], "invoice": ["invoice", "billing", "accounting"], "chatbot": ["chatbot", "chat", "bot", "ai"],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=10)
    args = ap.parse_args()
    from matrix.config import load_settings
    from matrix.embed import Embedder
    from matrix.index import MasterIndex, SearchRequest, search

    settings = load_settings()
    index = MasterIndex(settings)
    emb = Embedder(settings.embed.model)
    embed = lambda q: emb.embed([q])[0]  # noqa: E731
    rows = {}
    for mode in ("text", "vector", "hybrid"):
        for q, words in QUERIES.items():
            t = time.perf_counter()
            res = search(index, SearchRequest(q=q, mode=mode, limit=args.limit), embed_query=embed)
            ms = (time.perf_counter() - t) * 1000
            rel = sum(any(w in " ".join([h["name"] or "", h["description"] or "", h["category"] or "",
                                         " ".join(h.get("categories") or [])]).lower() for w in words)
                      for h in res.hits)
            rows[(mode, q)] = (res.total, len(res.hits), rel, ms)
    print(f"{'query':10s}" + "".join(f"{m:>26s}" for m in ("text", "vector", "hybrid")))
    print(f"{'':10s}" + "   total shown on-topic@10" * 3)
    for q in QUERIES:
        print(f"{q:10s}" + "".join(f"{rows[(m, q)][0]:>8d}{rows[(m, q)][1]:>6d}{rows[(m, q)][2]:>12d}"
                                   for m in ("text", "vector", "hybrid")))
    for m in ("text", "vector", "hybrid"):
        vals = [rows[(m, q)] for q in QUERIES]
        print(f"{m:7s} queries with <3 results: {sum(v[0] < 3 for v in vals)}; on-topic in top 10: "
              f"{sum(v[2] for v in vals)}/{sum(v[1] for v in vals)}; median {statistics.median(v[3] for v in vals):.0f} ms")


if __name__ == "__main__":
    main()
