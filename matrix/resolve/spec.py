"""The field spec: what each column means to the matcher, so one engine serves any CSV.

Why a spec and not our schema: the same blocking/scoring/clustering must run on affiliate
listings, on a user's restaurant list and on patent assignees. The spec says which columns are
names, free text, URLs, categories, numbers or identifiers, how much each matters, and how each
input file is read (id column, separator, encoding). Invalid specs fail with the field, the value
and what is allowed, before any work starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from matrix.config import ConfigError

FieldType = Literal["name", "text", "url-domain", "categorical", "number", "identifier",
                    "organisation", "person", "address", "phone", "date", "list"]
FIELD_TYPES: tuple[str, ...] = ("name", "text", "url-domain", "categorical", "number", "identifier",
                                "organisation", "person", "address", "phone", "date", "list")
# What a record is called: embedded and used as lexical/exact blocking keys by default.
NAME_TYPES = ("name", "organisation", "person")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldSpec(_Spec):
    """One compared field. `column` defaults to `name`; `weight` scales its evidence (0 = ignore)."""

    name: str
    type: FieldType
    column: str | None = None
    weight: float = Field(default=1.0, ge=0)
    embed: bool | None = None  # part of the embedded text; default: name and text fields
    block: bool | None = None  # used as an exact blocking key; default: name, url-domain, identifier
    # url-domain / identifier: most of the match class allowed to disagree on this field (the
    # prior that one entity rarely has two values); url-domain defaults to 0.01, identifier to none
    max_mismatch: float | None = Field(default=None, gt=0, lt=1)
    # clustering (mode many): records with different known values are never one entity, even
    # through records whose value is unknown (e.g. one program = one registered domain)
    exclusive: bool = False
    # phone: ISO country for numbers written without '+' (default: the country most of them are valid in)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    # list: item separator (default: the first of '**', ';', '|', ',', '/' found in the column)
    sep: str | None = Field(default=None, min_length=1)

    @property
    def source_column(self) -> str:
        return self.column or self.name

    @property
    def embedded(self) -> bool:
        return self.embed if self.embed is not None else self.type in NAME_TYPES

    @property
    def blocking_key(self) -> bool:
        return self.block if self.block is not None else self.type in NAME_TYPES + ("url-domain", "identifier", "phone")


class FileSpec(_Spec):
    """How to read one input file. `columns` renames file columns to spec field columns; a field
    mapped to null is one this file does not have (unknown on every one of its records), so a
    column only one source carries (a director here, a writer there) can still be a field."""

    id: str = "id"
    sep: str = ","
    encoding: str = "utf-8"
    columns: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("sep")
    @classmethod
    def _one_char(cls, v: str) -> str:
        if v in ("\\t", "tab"):
            return "\t"
        if len(v) != 1:
            raise ValueError("must be one character (e.g. ',', '|', ';', '#', 'tab')")
        return v


class ResolveSpec(_Spec):
    fields: list[FieldSpec]
    files: dict[str, FileSpec] = Field(default_factory=dict)  # by file name; "default" for the rest
    mode: Literal["auto", "one-to-one", "many"] = "auto"
    threshold: float | None = Field(default=None, gt=0, lt=1)
    neighbours: int | None = Field(default=None, ge=1, le=200)
    embeddings: bool = True
    max_key_group: int = Field(default=8, ge=2)
    # linkage: match each record at most once. None = only when neither table has internal
    # duplicates (checked on the data); true/false force it
    one_to_one: bool | None = None

    @field_validator("fields")
    @classmethod
    def _fields_ok(cls, v: list[FieldSpec]) -> list[FieldSpec]:
        if not v:
            raise ValueError("at least one field is required")
        names = [f.name for f in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"field names must be unique; repeated: {dupes}")
        if not any(f.weight > 0 for f in v):
            raise ValueError("at least one field needs weight > 0")
        return v

    def exclusive_values(self, values: dict[str, list]) -> list | None:
        """Per record, the tuple of its exclusive fields' values (None when any is unknown)."""
        cols = [f.name for f in self.fields if f.exclusive and f.weight > 0]
        if not cols:
            return None
        n = len(values[cols[0]])
        return [None if any(values[c][i] is None for c in cols) else tuple(values[c][i] for c in cols) for i in range(n)]

    def file(self, name: str) -> FileSpec:
        return self.files.get(name) or self.files.get(Path(name).name) or self.files.get("default") or FileSpec()

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _format(err: ValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid resolve spec:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        ctx = e.get("ctx") or {}
        allowed = ""
        if "expected" in ctx:
            allowed = f" (allowed: {ctx['expected']})"
        elif e["type"] == "extra_forbidden":
            allowed = " (unknown key)"
        lines.append(f"  {loc} = {e.get('input')!r}: {e['msg']}{allowed}")
    return "\n".join(lines)


def parse_spec(data: Any, origin: str = "spec") -> ResolveSpec:
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: a resolve spec must be a mapping with a 'fields' list, got {type(data).__name__}")
    try:
        return ResolveSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(exc, origin)) from None


def load_spec(path: str | Path) -> ResolveSpec:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"resolve spec {p} does not exist")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    return parse_spec(data, str(p))
