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
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

ENV_PREFIX = "MATRIX_"
CONFIG_ENV = "MATRIX_CONFIG"
DEFAULT_HOME = Path("~/.matrix")
REPO_ROOT = Path(__file__).resolve().parent.parent
# Overrides only: every default lives in this module and in package data (matrix/data/defaults/),
# so an installed copy without the repository behaves exactly like a checkout.
DEFAULT_CONFIG_FILE = REPO_ROOT / "ray_config.yaml"


@lru_cache(maxsize=None)
def _packaged_yaml(name: str) -> dict[str, Any]:
    """A defaults file shipped inside the package (read through importlib.resources, so a wheel works)."""
    text = resources.files("matrix").joinpath("data", "defaults", name).read_text("utf-8")
    return yaml.safe_load(text) or {}


def packaged_sources() -> list[dict[str, Any]]:
    """The default sources (the bundled OpenAffiliate registry on, directory scrapers off)."""
    return [dict(s) for s in _packaged_yaml("sources.yaml").get("sources", [])]


def packaged_trigger_rules() -> list[dict[str, Any]]:
    return [dict(r) for r in _packaged_yaml("trigger_rules.yaml").get("rules", [])]


class ConfigError(ValueError):
    """Raised when configuration is invalid; the message names field, value and what is allowed."""


ScalarIndexColumn = Literal["program_id", "category", "commission_model", "approval", "networks", "geo_allowed",
                            "commission_percent", "cookie_days", "epc", "last_verified"]
KeyAlertState = Literal["expired", "expiring", "due", "unhealthy"]


