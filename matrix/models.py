"""The data model: one definition in pydantic; Arrow schemas are derived from it, never hand-kept.

Contracts (see DESIGN.md):
- A `Listing` is one program as one source saw it, keyed by `(source, source_id)`.
- A `Program` is the canonical record, keyed by a stable `program_id`.
- Unknown is a value: every term a source may not publish is `None` (or an `UNKNOWN` enum
  member), never 0 or "". Normalizers must not guess.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import json
import types
import typing
from typing import Any, Union, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

UTC = dt.timezone.utc


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class CommissionModel(str, enum.Enum):
    PERCENT = "percent"
    FLAT = "flat"
    HYBRID = "hybrid"
    UNKNOWN = "unknown"


class PayoutType(str, enum.Enum):
    CPS = "cps"
    CPA = "cpa"
    CPL = "cpl"
    CPC = "cpc"
    CPI = "cpi"
    CPM = "cpm"
    REVSHARE = "revshare"
    UNKNOWN = "unknown"


class Approval(str, enum.Enum):
    AUTO = "auto"
    MANUAL = "manual"
    INVITE = "invite"
    UNKNOWN = "unknown"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True)


class Commission(_Model):
    """Commission terms. Percent values are in percent units (30.0 means 30 %)."""

    model: CommissionModel = CommissionModel.UNKNOWN
    percent_min: float | None = None
    percent_max: float | None = None
    flat_min: float | None = None
    flat_max: float | None = None
    currency: str | None = None  # ISO 4217
    payout_type: PayoutType = PayoutType.UNKNOWN
    recurring: bool | None = None
    lifetime: bool | None = None
    duration_months: int | None = None
    raw: str | None = None

    @property
    def best_percent(self) -> float | None:
        return self.percent_max if self.percent_max is not None else self.percent_min


class PayoutTerms(_Model):
    minimum: float | None = None
    currency: str | None = None
    frequency: str | None = None  # weekly, biweekly, monthly, net-30 ...
    methods: list[str] = Field(default_factory=list)
    raw: str | None = None


class Listing(_Model):
    """One program as one source published it: raw fields as found plus normalized fields."""

    source: str
    source_id: str
    url: str | None = None
    fetched_at: dt.datetime = Field(default_factory=utcnow)
    name: str
    aliases: list[str] = Field(default_factory=list)
    merchant_url: str | None = None
    merchant_domain: str | None = None
    network: str | None = None
    category: str | None = None  # from matrix.normalize taxonomy
    categories: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    commission: Commission = Field(default_factory=Commission)
    cookie_days: float | None = None  # 0.0 = session cookie; None = unknown
    payout: PayoutTerms = Field(default_factory=PayoutTerms)
    geo_allowed: list[str] = Field(default_factory=list)  # ISO 3166-1 alpha-2; empty = unknown
    geo_excluded: list[str] = Field(default_factory=list)
    approval: Approval = Approval.UNKNOWN
    epc: float | None = None
    restrictions: list[str] = Field(default_factory=list)
    signup_url: str | None = None
    last_verified: dt.datetime | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict)
    program_id: str | None = None
    content_hash: str | None = None

    @field_validator("source", "source_id", "name")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        v = v.strip() if isinstance(v, str) else v
        if not v:
            raise ValueError("must not be blank")
        return v

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"

    def compute_hash(self) -> str:
        """Hash of what the source published (not of when we saw it), so re-crawls compare equal."""
        payload = self.model_dump(
            mode="json",
            exclude={"fetched_at", "first_seen", "last_seen", "content_hash", "program_id"},
        )
        return stable_hash(payload)


class FieldSource(_Model):
    """Where one field's value in a Program came from."""

    source: str
    source_id: str
    fetched_at: dt.datetime | None = None
    rule: str = "only"  # why this value won: only, trust, recency, agreement, known-beats-unknown


