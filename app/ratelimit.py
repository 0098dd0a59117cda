"""Rate limiting (the API promises "per-token rate limiting with a clear `THROTTLED` error"),
shared by every API process through Redis. Two budgets:

- requests of an authenticated caller, keyed by the principal (`principal.key`), not by
  the header: `bearer T`, `BEARER T` or extra spaces are the same caller, and so are the
  tokens and JWTs of one user;
- failed authentications (no header, a malformed one, an unknown token) per client
  address: checked before the credential is looked up, so a flood of bad tokens stops
  costing database queries once the address has spent its budget.

A fixed window per minute: one pipelined INCR + EXPIRE per counted request, one GET for
the address check. When Redis cannot be reached the request is let through (and logged):
an outage of the queue must not take the read API down with it, and the limit protects
capacity, not data.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("seatwise.ratelimit")

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        values = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
        }
        if not self.allowed:
            values["Retry-After"] = str(self.retry_after)
        return values


_last_warning = -math.inf


def _warn_at_most_once_a_minute(exc: Exception, now: float) -> None:
    """One line a minute while Redis is away, not one per request."""
    global _last_warning
    if now - _last_warning >= WINDOW_SECONDS:
        _last_warning = now
        logger.warning("rate limit not applied, Redis unavailable: %s", exc)


def _window(client_key: str, now: float) -> tuple[str, int]:
    window = math.floor(now / WINDOW_SECONDS)
    return f"seatwise:ratelimit:{client_key}:{window}", window


def _decision(count: int, limit: int, window: int, now: float) -> RateDecision:
    """The decision for the `count`-th request of a window."""
    retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return RateDecision(
        allowed=count <= limit,
        limit=limit,
        remaining=max(limit - count, 0),
        retry_after=retry_after,
    )


async def take(redis: Redis, client_key: str, *, limit: int, now: float) -> RateDecision | None:
    """Count one request of `client_key`; None when limiting is off or Redis is away."""
    if limit <= 0:
        return None
    key, window = _window(client_key, now)
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = await pipe.execute()
    except (RedisError, OSError) as exc:
        _warn_at_most_once_a_minute(exc, now)
        return None
    return _decision(int(count), limit, window, now)


async def peek(redis: Redis, client_key: str, *, limit: int, now: float) -> RateDecision | None:
    """Whether one more request of `client_key` would be within `limit`, without counting
    it; None when limiting is off or Redis is away."""
    if limit <= 0:
        return None
    key, window = _window(client_key, now)
    try:
        count = int(await redis.get(key) or 0)
    except (RedisError, OSError) as exc:
        _warn_at_most_once_a_minute(exc, now)
        return None
    return _decision(count + 1, limit, window, now)


def address_key(host: str | None) -> str:
    """The budget key of a client address (`request.client.host`, which uvicorn's proxy
    headers middleware sets from X-Forwarded-For only when the peer is a trusted proxy,
    FORWARDED_ALLOW_IPS). IPv6 addresses count by their /64: one subscriber gets a whole
    /64 and may use any address in it, so a budget per address would be a budget per
    request."""
    if not host:
        return "address:unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"address:{host[:100]}"  # not an IP (a unix socket peer): as it is, bounded
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"address:{address}"
