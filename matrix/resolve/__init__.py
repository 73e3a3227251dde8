"""Entity resolution: field specs, blocking, scoring, clustering, survivorship (plain Python).

Entry points: `resolve_listings` (affiliate listings -> Programs, incremental) and
`resolve_records` (any records described by a `ResolveSpec`, used by `matrix resolve`).
Names are imported on first use (PEP 562 `__getattr__`), so importing a sub-module such as
`matrix.resolve.cli` does not load scikit-learn, RapidFuzz or numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matrix.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Resolution": "matrix.resolve.engine",
    "resolve_records": "matrix.resolve.engine",
    "LISTING_SPEC": "matrix.resolve.listings",
    "ResolveResult": "matrix.resolve.listings",
    "listing_text": "matrix.resolve.listings",
    "program_text": "matrix.resolve.listings",
    "program_vectors": "matrix.resolve.listings",
    "resolve_listings": "matrix.resolve.listings",
    "FieldSpec": "matrix.resolve.spec",
    "FileSpec": "matrix.resolve.spec",
    "ResolveSpec": "matrix.resolve.spec",
    "load_spec": "matrix.resolve.spec",
    "parse_spec": "matrix.resolve.spec",
}

if TYPE_CHECKING:
    from matrix.resolve.engine import Resolution, resolve_records
    from matrix.resolve.listings import LISTING_SPEC, ResolveResult, listing_text, program_text, program_vectors, resolve_listings
    from matrix.resolve.spec import FieldSpec, FileSpec, ResolveSpec, load_spec, parse_spec


__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["FieldSpec", "FileSpec", "LISTING_SPEC", "Resolution", "ResolveResult", "ResolveSpec", "listing_text",
           "load_spec", "parse_spec", "program_text", "program_vectors", "resolve_listings", "resolve_records"]