def _unique_names(items: list[Any], what: str) -> list[Any]:
    """Named list entries (sources, rules) are addressed by name, so a repeat is ambiguous."""
    names = [i.name for i in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{what} names must be unique; repeated: {dupes}")
    return items


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RaySettings(_Section):
    """Where Ray runs. `address: local` starts a private cluster under MATRIX_HOME/ray."""

    address: str = "local"
    num_cpus: int | None = Field(default=None, ge=1)
    # On by default: it is the operator's view of the cluster, and its metrics head writes the
    # Prometheus service-discovery file (`matrix monitoring prometheus-config`). 127.0.0.1 only.
    include_dashboard: bool = True
    dashboard_port: int | None = Field(default=None, ge=1, le=65535)  # None: a free port (printed by up/serve)
    namespace: str = "affiliate-matrix"
    # Custom resources every ingest / resolve task and map_batches stage asks for, e.g.
    # {"ingest_node": 1}: pins the work to nodes started with that resource (a KubeRay worker
    # group), keeping it off the head. Empty: anywhere.
    task_resources: dict[str, float] = Field(default_factory=dict)

    @field_validator("task_resources")
    @classmethod
    def _positive_resources(cls, v: dict[str, float]) -> dict[str, float]:
        bad = sorted(k for k, x in v.items() if not x > 0)
        if bad:
            raise ValueError(f"task_resources must be positive amounts; not: {bad}")
        return v


class IndexSettings(_Section):
    """The LanceDB master index. `uri` may be a path (relative to MATRIX_HOME) or s3://, gs://..."""

    uri: str = "index"
    programs_table: str = "programs"
    listings_table: str = "listings"
    embeddings_table: str = "embedding_cache"
    read_consistency_interval_s: float = Field(default=0.0, ge=0)
    vector_index_min_rows: int = Field(default=5000, ge=256)
    # Search (matrix.index.search; see docs/index.md).
    vector_index_type: Literal["ivf_pq", "hnsw_sq"] = "ivf_pq"
    vector_nprobes: int = Field(default=20, ge=1)
    vector_refine_candidates: int = Field(default=200, ge=10)
    text_candidates: int = Field(default=5000, ge=10)
    vector_candidates: int = Field(default=100, ge=10)
    hybrid_candidates: int = Field(default=100, ge=10)
    rrf_k: int = Field(default=60, ge=1)
    facet_commission_thresholds: list[float] = Field(default_factory=lambda: list[float]([5, 10, 20, 30, 50]))
    facet_cookie_thresholds: list[float] = Field(default_factory=lambda: list[float]([1, 7, 30, 60, 90, 365]))
    facet_verified_days: list[int] = Field(default_factory=lambda: [7, 30, 90, 365])
    scalar_index_columns: list[ScalarIndexColumn] = Field(default_factory=lambda: list[ScalarIndexColumn]([
        "program_id", "category", "commission_model", "approval", "networks", "geo_allowed", "commission_percent",
        "cookie_days", "epc", "last_verified"]))


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


class IngestSettings(_Section):
    # Normalized listings per batch the ingest driver takes from the Ray Data stream and writes to
    # LanceDB: bounds the driver's memory whatever the crawl's size.
    batch_size: int = Field(default=5000, ge=1)


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
    # serve (issue 7): how stale a replica's view of the index may be; keys for admin / keyed search
    read_consistency_interval_s: float = Field(default=1.0, ge=0)
    embed_cache_entries: int = Field(default=4096, ge=0)
    admin_key_ref: str = "matrix/serve/admin_api_key"  # network/account/kind in the key manager
    search_key_ref: str = "matrix/serve/search_api_key"  # used when public_search is false
    max_offset: int = Field(default=10_000, ge=0)
    usage_flush_s: float = Field(default=5.0, gt=0)
    request_timeout_s: float = Field(default=30.0, gt=0)  # HTTP proxy gives up (503/504) instead of hanging
    # issue 12: load shedding (Ingress admission gate) and limits that cannot be dodged
    admission_concurrency: int = Field(default=4, ge=1)  # backend calls in flight per Ingress replica
    admission_wait_s: float = Field(default=0.25, ge=0)  # longest wait for a slot before 503 + Retry-After
    admission_max_waiting: int = Field(default=16, ge=0)  # waiters beyond this are shed at once
    backend_timeout_s: float = Field(default=5.0, gt=0)  # a Searcher call past this answers 503, not a hang
    retry_after_s: float = Field(default=1.0, ge=0)  # Retry-After on every 503 we send (and Serve's backpressure)
    trusted_proxies: list[str] = Field(default_factory=list)  # IPs/CIDRs whose X-Forwarded-For is believed
    auth_failures_per_minute: int = Field(default=10, ge=1)  # wrong API keys per client address before 429


class OptimizerSettings(_Section):
    """Dynamic indexing (matrix.index.optimizer): when a column earns or loses a scalar index."""

    usage_window_s: float = Field(default=7 * 86400, gt=0)  # only queries seen this recently count
    min_uses: int = Field(default=20, ge=1)  # filter/sort uses in the window before an index is built
    min_share: float = Field(default=0.01, ge=0, le=1)  # ... and at least this share of all queries
    drop_below_uses: int = Field(default=2, ge=0)  # an auto index used fewer times than this is dropped
    bitmap_max_distinct: int = Field(default=1000, ge=1)  # low-cardinality strings get a bitmap index
    reindex_min_new_rows: int = Field(default=1000, ge=1)  # unindexed rows before FTS/vector refresh
    compact_min_versions: int = Field(default=20, ge=2)
    compact_min_small_fragments: int = Field(default=8, ge=1)
    keep_versions_s: float = Field(default=3600, ge=0)  # versions newer than this survive cleanup


class KeyPolicySettings(_Section):
    """Credential-path patterns (network/account/kind, Vault glob: '+' one segment, trailing '*')."""

    read: list[str] = Field(default_factory=list)
    write: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)

    @field_validator("read", "write", "deny")
    @classmethod
    def _vault_glob(cls, v: list[str]) -> list[str]:
        import re

        for p in v:
            body = p[:-1] if p.endswith("*") else p
            if "*" in body or not re.fullmatch(r"[A-Za-z0-9_.+/-]*", body):
                raise ValueError(f"pattern {p!r}: letters, digits, '-_./', '+' per segment, '*' only at the end")
        return v


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
    vault_auth_mount: str | None = None  # None: the method's default mount (token/approle/kubernetes)
    vault_k8s_jwt_path: str = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    vault_renew_before_s: float = Field(default=300, ge=0)
    vault_timeout_s: float = Field(default=5, gt=0)
    vault_cache_file: str = "keys/vault-cache.enc"
    # Per-component overrides of matrix.keys.policy.DEFAULT_POLICIES (admin, ingest, serve, triggers, budget).
    policies: dict[str, KeyPolicySettings] = Field(default_factory=dict)


