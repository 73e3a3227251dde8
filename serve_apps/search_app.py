"""The search service on Ray Serve: an Ingress (FastAPI: web page + API) in front of a Searcher.

    serve deploy serve_apps/serve_config.yaml          # committed config (serve build, host 127.0.0.1)
    matrix serve                                       # the CLI calls deploy(settings)

Why two deployments: the Searcher holds the heavy state (LanceDB connection, caches, the query
embedder, batched with @serve.batch so concurrent vector queries share one forward pass) and
scales on its own; the Ingress is light (validation, auth, rate limit, static files) and sheds
load early. Both autoscale between `serve.replicas` and `serve.max_replicas` on
`target_ongoing_requests`; `max_queued_requests` makes an overloaded service answer 503 (with
Retry-After, `backpressure_config`) at once instead of hanging, the Ingress's admission gate
(serve_apps/security.py) keeps the accepted requests' latency bounded, and `request_timeout_s`
bounds every request. The Searcher loads the embedding model in its constructor, so a replica
is routed to only once it can answer; its health check fails when the index cannot be read, so
Serve replaces the replica. A Searcher that dies or restarts under a request becomes one
transparent retry (every Searcher call is a read), then 503 + Retry-After, never a 500.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from ray import serve
from ray.exceptions import RayActorError
from ray.serve.exceptions import BackPressureError, DeploymentUnavailableError, ReplicaUnavailableError
from ray.serve.handle import DeploymentHandle

from jobs.ray_metrics import install as install_ray_metrics
from matrix.config import Settings, load_settings
from matrix.index import SearchRequest
from matrix.observability import get_logger, setup_logging
from serve_apps.api import LocalBackend, create_app
from serve_apps.security import KeyManagerVerifier, ServiceUnavailable
from serve_apps.service import SearchService

log = get_logger(__name__)
APP_NAME = "matrix-search"
EMBED_BATCH_SIZE = 16
EMBED_BATCH_WAIT_S = 0.005
WARMUP_TEXT = "affiliate program warm-up"
# What a dead, restarting or full Searcher looks like from the Ingress: retried once, then 503.
REPLICA_GONE = (RayActorError, ReplicaUnavailableError)
OVERLOADED = (BackPressureError, DeploymentUnavailableError)


def _settings(settings_json: str) -> Settings:
    settings = Settings.model_validate_json(settings_json)
    setup_logging(settings.logging.level, settings.logging.json_logs)
    return settings


@serve.deployment(name="Searcher")
class Searcher(LocalBackend):
    """Holds the index, caches and query embedder of one replica."""

    def __init__(self, settings_json: str) -> None:
        from matrix.embed import Embedder

        self.settings = _settings(settings_json)
        install_ray_metrics()  # this replica's counters reach Prometheus through Ray's agent
        self.service = SearchService(self.settings)
        # Load and run the model now: Serve routes to a replica only after its constructor
        # returns, so a new replica never makes its first callers wait for the model.
        e = self.settings.embed
        self._embedder: Any = Embedder(e.model, e.device, e.batch_size)
        self._embed_many([WARMUP_TEXT])
        log.info("searcher replica ready", extra={"model": e.model})

    def _embed_many(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in v] for v in self._embedder.embed(texts)]

    @serve.batch(max_batch_size=EMBED_BATCH_SIZE, batch_wait_timeout_s=EMBED_BATCH_WAIT_S)
    async def embed(self, texts: list[str]) -> list[list[float]]:
        """Concurrent vector/hybrid queries are embedded together in one model call."""
        return await asyncio.to_thread(self._embed_many, texts)

    async def search(self, req: SearchRequest) -> dict[str, Any]:
        hit = await asyncio.to_thread(self.service.cached, req)
        if hit is not None:
            return hit
        vec = None
        if req.mode in ("vector", "hybrid") and req.q.strip():
            vec = await asyncio.to_thread(self.service.embed_cached, req.q)
            if vec is None:
                vec = await self.embed(req.q)
                await asyncio.to_thread(self.service.remember_embedding, req.q, vec)
        return await asyncio.to_thread(self.service.search, req, vec, lookup=False)

    # program / facets / stats / health / optimize: inherited from LocalBackend (same service calls)

    async def metrics(self) -> str | None:
        from prometheus_client import generate_latest

        return generate_latest().decode()

    def check_health(self) -> None:
        """Serve's periodic probe: raising marks this replica unhealthy and gets it replaced."""
        if self._embedder is None:
            raise RuntimeError("embedding model not loaded")
        self.service.check_health()


