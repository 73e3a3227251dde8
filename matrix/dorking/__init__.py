"""Search-engine dorking: find affiliate programs no directory lists yet.

Query templates x niches -> a rate-limited JSON search backend (SearXNG or Brave) -> hits
filtered against the domains already in the index -> scored candidates -> `Listing`s of the
`dork` source (written as JSONL under MATRIX_HOME; `kind: dork` ingests them like any source).
"""

from matrix.dorking.backends import BraveBackend, DorkBackend, DorkBackendError, SearxngBackend, build_backend
from matrix.dorking.queries import DorkQuery, expand
from matrix.dorking.runner import Candidate, DorkReport, DorkRunner, write_candidates
from matrix.dorking.scoring import DorkHit, score_hit

__all__ = ["BraveBackend", "Candidate", "DorkBackend", "DorkBackendError", "DorkHit", "DorkQuery", "DorkReport", "DorkRunner",
           "SearxngBackend", "build_backend", "expand", "score_hit", "write_candidates"]