class ResolveSettings(_Section):
    source_trust: list[str] = Field(
        default_factory=lambda: ["awin", "cj", "impact", "rakuten", "tune", "everflow", "openaffiliate"]
    )
    threshold: float | None = Field(default=None, ge=0, le=1)
    neighbours: int = Field(default=10, ge=1)
    # The ingest resolves with jobs.resolve_partitioned (scoring and clustering fanned out over Ray
    # tasks) when `on`, never when `off`; `auto`: when the cluster has more than one node with CPUs
    # or more than `partition_above` listings changed. `--local` ingests always resolve in process.
    partitioned: Literal["auto", "on", "off"] = "auto"
    partition_above: int = Field(default=50_000, ge=0)

    @field_validator("partitioned", mode="before")
    @classmethod
    def _yaml_booleans(cls, v: Any) -> Any:
        return {True: "on", False: "off"}.get(v, v) if isinstance(v, bool) else v  # YAML reads on/off as booleans


class BudgetSettings(_Section):
    """Budgeting (matrix.budget, docs/budget.md). Money is reported in base_currency via fx_rates."""

    base_currency: str = "USD"
    fx_rates: dict[str, float] = Field(default_factory=dict)  # units of base_currency per unit
    csv_mapping: dict[str, str] = Field(default_factory=dict)  # performance field -> CSV header
    duplicates: Literal["error", "sum", "last"] = "error"
    on_conflict: Literal["error", "replace", "keep"] = "error"
    strategy: str = "safe"  # trust region + risk-aware + guarded (docs/budget.md); "explore" to learn
    trust_multiple: float = Field(default=2.0, gt=0)  # safe/explore: <= this x highest observed daily spend
    stale_days: int = Field(default=14, ge=1)  # no spend for this long before the data ends = stopped
    fit_window_days: int = Field(default=180, ge=7)
    half_life_days: float | None = Field(default=None, gt=0)
    min_spend: float = Field(default=0.0, ge=0)
    max_spend_multiple: float | None = Field(default=3.0, gt=0)  # cap = multiple x equal share
    max_change_fraction: float | None = Field(default=None, ge=0)
    interval: float = Field(default=0.8, gt=0, lt=1)
    forecast_horizon: int = Field(default=7, ge=1, le=90)
    tune_samples: int = Field(default=32, ge=1)
    tune_worlds: int = Field(default=4, ge=1)
    tune_campaigns: int = Field(default=10, ge=2)
    tune_days: int = Field(default=30, ge=7)
    seed: int = 0


class NetworkSettings(_Section):
    """One affiliate network API (matrix.networks). Credentials never live here: only the
    key-manager `account` they are stored under (`matrix keys put NETWORK/ACCOUNT/KIND`)."""

    enabled: bool = False
    account: str = "default"
    base_url: str | None = None
    report_url: str | None = None  # a second host where the network splits APIs (CJ commissions)
    auth_url: str | None = None  # token endpoint (Rakuten OAuth)
    requests_per_second: float = Field(default=1.0, gt=0)
    burst: int = Field(default=1, ge=1)
    max_concurrency: int = Field(default=1, ge=1)
    daily_quota: int | None = Field(default=None, ge=1)
    page_size: int = Field(default=100, ge=1)
    max_pages: int | None = Field(default=None, ge=1)
    timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    relationship: str | None = None  # network-specific filter: joined, notjoined, active ...
    fetch_details: bool = False  # one extra call per program for full terms (Awin programmedetails)
    token_refresh_margin_s: float = Field(default=60.0, ge=0)


# Each network's documented limits; a partial YAML/env entry (`awin: {enabled: true}`) is merged
# over these, so turning a network on never silently drops its base_url or rate.
NETWORK_DEFAULTS: dict[str, dict[str, Any]] = {
    "awin": {"base_url": "https://api.awin.com", "requests_per_second": 20 / 60, "relationship": "joined"},
    "cj": {"base_url": "https://advertiser-lookup.api.cj.com", "report_url": "https://commissions.api.cj.com",
           "requests_per_second": 25 / 60, "relationship": "joined"},
    "impact": {"base_url": "https://api.impact.com", "requests_per_second": 1000 / 3600, "burst": 5},
    "rakuten": {"base_url": "https://api.linksynergy.com", "auth_url": "https://api.linksynergy.com/token",
                "requests_per_second": 1.0},
    "tune": {"requests_per_second": 5.0, "burst": 5},  # base_url: https://NETWORK_ID.api.hasoffers.com
    "everflow": {"base_url": "https://api.eflow.team", "requests_per_second": 5.0, "burst": 5, "page_size": 500},
}


