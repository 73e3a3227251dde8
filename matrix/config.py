"""Settings: `ray_config.yaml` plus `MATRIX_*` environment overrides, validated at start.

Why one module: every capability reads its knobs from the same file so a user tunes the whole
system in one place, and a bad value fails loudly before any work starts instead of deep inside
a Ray worker. Environment variables override the file so a test, a container or a RayJob can
change one value without editing YAML:

    MATRIX_HOME=/data/matrix                 -> home
    MATRIX_SERVE__PORT=8100                  -> serve.port  (double underscore = nesting)
    MATRIX_RAY__ADDRESS=ray://head:10001     -> ray.address

Values from the environment are parsed as YAML scalars, so `8100`, `true` and `[a, b]` work.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "MATRIX_"
CONFIG_ENV = "MATRIX_CONFIG"
DEFAULT_HOME = Path("~/.matrix")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = REPO_ROOT / "ray_config.yaml"


class ConfigError(ValueError):
    """Raised when configuration is invalid; the message names field, value and what is allowed."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RaySettings(_Section):
    """Where Ray runs. `address: local` starts a private cluster under MATRIX_HOME/ray."""

    address: str = "local"
    num_cpus: int | None = Field(default=None, ge=1)
    include_dashboard: bool = False
    dashboard_port: int = Field(default=8265, ge=1, le=65535)
    namespace: str = "affiliate-matrix"


class IndexSettings(_Section):
    """The LanceDB master index. `uri` may be a path (relative to MATRIX_HOME) or s3://, gs://..."""

    uri: str = "index"
    programs_table: str = "programs"
    listings_table: str = "listings"
    embeddings_table: str = "embedding_cache"
    read_consistency_interval_s: float = Field(default=0.0, ge=0)
    vector_index_min_rows: int = Field(default=5000, ge=256)


class RateLimit(_Section):
    requests_per_second: float = Field(default=1.0, gt=0)
    burst: int = Field(default=2, ge=1)
    max_concurrency: int = Field(default=2, ge=1)


class SourceSettings(_Section):
    """One configured source. `kind` picks the implementation in matrix.sources."""

    name: str
    kind: str
    enabled: bool = True
    url: str | None = None
    path: str | None = None
    max_pages: int | None = Field(default=None, ge=1)
    render_js: bool = False
    rate_limit: RateLimit | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c in "-_" for c in v):
            raise ValueError("must be letters, digits, '-' or '_'")
        return v


class CrawlSettings(_Section):
    user_agent: str = "AffiliateMatrixBot/0.1 (+https://github.com/affiliate-matrix; polite crawler)"
    timeout_s: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    max_redirects: int = Field(default=5, ge=0)
    max_body_bytes: int = Field(default=5_000_000, ge=1024)
    respect_robots: bool = True
    default_rate_limit: RateLimit = Field(default_factory=RateLimit)
    browser_executable: str = "/usr/bin/chromium"
    browser_contexts: int = Field(default=2, ge=1)
    http_cache: bool = True


class EmbedSettings(_Section):
    model: str = "all-MiniLM-L6-v2"
    batch_size: int = Field(default=64, ge=1)
    dim: int = Field(default=384, ge=1)
    actors: int = Field(default=1, ge=1)
    device: str = "cpu"


class ServeSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(default=2, ge=1)
    target_ongoing_requests: float = Field(default=8, gt=0)
    max_ongoing_requests: int = Field(default=32, ge=1)
    max_queued_requests: int = Field(default=64, ge=-1)
    replica_cpus: float = Field(default=0.25, gt=0)
    max_page_size: int = Field(default=100, ge=1)
    max_query_length: int = Field(default=256, ge=1)
    cors_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8000"])
    public_search: bool = True
    rate_limit_per_minute: int = Field(default=600, ge=1)
    cache_ttl_s: float = Field(default=300, ge=0)
    cache_max_entries: int = Field(default=2048, ge=0)
    redis_url: str | None = None


