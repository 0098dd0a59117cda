"""The Starlette application: routes, lifespan and middleware. uvicorn builds it with
`create_app` as a factory (`python -m app serve`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Mount, Route, WebSocketRoute

from app.cors import AllowedOriginsCORS
from app.exports import AuditExport
from app.graphiql import STATIC_DIR, StaticAssets, favicon
from app.graphql_http import GraphQLEndpoint
from app.graphql_ws import GraphQLWebSocket
from app.heap import settle_after_startup
from infra.db import close_db, init_db
from infra.settings import Settings, get_settings
from models import Account
from resolvers.assembly import schema as default_schema
from schema.live import AccountEventFeed
from workers.health import live_workers

# Each /readyz check gets this long: a probe must answer quickly even when a dependency
# hangs rather than refuses.
READY_CHECK_TIMEOUT = 1.0


def create_app(
    settings: Settings | None = None,
    schema: Any = None,
    *,
    manage_database: bool = True,
    clock: Callable[[], float] = time.time,
    tune_gc: bool | None = None,
) -> Starlette:
    """The app. `manage_database=False` leaves opening the database to the caller (tests
    that also touch the database directly); `clock` is the time of /graphql (tests);
    `tune_gc` sets the process's garbage collector for serving (app/heap.py), by default
    when the app manages its database, as when uvicorn serves it (not in tests, which
    share their process)."""
    tune_gc = manage_database if tune_gc is None else tune_gc
    settings = settings or get_settings()
    endpoint = GraphQLEndpoint(schema or default_schema, settings, clock=clock)
    feed = AccountEventFeed(interval=settings.account_events_poll_seconds, clock=clock)
    websockets = GraphQLWebSocket(
        schema or default_schema, settings, feed, hand_over=endpoint.hand_over, clock=clock
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await init_db(settings)
        if tune_gc:
            settle_after_startup()
        app.state.redis = Redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=1
        )
        try:
            yield
        finally:
            await feed.close()
            await app.state.redis.aclose()
            await endpoint.close()
            if manage_database:
                await close_db()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        """Ready while the database answers: no request can be served without it. Redis
        and the workers are reported, and make the status "degraded", but never unready:
        without them requests are still served and mutations still commit (their emails
        wait in the outbox for the relay), whereas a failing readiness probe would take
        every API process out of its load balancer for a worker's fault. Monitoring
        alerts on "degraded"; a worker's own probe is `python -m workers --check`."""
        redis: Redis = request.app.state.redis
        database, redis_up, worker = await asyncio.gather(
            _check(_database_ready()), _check(redis.ping()), _check(_worker_alive(redis))
        )
        checks = {"database": database, "redis": redis_up, "worker": worker}
        healthy = redis_up and worker
        status = ("ready" if healthy else "degraded") if database else "unavailable"
        return JSONResponse(
            {"status": status, "checks": checks}, status_code=200 if database else 503
        )

    async def graphiql_redirect(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    routes = [
        # The methods it refuses reach the endpoint too, which answers 405 with a GraphQL
        # error (Starlette's own 405 is plain text); OPTIONS is also the CORS preflight.
        Route(
            "/graphql",
            endpoint.handle,
            methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"],
            middleware=[Middleware(AllowedOriginsCORS, origins=settings.cors_origins)],
        ),
        # Subscriptions (graphql-transport-ws) on the same path, as clients expect.
        WebSocketRoute("/graphql", websockets.handle),
        Route("/exports/audit-events.csv", AuditExport(settings, clock).handle, methods=["GET"]),
        Route("/graphiql", graphiql_redirect, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Mount("/static", StaticAssets(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _check(probe: Awaitable[object]) -> bool:
    try:
        async with asyncio.timeout(READY_CHECK_TIMEOUT):
            return bool(await probe)
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False


async def _database_ready() -> bool:
    await Account._meta.db.execute_query("SELECT 1")
    return True


async def _worker_alive(redis: Redis) -> bool:
    """Whether a worker wrote its health record within its interval (the record expires
    one second after the next one is due): without one, emails and jobs pile up unsent."""
    return bool(await live_workers(redis))