class Program(_Model):
    """The canonical record in the master index."""

    program_id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    merchant_domain: str | None = None
    url: str | None = None
    signup_url: str | None = None
    networks: list[str] = Field(default_factory=list)
    category: str | None = None
    categories: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    commission: Commission = Field(default_factory=Commission)
    cookie_days: float | None = None
    payout: PayoutTerms = Field(default_factory=PayoutTerms)
    geo_allowed: list[str] = Field(default_factory=list)
    geo_excluded: list[str] = Field(default_factory=list)
    approval: Approval = Approval.UNKNOWN
    epc: float | None = None
    restrictions: list[str] = Field(default_factory=list)
    description: str | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    last_verified: dt.datetime | None = None
    listing_keys: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    provenance: dict[str, FieldSource] = Field(default_factory=dict)
    quality: float | None = None
    content_hash: str | None = None

    def search_text(self) -> str:
        """What full-text and embedding search see: names, categories, tags and description."""
        parts = [self.name, *self.aliases, self.category or "", *self.categories, *self.tags,
                 self.merchant_domain or "", self.description or ""]
        return " \n".join(p for p in parts if p)

    def compute_hash(self) -> str:
        """Hash of the record's content; when we last saw a source is bookkeeping, not content."""
        payload = self.model_dump(mode="json", exclude={"content_hash", "last_seen"})
        for prov in payload.get("provenance", {}).values():
            prov.pop("fetched_at", None)
        return stable_hash(payload)


def stable_hash(payload: Any) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


# --- Arrow schema derivation ----------------------------------------------------------------
# dict-typed fields (raw payloads, provenance) are stored as JSON strings: LanceDB handles
# strings everywhere, while maps with nested structs do not survive every operation.

_SCALARS: dict[Any, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
    dt.datetime: pa.timestamp("us", tz="UTC"),
    dt.date: pa.date32(),
}


def _unwrap_optional(tp: Any) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        raise TypeError(f"unsupported union {tp}")
    return tp


def arrow_type(tp: Any) -> pa.DataType:
    tp = _unwrap_optional(tp)
    if tp in _SCALARS:
        return _SCALARS[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return pa.string()
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return pa.struct([pa.field(n, arrow_type(f.annotation)) for n, f in tp.model_fields.items()])
    origin = get_origin(tp)
    if origin is list:
        (item,) = get_args(tp)
        return pa.list_(arrow_type(item))
    if origin is dict or tp is dict:
        return pa.string()
    raise TypeError(f"no Arrow type for {tp!r}")


def arrow_schema(model: type[BaseModel], extra: list[pa.Field] | None = None) -> pa.Schema:
    hints = typing.get_type_hints(model)
    fields = [pa.field(name, arrow_type(hints[name])) for name in model.model_fields]
    return pa.schema(fields + list(extra or []))


@functools.cache  # get_type_hints is slow; to_row/from_row call this once per row
def _dict_fields(model: type[BaseModel]) -> tuple[str, ...]:
    hints = typing.get_type_hints(model)
    out = []
    for name in model.model_fields:
        tp = _unwrap_optional(hints[name])
        if get_origin(tp) is dict or tp is dict:
            out.append(name)
    return tuple(out)


def to_row(obj: BaseModel) -> dict[str, Any]:
    """A model instance as a dict that matches `arrow_schema(type(obj))`."""
    row = obj.model_dump(mode="python")
    for name in _dict_fields(type(obj)):
        row[name] = json.dumps(obj.model_dump(mode="json")[name], sort_keys=True)
    return _enums_to_str(row)


def _enums_to_str(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _enums_to_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_enums_to_str(v) for v in value]
    return value


def from_row(model: type[BaseModel], row: dict[str, Any]) -> Any:
    """Inverse of `to_row`; extra columns (vector, search text, scores) are ignored."""
    data = {k: v for k, v in row.items() if k in model.model_fields}
    for name in _dict_fields(model):
        if isinstance(data.get(name), str):
            data[name] = json.loads(data[name])
    return model.model_validate(data)


LISTING_SCHEMA = arrow_schema(Listing)
PROGRAM_SCHEMA = arrow_schema(Program)


class PerformanceRow(_Model):
    """One day of one program's performance as a network (or ad platform) reports it.

    Produced by the network clients' reports; consumed by budgeting's importer.
    Money fields are in `currency`; counts are absolute, never rates.
    """

    date: dt.date
    network: str
    account: str | None = None
    program_source_id: str  # the network's advertiser / offer / campaign id
    program_name: str | None = None
    program_id: str | None = None  # master-index id when known
    clicks: int | None = None
    conversions: float | None = None
    commission: float | None = None  # what the publisher earned
    revenue: float | None = None  # sale value reported by the advertiser
    currency: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)


PERFORMANCE_SCHEMA = arrow_schema(PerformanceRow)
