"""Search-engine dorking: find affiliate programs no directory lists yet.

Query templates x niches -> a rate-limited JSON search backend (SearXNG or Brave) -> hits
filtered against the domains already in the index -> scored candidates -> `Listing`s of the
`dork` source (written as JSONL under MATRIX_HOME; `kind: dork` ingests them like any source).
"""

from matrix.dorking.backends import BraveBackend, DorkBackend, DorkBackendError, SearxngBackend, build_backend  # noqa: F401
from matrix.dorking.queries import DorkQuery, expand  # noqa: F401
from matrix.dorking.runner import Candidate, DorkReport, DorkRunner, write_candidates  # noqa: F401
from matrix.dorking.scoring import DorkHit, score_hit  # noqa: F401
