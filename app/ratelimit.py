"""Per-token rate limiting (DESIGN.md 3: "per-token rate limiting with a clear
`THROTTLED` error"), shared by every API process through Redis.

A fixed window per minute: one pipelined INCR + EXPIRE per request. When Redis cannot be
reached the request is let through (and logged): an outage of the queue must not take the
read API down with it, and the limit protects capacity, not data.
"""

from __future__ import annotations

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


async def take(redis: Redis, client_key: str, *, limit: int, now: float) -> RateDecision | None:
    """Count one request of `client_key`; None when limiting is off or Redis is away."""
    if limit <= 0:
        return None
    window = math.floor(now / WINDOW_SECONDS)
    key = f"seatwise:ratelimit:{client_key}:{window}"
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = await pipe.execute()
    except (RedisError, OSError) as exc:
        _warn_at_most_once_a_minute(exc, now)
        return None
    retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return RateDecision(
        allowed=int(count) <= limit,
        limit=limit,
        remaining=max(limit - int(count), 0),
        retry_after=retry_after,
    )
