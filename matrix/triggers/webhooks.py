"""Webhook signing, verification and the one function that sends them.

Signature scheme (Stripe/Svix style): the sender signs `f"{timestamp}.{body}"` with HMAC-SHA256 and
sends
    X-Matrix-Event-Id:   the action's idempotency key (the same on every retry)
    X-Matrix-Timestamp:  unix seconds when this attempt was signed
    X-Matrix-Signature:  t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
A receiver recomputes the HMAC over the raw body, compares in constant time and rejects a
timestamp more than `tolerance_s` (5 minutes) away from its clock, so a captured request cannot be
replayed later; it drops event ids it has already processed (delivery is at-least-once).
`verify_signature` below is the reference implementation (docs/triggers.md shows a standalone
copy, which a test executes).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Mapping

EVENT_ID_HEADER = "X-Matrix-Event-Id"
TIMESTAMP_HEADER = "X-Matrix-Timestamp"
SIGNATURE_HEADER = "X-Matrix-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_TOLERANCE_S = 300


class SignatureError(ValueError):
    pass


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """hex HMAC-SHA256 of `<timestamp>.<body>`."""
    return hmac.new(secret.encode(), str(int(timestamp)).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={int(timestamp)},v1={signature(secret, timestamp, body)}"


def verify_signature(secret: str, headers: Mapping[str, str], body: bytes, tolerance_s: float = DEFAULT_TOLERANCE_S,
                     now: float | None = None) -> str:
    """Check a received webhook; returns its event id, or raises SignatureError saying why."""
    lower = {k.lower(): v for k, v in headers.items()}
    raw = lower.get(SIGNATURE_HEADER.lower())
    if not raw:
        raise SignatureError("no signature header")
    fields: dict[str, list[str]] = {}
    for part in raw.split(","):
        k, _, v = part.strip().partition("=")
        fields.setdefault(k, []).append(v)
    try:
        ts = int(fields["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("signature header has no timestamp") from None
    if abs((time.time() if now is None else now) - ts) > tolerance_s:
        raise SignatureError("timestamp outside the tolerance (replayed or clock skew)")
    expected = signature(secret, ts, body)
    if not any(hmac.compare_digest(expected, v) for v in fields.get("v1", [])):
        raise SignatureError("signature mismatch")
    return lower.get(EVENT_ID_HEADER.lower(), "")


@dataclass
class Response:
    status_code: int | None  # None: no HTTP answer (network error, timeout) or a redirect
    text: str = ""
    error: str | None = None  # matrix.http's reason: connect_error, timeout, too_many_redirects, http_404...


@dataclass
class _Unthrottled:
    """Webhooks are paced by the outbox (one delivery per action), not by a crawl bucket."""

    requests_per_second: float = 100.0
    burst: int = 100
    max_concurrency: int = 8


def post(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> Response:
    """The single place a webhook leaves the process, through the shared HTTP layer (matrix.http):
    one attempt (the outbox owns retries), no redirects followed (max_redirects=0), no robots.txt
    (a webhook is not a crawl), a small response cap. Never raises for HTTP or network problems."""
    from matrix.http import HttpOptions, fetch_sync
    from matrix.ratelimit import RetryPolicy

    opts = HttpOptions(user_agent=headers.get("User-Agent", "AffiliateMatrixBot/0.1"), timeout_s=timeout_s,
                       max_body_bytes=65_536, max_redirects=0, respect_robots=False)
    resp = fetch_sync(url, opts, _Unthrottled(), retry=RetryPolicy(max_retries=0), method="POST", data=body,
                      headers=dict(headers), use_cache=False)
    if resp.error is None:
        return Response(resp.status, (resp.text or "")[:200])
    if resp.error in ("too_many_redirects", "bad_redirect", "redirect_loop"):
        return Response(None, "", "redirect")
    return Response(resp.status, (resp.detail or "")[:200], resp.error)
