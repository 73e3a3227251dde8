"""The one async interface every network client implements.

    async with build_client("awin", settings, provider) as client:
        programs = await client.programs()             # advertisers + the user's relationship
        terms = await client.program("1001")           # one program's full terms
        offers = await client.offers()                 # where the network has offers
        rows = await client.performance(start, end)    # PerformanceRow per program per day
        listing = client.to_listing(programs[0])       # -> matrix.models.Listing

Paged endpoints are async generators of pages (`iter_programs`, `iter_offers`) so a caller can
stream; the list methods collect them and, when a page fails, attach what was collected to the
error's `.partial`. Credentials are read through the key-manager contract only, at request time,
so a rotated key is picked up without rebuilding the client.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections import defaultdict
from typing import Any, AsyncIterator, ClassVar, Iterable, Sequence, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from matrix.config import ConfigError, NetworkSettings, Settings
from matrix.http import ClientSession
from matrix.keys.types import CredentialError, CredentialProvider, CredentialRef, Secret
from matrix.models import Listing, PerformanceRow
from matrix.networks.errors import MalformedResponse, NetworkCredentialError, NetworkError, NotSupported
from matrix.networks.http import ApiTransport, AuthRejected, Response
from matrix.observability import get_logger

log = get_logger("matrix.networks")
R = TypeVar("R", bound="ApiRecord")


class ApiRecord(BaseModel):
    """A validated record. Fields the network documents are typed; anything else it sends is kept
    (pydantic extras) and the untouched payload stays in `.raw` for the Listing."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def raw(self) -> dict[str, Any]:
        return self._raw

    @classmethod
    def from_raw(cls: type[R], raw: Any, network: str, endpoint: str) -> R:
        if not isinstance(raw, dict):
            raise MalformedResponse(network, endpoint, f"expected an object per record, got {type(raw).__name__}")
        try:
            rec = cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            problem = f"record does not match the documented shape: {where}: {first['msg']}"
            raise MalformedResponse(network, endpoint, problem) from None
        rec._raw = raw
        return rec


def parse_records(model: type[R], items: Iterable[Any], network: str, endpoint: str, done: list[Any] | None = None) -> list[R]:
    """Validate a page; on the first bad record raise with the page's good records as `.partial`."""
    out: list[R] = []
    for i, item in enumerate(items):
        try:
            out.append(model.from_raw(item, network, endpoint))
        except MalformedResponse as exc:
            exc.partial = list(done or []) + out
            exc.args = (f"{exc.args[0]} (record {i})",)
            raise
    return out


def as_bool(value: Any) -> bool | None:
    """Networks send booleans as true/"true"/"True"/1; anything else is unknown."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no"}:
        return False
    return None


def as_float(value: Any) -> float | None:
    """'1.23' -> 1.23; 'N/A', '', None -> None (unknown, never 0)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        return None


def aggregate_performance(network: str, account: str | None, events: Iterable[dict[str, Any]]) -> list[PerformanceRow]:
    """Sum per-event rows (transactions/actions) into one PerformanceRow per program per day.

    Each event: date, program_source_id, program_name, clicks, conversions, commission, revenue,
    currency. A metric stays None only when no event reported it."""
    groups: dict[tuple[dt.date, str, str | None], dict[str, Any]] = defaultdict(dict)
    for ev in events:
        key = (ev["date"], str(ev["program_source_id"]), ev.get("currency"))
        g = groups[key]
        g.setdefault("program_name", ev.get("program_name"))
        g.setdefault("n", 0)
        g["n"] += 1
        for metric in ("clicks", "conversions", "commission", "revenue"):
            v = ev.get(metric)
            if v is not None:
                g[metric] = (g.get(metric) or 0) + v
    rows = []
    for (day, pid, cur), g in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")):
        rows.append(PerformanceRow(
            date=day, network=network, account=account, program_source_id=pid, program_name=g.get("program_name"),
            clicks=int(g["clicks"]) if g.get("clicks") is not None else None, conversions=g.get("conversions"),
            commission=round(g["commission"], 6) if g.get("commission") is not None else None,
            revenue=round(g["revenue"], 6) if g.get("revenue") is not None else None,
            currency=cur, raw={"events": g["n"]},
        ))
    return rows


