"""The triggers HTTP app on Ray Serve (route prefix /triggers), next to the search app.

    POST /triggers/evaluate?dry_run=false&dispatch=false   evaluate rules (and run due actions)
    POST /triggers/dispatch                                run due actions
    GET  /triggers/rules                                   rules + outbox counts
    GET  /triggers/outbox?status=&rule=&limit=             outbox rows (errors redacted)
    GET/POST /triggers/watches, GET/PATCH/DELETE /triggers/watches/{id}
                                                           watchlists and saved searches of the caller
    GET  /triggers/healthz                                 no key needed

Every route but healthz needs `X-API-Key`, verified by the KeyManager (component `triggers`,
which may read `matrix/triggers/*`); a missing key store or key denies. The admin key
(`triggers.admin_key_ref`) may do everything and sees every owner's watches; client keys
(`triggers.client_key_refs`, e.g. `matrix/triggers/client_alice`) may only manage their own
watches - the owner is the ref's last part (`client_alice`). One small replica: the work is I/O
and the outbox is the concurrency control.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable, cast

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from pydantic import ValidationError
from ray import serve

from matrix.config import Settings, load_settings
from matrix.observability import counter, get_logger, setup_logging
from matrix.triggers.actions import redact
from matrix.triggers.engine import TriggerEngine, utcnow
from matrix.triggers.outbox import STATUSES
from matrix.triggers.watches import WatchNotFound, WatchSpec, WatchStore
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


class Access:
    """Who is calling: 'admin' (triggers.admin_key_ref), a client's owner name (the last part of one of
    triggers.client_key_refs), or nobody (401)."""

    def __init__(self, settings: Settings, verifier: Any) -> None:
        self.ref = settings.triggers.admin_key_ref
        self.clients = {r.split("/")[-1]: r for r in settings.triggers.client_key_refs}
        self.verifier = verifier

    def caller(self, request: Request) -> str | None:
        presented = request.headers.get(API_KEY_HEADER)
        if self.verifier.verify(self.ref, presented):
            return "admin"
        for owner, cref in self.clients.items():
            if self.verifier.verify(cref, presented):
                return owner
        return None

    @staticmethod
    def denied() -> HTTPException:
        AUTH_FAILURES.inc()
        return HTTPException(401, detail=f"a valid {API_KEY_HEADER} header is required",
                             headers={"WWW-Authenticate": API_KEY_HEADER})

    def require_admin(self, request: Request) -> None:
        """Admin routes: rules, evaluation, dispatch, the outbox."""
        if self.caller(request) != "admin":
            raise self.denied()

    def owner_of(self, request: Request) -> str:
        who = self.caller(request)
        if who is None:
            raise self.denied()
        return who

    @staticmethod
    def scope(who: str, owner: str | None = None) -> str | None:
        """The owner a request acts for: clients always themselves; admin everyone (or ?owner=)."""
        return owner if who == "admin" else who


def create_app(settings: Settings, engine: TriggerEngine, verifier: Any) -> FastAPI:
    """The FastAPI app (plain; testable without Ray). Sync routes run in FastAPI's thread pool."""
    app = FastAPI(title="Affiliate Matrix triggers", version="1")
    access = Access(settings, verifier)
    require_key = access.require_admin
    store: WatchStore = engine.watches if engine.watches is not None else WatchStore(engine.outbox)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "outbox": engine.outbox.counts()}

    @app.get("/rules", dependencies=[Depends(require_key)])
    def rules() -> dict[str, Any]:
        return {"rules": [r.model_dump() for r in engine.rules], "outbox": engine.outbox.counts()}

    @app.post("/evaluate", dependencies=[Depends(require_key)])
    def evaluate(dry_run: bool = False, dispatch: bool = False,
                 rule: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
        names = {r.name for r in engine.rules}
        unknown = sorted(set(rule or []) - names)
        if unknown:
            raise HTTPException(422, detail=f"rule = {unknown}: not configured; allowed {sorted(names)}")
        out: dict[str, Any] = {"evaluation": vars(engine.evaluate(dry_run=dry_run, only=rule))}
        if dispatch and not dry_run:
            out["dispatch"] = vars(engine.dispatch())
        return out

    @app.post("/dispatch", dependencies=[Depends(require_key)])
    def dispatch(limit: Annotated[int | None, Query(ge=1, le=1000)] = None) -> dict[str, Any]:
        return vars(engine.dispatch(limit))

    @app.get("/outbox", dependencies=[Depends(require_key)])
    def outbox(status: str | None = None, rule: str | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
        if status is not None and status not in STATUSES:
            raise HTTPException(422, detail=f"status = {status!r}: allowed {', '.join(STATUSES)}")
        actions = []
        for r in engine.outbox.list(status, limit, rule):
            d = r.as_dict()
            for k in ("last_error", "dead_reason"):
                d[k] = redact(d[k]) if d.get(k) else d.get(k)
            actions.append(d)
        return {"actions": actions, "counts": engine.outbox.counts()}

    _watch_routes(app, store, access.owner_of, access.scope)
    return app


def _invalid(exc: Exception) -> HTTPException:
    if isinstance(exc, ValidationError):
        return HTTPException(422, detail=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()])
    return HTTPException(422, detail=str(exc))


def _watch_routes(app: FastAPI, store: WatchStore, owner_of: Callable[[Request], str],
                  scope: Callable[..., str | None]) -> None:
    """Watchlists and saved searches: every caller manages its own; admin sees all."""
    @app.get("/watches")
    def list_watches(request: Request, kind: Annotated[str | None, Query(pattern="^(program|search)$")] = None,
                     owner: str | None = None) -> dict[str, Any]:
        who = owner_of(request)
        return {"watches": [w.as_dict() for w in store.list(scope(who, owner), kind)]}

    @app.post("/watches", status_code=201)
    def create_watch(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        who = owner_of(request)
        try:
            spec = WatchSpec.model_validate(body)
        except ValidationError as exc:
            raise _invalid(exc) from None
        return store.create(who, spec, utcnow()).as_dict()

    @app.get("/watches/{watch_id}")
    def get_watch(watch_id: str, request: Request) -> dict[str, Any]:
        who = owner_of(request)
        try:
            w = store.get(watch_id, scope(who))
        except WatchNotFound:
            raise HTTPException(404, detail=f"no watch {watch_id!r}") from None
        return {**w.as_dict(), "state": store.state(w.id)}

    @app.patch("/watches/{watch_id}")
    def update_watch(watch_id: str, request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        who = owner_of(request)
        try:
            return store.update(watch_id, scope(who), body, utcnow()).as_dict()
        except WatchNotFound:
            raise HTTPException(404, detail=f"no watch {watch_id!r}") from None
        except (ValidationError, ValueError) as exc:
            raise _invalid(exc) from None

    @app.delete("/watches/{watch_id}", status_code=204)
    def delete_watch(watch_id: str, request: Request) -> None:
        who = owner_of(request)
        try:
            store.delete(watch_id, scope(who))
        except WatchNotFound:
            raise HTTPException(404, detail=f"no watch {watch_id!r}") from None


@serve.deployment(name="Triggers", ray_actor_options={"num_cpus": 0.1}, num_replicas=1, max_ongoing_requests=8,
                  max_queued_requests=16)
@serve.ingress()
class TriggersIngress:
    def __init__(self, settings_json: str) -> None:
        self.settings = Settings.model_validate_json(settings_json)
        setup_logging(self.settings.logging.level, self.settings.logging.json_logs)
        from jobs.ray_metrics import install

        install()  # trigger and outbox metrics through Ray's exporter

    def __serve_build_asgi_app__(self) -> FastAPI:
        from jobs.triggers import build_engine

        return create_app(self.settings, build_engine(self.settings), key_verifier(self.settings))


def build_app(settings: Settings) -> serve.Application:
    deployment = cast(serve.Deployment, TriggersIngress)  # mypy ignores class decorators; @serve.deployment made this one
    return deployment.options(ray_actor_options={"num_cpus": settings.serve.replica_cpus}).bind(settings.model_dump_json())


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
