"""A private, throw-away PostgreSQL 15 cluster for the search benchmark's full-text baseline.

Started under a temp dir on 127.0.0.1 and a free port, as `nobody` when we are root (initdb
refuses root), and always stopped afterwards. Everything that can fail raises `PgUnavailable`
so the benchmark can print why it skipped the comparison instead of crashing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence
from matrix.ports import free_port

PG_BIN = Path(os.environ.get("MATRIX_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PgUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    return free_port()


class PrivatePostgres:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mx-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_nobody = os.geteuid() == 0
        self.started = False

    def _run(self, args: Sequence[str], timeout: float = 120) -> None:
        cmd = list(args)
        if self.as_nobody:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if res.returncode != 0:
            raise PgUnavailable(f"{' '.join(args[:2])} failed: {(res.stderr or res.stdout).strip()[-400:]}")

    def start(self) -> "PrivatePostgres":
        if not (PG_BIN / "initdb").exists():
            raise PgUnavailable(f"no PostgreSQL binaries at {PG_BIN}")
        if self.as_nobody:
            os.chmod(self.dir, 0o777)
            shutil.chown(self.dir, user="nobody")
        try:
            self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                       "--no-sync", "-E", "UTF8", "--locale=C"])
            opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=256MB"
            self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"),
                       "-w", "-t", "60", "start"])
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgUnavailable(str(exc)) from exc
        self.started = True
        return self

    def connect(self):
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - bench extra missing
            raise PgUnavailable("psycopg is not installed (pip install 'psycopg[binary]')") from exc
        deadline = time.time() + 30
        while True:
            try:
                return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                                       autocommit=True)
            except Exception as exc:
                if time.time() > deadline:
                    raise PgUnavailable(f"cannot connect: {exc}") from exc
                time.sleep(0.3)

    def stop(self) -> None:
        if self.started:
            try:
                self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], timeout=60)
            except Exception:
                pass
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PrivatePostgres":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


SCHEMA = """
CREATE TABLE programs (
  program_id text PRIMARY KEY, search_text text, category text, networks text[],
  commission_percent float8, cookie_days float8, geo_allowed text[], approval text, last_verified timestamptz,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(search_text, ''))) STORED
);
"""
INDEXES = [
    "CREATE INDEX programs_tsv ON programs USING GIN (tsv)",
    "CREATE INDEX programs_networks ON programs USING GIN (networks)",
    "CREATE INDEX programs_geo ON programs USING GIN (geo_allowed)",
    "CREATE INDEX programs_category ON programs (category)",
    "CREATE INDEX programs_cookie ON programs (cookie_days)",
    "CREATE INDEX programs_commission ON programs (commission_percent)",
    "ANALYZE programs",
]


def load(conn, rows: list[tuple]) -> float:
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(SCHEMA)
        with cur.copy("COPY programs (program_id, search_text, category, networks, commission_percent, cookie_days, "
                      "geo_allowed, approval, last_verified) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
        for stmt in INDEXES:
            cur.execute(stmt)
    return time.perf_counter() - t0


def tsquery(q: str) -> str:
    """OR of the words, like LanceDB's default full-text match."""
    words = ["".join(ch for ch in w if ch.isalnum()) for w in q.split()]
    return " | ".join(w for w in words if w) or "nothing"


def sql_for(filters) -> tuple[str, list[Any]]:
    parts, params = [], []
    if filters.networks:
        parts.append("networks && %s::text[]")
        params.append(list(filters.networks))
    if filters.categories:
        parts.append("category = ANY(%s)")
        params.append(list(filters.categories))
    if filters.min_commission_percent is not None:
        parts.append("commission_percent >= %s")
        params.append(filters.min_commission_percent)
    if filters.min_cookie_days is not None:
        parts.append("cookie_days >= %s")
        params.append(filters.min_cookie_days)
    if filters.countries:
        parts.append("geo_allowed && %s::text[]")
        params.append([c.upper() for c in filters.countries])
    if filters.approval:
        parts.append("approval = ANY(%s)")
        params.append(list(filters.approval))
    if filters.verified_since:
        parts.append("last_verified >= %s::timestamptz")
        params.append(filters.verified_since)
    return ("AND " + " AND ".join(parts)) if parts else "", params


def text_query(conn, q: str, filters, limit: int = 10) -> tuple[list[str], int]:
    """Top hits by ts_rank plus the total match count, in one statement (what a results page needs)."""
    where, params = sql_for(filters)
    sql = (f"SELECT program_id, count(*) OVER () FROM programs, to_tsquery('english', %s) query "
           f"WHERE tsv @@ query {where} ORDER BY ts_rank(tsv, query) DESC, program_id LIMIT %s")
    with conn.cursor() as cur:
        cur.execute(sql, [tsquery(q), *params, limit])
        rows = cur.fetchall()
    return [r[0] for r in rows], (rows[0][1] if rows else 0)
