"""Entity resolution: field specs, blocking, scoring, clustering, survivorship (plain Python).

Entry points: `resolve_listings` (affiliate listings -> Programs, incremental) and
`resolve_records` (any records described by a `ResolveSpec`, used by `matrix resolve`).
"""

from matrix.resolve.engine import Resolution, resolve_records
from matrix.resolve.listings import LISTING_SPEC, ResolveResult, listing_text, program_text, program_vectors, resolve_listings
from matrix.resolve.spec import FieldSpec, FileSpec, ResolveSpec, load_spec, parse_spec

__all__ = ["FieldSpec", "FileSpec", "LISTING_SPEC", "Resolution", "ResolveResult", "ResolveSpec", "listing_text",
           "load_spec", "parse_spec", "program_text", "program_vectors", "resolve_listings", "resolve_records"]