class _OverrideProvider:
    """Serves a candidate secret for one ref (rotation's health check) and never marks anything
    unhealthy: a rejected *candidate* says nothing about the active key."""

    def __init__(self, inner: CredentialProvider, ref: CredentialRef, secret: Secret) -> None:
        self.inner, self.ref, self.secret = inner, ref, secret

    def get(self, ref: CredentialRef) -> Secret:
        return self.secret if ref == self.ref else self.inner.get(ref)

    def mark_unhealthy(self, ref: CredentialRef, reason: str) -> None:
        log.info("candidate credential rejected", extra={"ref": str(ref), "reason": reason})


class NetworkClient(abc.ABC):
    """Base class: credentials, the shared transport, error mapping and the collect helpers."""

    name: ClassVar[str]
    credential_kinds: ClassVar[tuple[str, ...]]
    probe_kind: ClassVar[str]  # the credential kind a health check is usually asked about
    has_offers: ClassVar[bool] = False

    def __init__(self, settings: Settings, provider: CredentialProvider, *, account: str | None = None,
                 transport: ApiTransport | None = None, session: ClientSession | None = None) -> None:
        self.settings = settings
        self.cfg: NetworkSettings = settings.networks.get(self.name)
        self.provider = provider
        self.account = account or self.cfg.account
        if not self.cfg.base_url:
            raise ConfigError(f"networks.{self.name}.base_url = None: set the API base URL for {self.name}")
        self.base_url = self.cfg.base_url.rstrip("/")
        self.transport = transport or ApiTransport(self.name, self.cfg, session=session)
        self._seen_secrets: set[str] = set()
        self.validate_config()

    def scrub(self, text: str) -> str:
        """Error texts quote response bodies, and some APIs echo the request (TUNE echoes api_key):
        never let a secret we sent come back out in an exception or a log line."""
        for value in self._seen_secrets:
            text = text.replace(value, "****")
        return text

    def validate_config(self) -> None:
        """Network-specific limits (page sizes ...); raise ConfigError naming the field."""
        return None  # an optional hook: most networks have nothing extra to check

    # credentials --------------------------------------------------------------------------
    def ref(self, kind: str) -> CredentialRef:
        return CredentialRef(self.name, self.account, kind)

    def secret(self, kind: str, endpoint: str = "credentials") -> str:
        ref = self.ref(kind)
        try:
            value = self.provider.get(ref).reveal()
            if len(value) >= 4:
                self._seen_secrets.add(value)
            return value
        except NetworkCredentialError:
            raise
        except CredentialError as exc:
            raise NetworkCredentialError(self.name, endpoint, f"credential {ref} unavailable: {exc}", refs=(ref,)) from None

    def auth_refs(self) -> tuple[CredentialRef, ...]:
        """The credentials a 401/403 implicates (marked unhealthy)."""
        return tuple(self.ref(k) for k in self.credential_kinds)

    async def call(self, method: str, url: str, *, endpoint: str, **kw: Any) -> Response:
        try:
            return await self.transport.request(method, url, endpoint=endpoint, **kw)
        except AuthRejected as exc:
            raise self.rejected(endpoint, exc) from None
        except NetworkError as exc:
            exc.args = (self.scrub(str(exc)),)
            exc.detail = self.scrub(exc.detail)
            raise

    def rejected(self, endpoint: str, exc: AuthRejected) -> NetworkCredentialError:
        """Mark the implicated keys unhealthy (once) and build the error to raise."""
        refs = self.auth_refs()
        reason = f"{self.name} {endpoint} answered HTTP {exc.status}"
        for ref in refs:
            self.provider.mark_unhealthy(ref, reason)
        return NetworkCredentialError(self.name, endpoint, f"credential rejected (HTTP {exc.status}): {self.scrub(exc.excerpt)}",
                                      refs=refs, status=exc.status)

    def reject(self, endpoint: str, message: str) -> NetworkCredentialError:
        """For networks that report bad keys inside a 200 body (TUNE, CJ): same handling as 401."""
        refs = self.auth_refs()
        for ref in refs:
            self.provider.mark_unhealthy(ref, self.scrub(f"{self.name} {endpoint}: {message}"))
        return NetworkCredentialError(self.name, endpoint, f"credential rejected: {self.scrub(message)}", refs=refs)

    def json(self, resp: Response, endpoint: str) -> Any:
        import json

        try:
            return json.loads(resp.text)
        except json.JSONDecodeError as exc:
            problem = f"body is not valid JSON ({exc.msg} at char {exc.pos} of {len(resp.text)})"
            raise MalformedResponse(self.name, endpoint, problem) from None

    def url(self, path: str, base: str | None = None) -> str:
        return f"{(base or self.base_url).rstrip('/')}/{path.lstrip('/')}"

    def pages_left(self, page_no: int) -> bool:
        """`max_pages` caps a pull (tests, first look at a huge network)."""
        return self.cfg.max_pages is None or page_no <= self.cfg.max_pages

    # lifecycle ----------------------------------------------------------------------------
    async def __aenter__(self) -> "NetworkClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

    # the interface --------------------------------------------------------------------------
    @abc.abstractmethod
    def iter_programs(self, relationship: str | None = None) -> AsyncIterator[Sequence[ApiRecord]]:
        """Pages of programs/advertisers with the user's relationship status."""

    @abc.abstractmethod
    async def program(self, program_id: str) -> ApiRecord:
        """One program's full terms."""

    def iter_offers(self) -> AsyncIterator[Sequence[ApiRecord]]:
        raise NotSupported(self.name, "offers", f"{self.name} has no offers endpoint")

    @abc.abstractmethod
    async def performance(self, start: dt.date, end: dt.date) -> list[PerformanceRow]:
        """Clicks, conversions, commission and revenue per program per day, start..end inclusive."""

    @classmethod
    @abc.abstractmethod
    def to_listing(cls, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        """Pure: one raw program record (as in `ApiRecord.raw`) -> Listing. No I/O, picklable."""

    async def probe(self) -> None:
        """The cheapest authenticated call; raises NetworkCredentialError when rejected."""
        async for _ in self.iter_programs():
            return

    async def check_credential(self, ref: CredentialRef, secret: Secret) -> bool:
        """HealthCheck for key rotation: does `secret` (a candidate for `ref`) work?

        False for a rejection; a transport failure (network down, 5xx after retries) raises
        NetworkError, because "could not tell" must not promote or condemn a key."""
        # A fresh transport: rotation runs this on its own event loop, where this client's session
        # (bound to the loop that made it) cannot be used.
        client = type(self)(self.settings, _OverrideProvider(self.provider, ref, secret), account=ref.account,
                            transport=ApiTransport(self.name, self.cfg))
        try:
            await client.probe()
        except NetworkCredentialError:
            return False
        finally:
            await client.aclose()
        return True

    # collectors ------------------------------------------------------------------------------
    async def programs(self, relationship: str | None = None) -> list[ApiRecord]:
        return await collect(self.iter_programs(relationship))

    async def offers(self) -> list[ApiRecord]:
        return await collect(self.iter_offers())

    async def listings(self, relationship: str | None = None) -> list[Listing]:
        fetched = dt.datetime.now(dt.timezone.utc)
        return [self.to_listing(r.raw, fetched) for r in await self.programs(relationship)]


async def collect(pages: AsyncIterator[Sequence[Any]]) -> list[Any]:
    """All pages; on failure the error's `.partial` holds every record fetched before it."""
    out: list[Any] = []
    try:
        async for page in pages:
            out.extend(page)
    except (NetworkError, NetworkCredentialError) as exc:
        exc.partial = out + exc.partial
        raise
    return out


def date_windows(start: dt.date, end: dt.date, days: int) -> list[tuple[dt.date, dt.date]]:
    """Split start..end (inclusive) into windows of at most `days` days (Awin caps at 31)."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    out, cur = [], start
    while cur <= end:
        stop = min(end, cur + dt.timedelta(days=days - 1))
        out.append((cur, stop))
        cur = stop + dt.timedelta(days=1)
    return out
