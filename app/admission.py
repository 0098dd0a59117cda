"""The steps every entry point takes before it trusts a caller (/graphql over HTTP, the
WebSocket's `connection_init`, the CSV export), in this order:

1. the budget of failed authentications of the client address, checked before the
   request is read or the credential looked up: an address that keeps failing costs one
   Redis GET, not a database query (its valid tokens wait too: the address is all that is
   known before the lookup);
2. authentication (app/auth.py), a failure counted against that budget;
3. the caller's own rate limit, per principal rather than per header: every spelling of
   a token, and every token of one user, share it.

Each entry point words its own refusals (a GraphQL error, a close frame, JSON). Without
Redis (None, or unreachable: app/ratelimit.py) the budgets are not applied.
"""

from __future__ import annotations

import datetime as dt

from redis.asyncio import Redis

from app import ratelimit
from app.auth import AuthenticationError, authenticate
from app.ratelimit import RateDecision
from app.token_cache import TokenCache
from domain.principals import Principal
from infra.settings import Settings


class Admission:
    def __init__(
        self,
        settings: Settings,
        redis: Redis | None,
        host: str | None,
        tokens: TokenCache | None = None,
    ) -> None:
        self.settings = settings
        self.redis = redis
        # API tokens' principals kept a few seconds (app/token_cache.py), or None.
        self.tokens = tokens
        self.failures_key = "failures:" + ratelimit.address_key(host)

    async def address_refused(self, now: float) -> RateDecision | None:
        """The address's decision when its failed authentications spent their budget;
        None to go on."""
        if self.redis is None:
            return None
        check = await ratelimit.peek(
            self.redis, self.failures_key, limit=self.settings.auth_failures_per_minute, now=now
        )
        return check if check is not None and not check.allowed else None

    async def authenticate(self, authorization: str | None, now: float) -> Principal:
        """The caller; AuthenticationError, counted for the address, when the credential
        is missing, malformed or refused."""
        try:
            return await authenticate(
                authorization,
                self.settings,
                now=dt.datetime.fromtimestamp(now, dt.UTC),
                tokens=self.tokens,
            )
        except AuthenticationError:
            if self.redis is not None:
                await ratelimit.take(
                    self.redis,
                    self.failures_key,
                    limit=self.settings.auth_failures_per_minute,
                    now=now,
                )
            raise

    async def caller_budget(self, principal: Principal, now: float) -> RateDecision | None:
        """One request of `principal` counted: its decision (allowed or not), or None when
        limiting is off or Redis is away."""
        if self.redis is None:
            return None
        return await ratelimit.take(
            self.redis,
            "principal:" + principal.key,
            limit=self.settings.rate_limit_per_minute,
            now=now,
        )
