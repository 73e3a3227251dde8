"""The triggers HTTP app on Ray Serve (route prefix /triggers), next to the search app.

    POST /triggers/evaluate?dry_run=false&dispatch=false   evaluate rules (and run due actions)
    POST /triggers/dispatch                                run due actions
    GET  /triggers/rules                                   rules + outbox counts
    GET  /triggers/outbox?status=&rule=&limit=             outbox rows
    GET  /triggers/healthz                                 no key needed

Every route but healthz needs `X-API-Key`, verified by the KeyManager (component `triggers`,
which may read `matrix/triggers/*`) against `triggers.admin_key_ref`; a missing key store or key
denies. One small replica: the work is I/O and the outbox is the concurrency control.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from ray import serve

from matrix.config import Settings, load_settings
from matrix.observability import counter, get_logger, setup_logging
from matrix.triggers.engine import TriggerEngine
from matrix.triggers.outbox import STATUSES
from serve_apps.security import KeyManagerVerifier

log = get_logger(__name__)
APP_NAME = "matrix-triggers"
ROUTE_PREFIX = "/triggers"
API_KEY_HEADER = "X-API-Key"
AUTH_FAILURES = counter("matrix_triggers_auth_failures_total", "Triggers API requests refused for a missing or wrong key")


def key_verifier(settings: Settings) -> KeyManagerVerifier:
    def factory() -> Any:
        from matrix.keys import KeyManager

        return KeyManager.from_settings(settings, component="triggers")
    return KeyManagerVerifier(settings, manager_factory=factory)


def create_app(settings: Settings, engine: TriggerEngine, verifier: Any) -> FastAPI:
    """The FastAPI app (plain; testable without Ray). Sync routes run in FastAPI's thread pool."""
    app = FastAPI(title="Affiliate Matrix triggers", version="1")
    ref = settings.triggers.admin_key_ref

    def require_key(request: Request) -> None:
        if not verifier.verify(ref, request.headers.get(API_KEY_HEADER)):
            AUTH_FAILURES.inc()
            raise HTTPException(401, detail=f"a valid {API_KEY_HEADER} header is required",
                                headers={"WWW-Authenticate": API_KEY_HEADER})

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "outbox": engine.outbox.counts()}

    @app.get("/rules", dependencies=[Depends(require_key)])
    def rules() -> dict[str, Any]:
        return {"rules": [r.model_dump() for r in engine.rules], "outbox": engine.outbox.counts()}

    @app.post("/evaluate", dependencies=[Depends(require_key)])
    def evaluate(dry_run: bool = False, dispatch: bool = False,
                 rule: list[str] | None = Query(default=None)) -> dict[str, Any]:
        names = {r.name for r in engine.rules}
        unknown = sorted(set(rule or []) - names)
        if unknown:
            raise HTTPException(422, detail=f"rule = {unknown}: not configured; allowed {sorted(names)}")
        out: dict[str, Any] = {"evaluation": vars(engine.evaluate(dry_run=dry_run, only=rule))}
        if dispatch and not dry_run:
            out["dispatch"] = vars(engine.dispatch())
        return out

    @app.post("/dispatch", dependencies=[Depends(require_key)])
    def dispatch(limit: int | None = Query(default=None, ge=1, le=1000)) -> dict[str, Any]:
        return vars(engine.dispatch(limit))

    @app.get("/outbox", dependencies=[Depends(require_key)])
    def outbox(status: str | None = None, rule: str | None = None,
               limit: int = Query(default=50, ge=1, le=1000)) -> dict[str, Any]:
        if status is not None and status not in STATUSES:
            raise HTTPException(422, detail=f"status = {status!r}: allowed {', '.join(STATUSES)}")
        return {"actions": [r.as_dict() for r in engine.outbox.list(status, limit, rule)], "counts": engine.outbox.counts()}

    return app


@serve.deployment(name="Triggers", ray_actor_options={"num_cpus": 0.1}, num_replicas=1, max_ongoing_requests=8,
                  max_queued_requests=16)
@serve.ingress()
class TriggersIngress:
    def __init__(self, settings_json: str) -> None:
        self.settings = Settings.model_validate_json(settings_json)
        setup_logging(self.settings.logging.level, self.settings.logging.json_logs)

    def __serve_build_asgi_app__(self) -> FastAPI:
        from jobs.triggers import build_engine

        return create_app(self.settings, build_engine(self.settings), key_verifier(self.settings))


def build_app(settings: Settings) -> serve.Application:
    return TriggersIngress.options(ray_actor_options={"num_cpus": settings.serve.replica_cpus}).bind(settings.model_dump_json())


def app_builder(args: dict[str, Any]) -> serve.Application:
    """Import path for Serve configs (`serve_apps.triggers_app:app_builder`); args: config, home."""
    args = dict(args or {})
    overrides = {"home": args["home"]} if args.get("home") else None
    return build_app(load_settings(args.get("config"), overrides=overrides))


def deploy(settings: Settings) -> str:
    """Run the app under /triggers on the Serve HTTP proxy (started at settings.serve host:port if needed)."""
    import ray

    if not ray.is_initialized():
        from jobs.common import connect_ray

        connect_ray(settings)
    cfg = settings.serve
    serve.start(http_options={"host": cfg.host, "port": cfg.port, "request_timeout_s": cfg.request_timeout_s})
    serve.run(build_app(settings), name=APP_NAME, route_prefix=ROUTE_PREFIX, blocking=False)
    url = f"http://{cfg.host}:{cfg.port}{ROUTE_PREFIX}"
    log.info("triggers service deployed", extra={"url": url})
    return url