def _net(name: str) -> Any:
    return Field(default_factory=lambda: NetworkSettings(**NETWORK_DEFAULTS[name]))


class NetworksSettings(_Section):
    """Per-network API settings; defaults are each network's documented limits."""

    awin: NetworkSettings = _net("awin")
    cj: NetworkSettings = _net("cj")
    impact: NetworkSettings = _net("impact")
    rakuten: NetworkSettings = _net("rakuten")
    tune: NetworkSettings = _net("tune")
    everflow: NetworkSettings = _net("everflow")

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = {k: ({**NETWORK_DEFAULTS[k], **v} if k in NETWORK_DEFAULTS and isinstance(v, dict) else v)
                    for k, v in data.items()}
        return data

    def get(self, name: str) -> NetworkSettings:
        if name not in type(self).model_fields:
            raise ConfigError(f"networks: no network named {name!r}; allowed: {sorted(type(self).model_fields)}")
        return getattr(self, name)


TRIGGER_ACTIONS = ("recrawl", "dork", "rotate_key", "notify")
# Which actions make sense for which rule kind (a key alert cannot be re-crawled).
TRIGGER_KIND_ACTIONS: dict[str, tuple[str, ...]] = {
    "stale_source": ("recrawl", "notify"),
    "new_programs": ("dork", "notify"),
    "key_expiry": ("rotate_key", "notify"),
    "low_quality": ("recrawl", "notify"),
}


class TriggerRuleSettings(_Section):
    """One declarative trigger rule (matrix.triggers, docs/triggers.md); fields per `kind`."""

    name: str
    kind: Literal["stale_source", "new_programs", "key_expiry", "low_quality"]
    enabled: bool = True
    actions: list[str] = Field(default_factory=lambda: ["notify"])
    cooldown_hours: float = Field(default=24.0, ge=0)  # the same condition fires at most once per cooldown
    # stale_source / low_quality: which sources (empty = every enabled source)
    sources: list[str] = Field(default_factory=list)
    max_age_hours: float | None = Field(default=None, gt=0)  # stale_source: older last ingest fires
    # new_programs: the niche
    keywords: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    min_commission_percent: float | None = Field(default=None, ge=0)
    lookback_hours: float = Field(default=24.0, gt=0)  # first evaluation: "new" = first seen this recently
    max_results: int = Field(default=500, ge=1)
    # key_expiry
    states: list[KeyAlertState] = Field(default_factory=lambda: list[KeyAlertState](["expired", "expiring", "due", "unhealthy"]))
    networks: list[str] = Field(default_factory=list)
    # low_quality: share of a source's listings with unknown commission above which it fires
    max_unknown_share: float | None = Field(default=None, gt=0, le=1)
    min_listings: int = Field(default=20, ge=1)
    dork_niches: list[str] = Field(default_factory=list)  # dork action: niches (default: keywords)

    @field_validator("name")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c in "-_" for c in v):
            raise ValueError("must be letters, digits, '-' or '_'")
        return v

    @model_validator(mode="after")
    def _per_kind(self) -> "TriggerRuleSettings":
        allowed = TRIGGER_KIND_ACTIONS[self.kind]
        bad = [a for a in self.actions if a not in allowed]
        if bad or not self.actions:
            raise ValueError(f"actions = {self.actions!r}: a {self.kind} rule allows {list(allowed)} (at least one)")
        if self.kind == "stale_source" and self.max_age_hours is None:
            raise ValueError("max_age_hours is required for a stale_source rule (hours, > 0)")
        if self.kind == "low_quality" and self.max_unknown_share is None:
            raise ValueError("max_unknown_share is required for a low_quality rule (0 < share <= 1)")
        if self.kind == "new_programs" and not (self.keywords or self.categories or self.min_commission_percent is not None):
            raise ValueError("a new_programs rule needs a niche: keywords, categories or min_commission_percent")
        return self