class HandleBackend:
    """The API's backend when it runs in the Ingress: every call goes to a Searcher replica.

    Failures of the replica itself (killed, crashed, draining) are not the caller's fault and not
    a bug: the call is retried once (another or the restarted replica answers), then it becomes
    `ServiceUnavailable` (503 + Retry-After). A full Searcher queue is 503 at once. Errors raised
    by the search code itself pass through unchanged.
    """

    def __init__(self, handle: DeploymentHandle, retries: int = 1) -> None:
        self.handle = handle
        self.retries = retries

    async def _call(self, method: str, *args: Any) -> Any:
        for attempt in range(self.retries + 1):
            try:
                return await getattr(self.handle, method).remote(*args)
            except OVERLOADED as exc:
                raise ServiceUnavailable(f"search backend busy ({type(exc).__name__})") from None
            except REPLICA_GONE as exc:
                log.warning("searcher replica unavailable", extra={"method": method, "attempt": attempt + 1,
                                                                   "error": type(exc).__name__})
        raise ServiceUnavailable("search replica restarting")

    async def search(self, req: SearchRequest) -> dict[str, Any]:
        return await self._call("search", req)

    async def program(self, program_id: str) -> dict[str, Any] | None:
        return await self._call("program", program_id)

    async def facets(self) -> dict[str, Any]:
        return await self._call("facets")

    async def stats(self) -> dict[str, Any]:
        return await self._call("stats")

    async def health(self) -> dict[str, Any]:
        try:
            return await self._call("health")
        except ServiceUnavailable as exc:
            return {"status": "unavailable", "detail": exc.reason}

    async def optimize(self, dry_run: bool) -> dict[str, Any]:
        return await self._call("optimize", dry_run)

    async def metrics(self) -> str | None:
        return await self._call("metrics")


@serve.deployment(name="Ingress")
@serve.ingress()
class Ingress:
    """FastAPI ingress: web page, API, validation, API keys, per-client rate limit, CORS."""

    def __init__(self, searcher: DeploymentHandle, settings_json: str) -> None:
        self.settings = _settings(settings_json)
        install_ray_metrics()  # HTTP status counters (5xx, 503 shedding) from every ingress replica
        self.searcher = searcher

    def __serve_build_asgi_app__(self):
        return create_app(self.settings, HandleBackend(self.searcher), KeyManagerVerifier(self.settings))


def deployment_options(settings: Settings) -> dict[str, Any]:
    """Serve options shared by both deployments, all from `settings.serve`.

    `backpressure_config` makes Serve's own rejections (a full `max_queued_requests`) carry
    `Retry-After` like the Ingress's. The latency bound itself comes from the Ingress's admission
    gate (`serve.admission_*`): it holds at most `admission_concurrency` Searcher calls per Ingress
    replica and refuses what cannot start within `admission_wait_s`.
    """
    cfg = settings.serve
    return {
        "backpressure_config": {"status_code": 503, "retry_after_s": cfg.retry_after_s},
        "ray_actor_options": {"num_cpus": cfg.replica_cpus},
        "autoscaling_config": {
            "min_replicas": cfg.replicas,
            "initial_replicas": cfg.replicas,
            "max_replicas": max(cfg.replicas, cfg.max_replicas),
            "target_ongoing_requests": cfg.target_ongoing_requests,
        },
        "max_ongoing_requests": cfg.max_ongoing_requests,
        "max_queued_requests": cfg.max_queued_requests,
        "health_check_period_s": 10.0,
        "health_check_timeout_s": 30.0,
    }


def build_app(settings: Settings) -> serve.Application:
    """Bind Ingress -> Searcher with options from settings (settings travel as JSON)."""
    settings_json = settings.model_dump_json()
    opts = deployment_options(settings)
    # mypy ignores class decorators: @serve.deployment turned both classes into Deployments
    searcher = cast(serve.Deployment, Searcher).options(**opts).bind(settings_json)
    return cast(serve.Deployment, Ingress).options(**opts).bind(searcher, settings_json)


def app_builder(args: dict[str, Any]) -> serve.Application:
    """Import path for Serve configs (`serve_apps.search_app:app_builder`).

    `args` (all optional): `config` = path of a ray_config.yaml, `home` = MATRIX_HOME override.
    """
    args = dict(args or {})
    overrides = {"home": args["home"]} if args.get("home") else None
    return build_app(load_settings(args.get("config"), overrides=overrides))


def deploy(settings: Settings, *, blocking: bool = False) -> str:
    """Start Serve HTTP on settings.serve.host:port in the current (or configured) Ray cluster; return the URL."""
    import ray

    if not ray.is_initialized():
        from jobs.common import connect_ray

        connect_ray(settings)
    cfg = settings.serve
    serve.start(http_options={"host": cfg.host, "port": cfg.port, "request_timeout_s": cfg.request_timeout_s})
    serve.run(build_app(settings), name=APP_NAME, route_prefix="/", blocking=False)
    url = f"http://{cfg.host}:{cfg.port}"
    log.info("search service deployed", extra={"url": url})
    if blocking:  # pragma: no cover - interactive use
        import time

        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            serve.delete(APP_NAME)
    return url


def __getattr__(name: str) -> Any:
    """`serve_apps.search_app:app` — the Application on default settings, built on first access.

    Lazy so importing this module (tests, the CLI) never reads configuration; `serve build
    serve_apps.search_app:app` needs an Application object, while deployed configs use
    `app_builder` so `args` can point at another config file or MATRIX_HOME.
    """
    if name == "app":
        return app_builder({})
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