class KeysSettings(_Section):
    backend: Literal["auto", "vault", "local"] = "auto"
    vault_addr: str | None = None
    vault_mount: str = "secret"
    vault_prefix: str = "affiliate-matrix"
    vault_auth: Literal["token", "approle", "kubernetes"] = "token"
    vault_role: str | None = None
    vault_namespace: str | None = None
    local_file: str = "keys/credentials.enc"
    key_file: str = "keys/master.key"
    audit_log: str = "keys/audit.jsonl"
    warn_before_days: int = Field(default=14, ge=0)
    rotation_grace_s: float = Field(default=3600, ge=0)


class ResolveSettings(_Section):
    source_trust: list[str] = Field(
        default_factory=lambda: ["awin", "cj", "impact", "rakuten", "tune", "everflow", "openaffiliate"]
    )
    threshold: float | None = Field(default=None, ge=0, le=1)
    neighbours: int = Field(default=10, ge=1)


class BudgetSettings(_Section):
    base_currency: str = "USD"
    tune_samples: int = Field(default=32, ge=1)
    seed: int = 0


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_logs: bool | None = None  # None: JSON when stderr is not a TTY
    metrics_port: int | None = Field(default=None, ge=1, le=65535)


class Settings(_Section):
    """The whole configuration. Build it with `load_settings()`."""

    home: Path = DEFAULT_HOME
    ray: RaySettings = Field(default_factory=RaySettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    sources: list[SourceSettings] = Field(default_factory=list)
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    keys: KeysSettings = Field(default_factory=KeysSettings)
    resolve: ResolveSettings = Field(default_factory=ResolveSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, v: list[SourceSettings]) -> list[SourceSettings]:
        names = [s.name for s in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return v

    # Paths ---------------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        """A path under MATRIX_HOME (created on demand by callers that write)."""
        return self.home.expanduser().resolve().joinpath(*parts)

    @property
    def index_uri(self) -> str:
        """Absolute index location: object-store URIs pass through, relative paths go under home."""
        uri = self.index.uri
        if "://" in uri:
            return uri
        p = Path(uri).expanduser()
        return str(p if p.is_absolute() else self.path(uri))

    def source(self, name: str) -> SourceSettings:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(f"sources: no source named {name!r}; configured: {[s.name for s in self.sources]}")

    def enabled_sources(self) -> list[SourceSettings]:
        return [s for s in self.sources if s.enabled]


def _parse_env_value(raw: str) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def _apply_env(data: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    for key, raw in sorted(environ.items()):
        if not key.startswith(ENV_PREFIX) or key == CONFIG_ENV:
            continue
        path = key[len(ENV_PREFIX):].lower().split("__")
        if not all(path):
            continue
        if path[0] not in Settings.model_fields:
            continue  # other MATRIX_* variables (e.g. secrets for keys) are not settings
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = raw if path == ["home"] else _parse_env_value(raw)
    return data


def _format_error(err: ValidationError, data: dict[str, Any]) -> str:
    lines = ["invalid configuration:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        value = e.get("input")
        allowed = ""
        ctx = e.get("ctx") or {}
        if "expected" in ctx:
            allowed = f" (allowed: {ctx['expected']})"
        elif e["type"] == "extra_forbidden":
            parent: Any = Settings
            allowed = " (unknown field)"
        elif ctx:
            allowed = " (" + ", ".join(f"{k} {v}" for k, v in ctx.items() if k != "error") + ")"
        lines.append(f"  {loc} = {value!r}: {e['msg']}{allowed}")
    return "\n".join(lines)


def load_settings(
    path: str | Path | None = None,
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Read YAML (explicit path, $MATRIX_CONFIG, or the repo's ray_config.yaml), apply env, validate."""
    environ = dict(os.environ if environ is None else environ)
    cfg_path = Path(path or environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE).expanduser()
    data: dict[str, Any] = {}
    if cfg_path.exists():
        try:
            loaded = yaml.safe_load(cfg_path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{cfg_path}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{cfg_path}: top level must be a mapping, got {type(loaded).__name__}")
        data = loaded
    elif path is not None or CONFIG_ENV in environ:
        raise ConfigError(f"config file {cfg_path} does not exist")
    data = _apply_env(data, environ)
    for key, value in (overrides or {}).items():
        data[key] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, data)) from None
