"""Authentication: `Authorization: Bearer <token>` to a principal.

Two kinds of credentials:
- API tokens (`sw_...`, made with `python -m app token create`), for scripts and partners;
- JWTs for single-page apps, signed with `JWT_SECRET` (HS256) or a key from `JWT_JWKS_URL`
  (RS256/ES256). The `email` claim names the user; an optional `account` claim (an account
  id) narrows the session to that account.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import lru_cache
from typing import Any
from uuid import UUID

import jwt

from app.token_cache import TokenCache
from domain.principals import MemberPrincipal, Principal
from domain.tokens import principal_for_token, principal_for_user
from infra.settings import Settings
from models import User
from schema.ids import key_of

# Algorithms accepted from a JWKS key (the key's own algorithm must be one of these).
JWKS_ALGORITHMS = frozenset({"RS256", "ES256"})


class AuthenticationError(Exception):
    """No usable credential. The message is safe to show; it never says which part failed
    beyond what the caller already knows (missing header, malformed, or rejected)."""


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("missing Authorization header (use: Bearer <token>)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("malformed Authorization header (use: Bearer <token>)")
    return token.strip()


async def authenticate(
    authorization: str | None,
    settings: Settings,
    *,
    now: dt.datetime,
    tokens: TokenCache | None = None,
) -> Principal:
    """The caller; `tokens` keeps API tokens' principals a few seconds (app/token_cache.py)."""
    token = bearer_token(authorization)
    if token.startswith(settings.token_prefix):
        if tokens is not None:
            principal = await tokens.principal(token, now=now)
        else:
            principal = await principal_for_token(token, now=now)
    elif token.count(".") == 2 and (settings.jwt_secret or settings.jwt_jwks_url):
        principal = await _principal_for_jwt(token, settings)
    else:
        principal = None
    if principal is None:
        raise AuthenticationError("invalid or expired token")
    return principal


async def _principal_for_jwt(token: str, settings: Settings) -> Principal | None:
    try:
        if settings.jwt_jwks_url:
            # PyJWKClient fetches the key set with blocking urllib: run it in a thread so a
            # slow identity provider never stalls the event loop (and every other request).
            jwk = await asyncio.to_thread(
                _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt, token
            )
            key: Any = jwk.key
            # The key decides the algorithm (RS256 for RSA, ES256 for P-256): a token cannot
            # pick another one, and never an HMAC one keyed with the public key.
            algorithms = [jwk.algorithm_name] if jwk.algorithm_name in JWKS_ALGORITHMS else []
        else:
            key = settings.jwt_secret or ""
            algorithms = ["HS256"]
        claims = jwt.decode(
            token,
            key=key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "email"]},
        )
    except (jwt.PyJWTError, ValueError):
        return None
    user = await User.get_or_none(email=str(claims["email"]).lower())
    if user is None:
        return None
    principal = await principal_for_user(user.id)
    scope = claims.get("account")
    if scope is None:
        return principal
    account_id = _account_key(str(scope))
    if account_id is None or account_id not in principal.roles:
        return None
    return MemberPrincipal(user_id=user.id, roles={account_id: principal.roles[account_id]})


def _account_key(claim: str) -> UUID | None:
    """The `account` claim: the account's global ID (what single-page apps see in the API)
    or its plain UUID."""
    key = key_of(claim, "Account")
    if key is not None:
        return key
    try:
        return UUID(claim)
    except ValueError:
        return None


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # The key set is cached for 5 minutes; individual keys are not cached beyond that
    # (`cache_keys` would keep a key the provider has withdrawn for the life of the process).
    return jwt.PyJWKClient(url, cache_keys=False, lifespan=300, timeout=5)
