"""CORS for /graphql: single-page apps served from another origin call the API.

Starlette's CORSMiddleware does the protocol, for the origins of CORS_ALLOWED_ORIGINS
only (none by default). A request from any other origin, or without one, goes straight to
the endpoint and gets no CORS header at all: an OPTIONS from it is answered 405 with a
GraphQL error like every other refusal, where the middleware would answer a plain-text
400 that still lists the allowed methods and headers.

No credentials mode: tokens travel in the Authorization header, never in cookies, so a
browser sends nothing a page could borrow.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

ALLOWED_METHODS = ("GET", "POST")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Accept", "X-Request-Id")
# Response headers a page may read besides the CORS-safelisted ones.
EXPOSED_HEADERS = (
    "X-Request-Id",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "Retry-After",
    "WWW-Authenticate",
)
# How long a browser may reuse a preflight answer.
PREFLIGHT_MAX_AGE = 600


class AllowedOriginsCORS:
    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.origins = frozenset(origins)
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            allow_credentials=False,
            max_age=PREFLIGHT_MAX_AGE,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
        if origin in self.origins:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