class DorkingSettings(_Section):
    """Search-engine dorking (matrix.dorking): templates, the backend, politeness and scoring."""

    backend: Literal["searxng", "brave"] = "searxng"
    url: str | None = None  # searxng: e.g. http://127.0.0.1:8888 ; brave: https://api.search.brave.com
    api_key_ref: str | None = None  # key-manager ref for engines that need one (brave)
    templates: list[str] = Field(default_factory=lambda: [
        '"{niche}" "affiliate program" commission',
        'inurl:affiliate "{niche}"',
        '"become an affiliate" {niche}',
        '"{niche}" "partner program" "per sale"',
    ])
    niches: list[str] = Field(default_factory=list)  # default niches for `matrix triggers dork`
    results_per_query: int = Field(default=20, ge=1, le=100)
    max_queries: int = Field(default=40, ge=1)  # hard bound per run
    requests_per_second: float = Field(default=0.5, gt=0)
    burst: int = Field(default=1, ge=1)
    timeout_s: float = Field(default=15.0, gt=0)
    max_retries: int = Field(default=3, ge=0)
    backoff_base_s: float = Field(default=2.0, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    min_score: float = Field(default=0.35, ge=0, le=1)
    candidates_dir: str = "dorking"  # under home: candidates JSONL read by the `dork` source kind

    @field_validator("templates")
    @classmethod
    def _has_niche(cls, v: list[str]) -> list[str]:
        for t in v:
            if "{niche}" not in t:
                raise ValueError(f"template {t!r} must contain {{niche}}")
        return v


class TriggersSettings(_Section):
    """Automation (matrix.triggers): rules, the durable outbox, retries and notification targets."""

    outbox: str = "triggers/outbox.sqlite"  # under home
    max_attempts: int = Field(default=5, ge=1)
    backoff_base_s: float = Field(default=60.0, ge=0)
    backoff_max_s: float = Field(default=3600.0, ge=0)
    lease_s: float = Field(default=900.0, gt=0)  # per action, renewed while it runs; a dead holder's row is retried after it
    dispatch_batch: int = Field(default=50, ge=1)
    webhook_url: str | None = None  # notify: POST JSON here (and always log); prefer webhook_url_ref
    webhook_url_ref: str | None = None  # key-manager ref holding the webhook URL (wins over webhook_url)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_secret_ref: str | None = None  # key-manager ref; signs `timestamp.body` (X-Matrix-Signature: t=..,v1=HMAC)
    allow_private_networks: list[str] = Field(default_factory=list)  # CIDRs webhooks/dorking may reach, e.g. 127.0.0.1/32
    admin_key_ref: str = "matrix/triggers/admin_api_key"  # X-API-Key for the triggers HTTP app
    client_key_refs: list[str] = Field(default_factory=list)  # more X-API-Keys; owner of watches = the ref's last part
    confirmations: int = Field(default=2, ge=1)  # watches: a change alerts once seen in this many consecutive observations
    recrawl_timeout_s: float = Field(default=3600.0, gt=0)  # a re-crawl action waits at most this long
    interval_s: float = Field(default=900.0, gt=0)  # jobs/triggers.py --interval default
    rules: list[TriggerRuleSettings] = Field(
        default_factory=lambda: [TriggerRuleSettings.model_validate(r) for r in packaged_trigger_rules()])
    dorking: DorkingSettings = Field(default_factory=DorkingSettings)

    @field_validator("rules")
    @classmethod
    def _unique(cls, v: list[TriggerRuleSettings]) -> list[TriggerRuleSettings]:
        return _unique_names(v, "rule")

    @model_validator(mode="after")
    def _safe_targets(self) -> "TriggersSettings":
        """webhook_url and dorking.url: http(s), a host, no private/metadata literal address unless allowed."""
        from matrix.triggers.targets import UnsafeTarget, check_url

        for name, url in (("webhook_url", self.webhook_url), ("dorking.url", self.dorking.url)):
            if url is None:
                continue
            try:
                check_url(url, self.allow_private_networks, resolve=False)
            except UnsafeTarget as exc:
                raise ValueError(f"{name}: {exc}") from None
        return self


class ScoreSettings(_Section):
    """The explainable 0-100 program score (matrix.score; docs/score.md). Weights are relative:
    each known component counts `weight / sum(weights of known components)`; unknown terms lower
    the separate confidence instead. A search may override them (`weights=earnings:2,cookie:1`)."""

    weights: dict[str, float] = Field(default_factory=lambda: {
        "earnings": 4.0, "cookie": 1.5, "payout": 1.0, "epc": 1.5, "access": 1.0, "freshness": 1.0,
        "data_quality": 0.5})
    recurring_month_value: float = Field(default=0.5, ge=0, le=1)  # a later recurring month vs the first
    recurring_default_months: int = Field(default=12, ge=1)  # recurring with no stated duration
    lifetime_months: int = Field(default=24, ge=1)  # "lifetime" as a planning horizon
    max_months: int = Field(default=36, ge=1)
    group_prior: float = Field(default=3.0, ge=0)  # pseudo-programs pulling small groups' percentiles to 0.5
    cookie_full_days: float = Field(default=90.0, gt=0)  # cookie length that earns the full cookie component
    payout_minimum_half: float = Field(default=50.0, gt=0)  # payout minimum that halves its part
    epc_half: float = Field(default=0.5, gt=0)  # EPC (per click) that earns half the EPC component
    freshness_half_life_days: float = Field(default=180.0, gt=0)
    bands: list[float] = Field(default_factory=lambda: list[float]([20, 40, 60, 80]))  # score facet band edges


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_logs: bool | None = None  # None: JSON when stderr is not a TTY
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # batch jobs (ingest, triggers) push their final figures here when they end (a Pushgateway)
    pushgateway_url: str | None = None


class Settings(BaseSettings):
    """The whole configuration. Build it with `load_settings()`."""

    home: Path = DEFAULT_HOME
    ray: RaySettings = Field(default_factory=RaySettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    model_config = SettingsConfigDict(extra="forbid", validate_assignment=True, env_prefix=ENV_PREFIX,
                                      env_nested_delimiter="__", case_sensitive=False)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: Any, env_settings: Any,
                                   dotenv_settings: Any, file_secret_settings: Any) -> tuple[Any, ...]:
        """Only explicit values: `load_settings` layers package defaults, the YAML file and the
        environment itself (`_env_layer`, YAML-valued), so validation never reads os.environ twice."""
        return (init_settings,)

    sources: list[SourceSettings] = Field(
        default_factory=lambda: [SourceSettings.model_validate(s) for s in packaged_sources()])
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    keys: KeysSettings = Field(default_factory=KeysSettings)
    resolve: ResolveSettings = Field(default_factory=ResolveSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    optimizer: OptimizerSettings = Field(default_factory=OptimizerSettings)
    networks: NetworksSettings = Field(default_factory=NetworksSettings)
    triggers: TriggersSettings = Field(default_factory=TriggersSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    score: ScoreSettings = Field(default_factory=ScoreSettings)

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, v: list[SourceSettings]) -> list[SourceSettings]:
        return _unique_names(v, "source")

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


class _EnvSource(EnvSettingsSource):
    """`MATRIX_*` variables through pydantic-settings, from a given mapping, values read as YAML.

    Why a subclass: `load_settings(environ=...)` must read the mapping it is given (tests, a Ray
    worker rebuilding a driver's settings), and values keep the documented YAML syntax
    (`MATRIX_CRAWL__USER_AGENTS='[a, b]'`, `true`, `8100`); YAML reads JSON too.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = {k: v for k, v in environ.items() if k.upper() != CONFIG_ENV}
        super().__init__(Settings, case_sensitive=False, env_prefix=ENV_PREFIX, env_nested_delimiter="__")

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._environ.items()}

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        return _parse_env_value(value) if isinstance(value, str) else value


def _parse_env_value(raw: str) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """The nested settings the environment sets; nested scalar strings parsed as YAML scalars."""
    def scalars(node: Any, top: bool) -> Any:
        if isinstance(node, dict):
            return {k: (v if top and k == "home" else scalars(v, False)) for k, v in node.items()}
        return _parse_env_value(node) if isinstance(node, str) else node

    return scalars(_EnvSource(environ)(), True)


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
    data = _deep_merge(data, _env_layer(environ))
    for key, value in (overrides or {}).items():
        data[key] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, data)) from None
