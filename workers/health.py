"""Worker health: every worker writes arq's health record to one Redis key at least every
HEALTH_CHECK_INTERVAL seconds, with an expiry one second longer. The key exists while some
worker is alive and polling; `python -m app jobs health` reads it."""

from __future__ import annotations

from infra.settings import Settings
from workers.enqueue import open_queue

HEALTH_CHECK_KEY = "seatwise:worker:health"
HEALTH_CHECK_INTERVAL = 15


async def worker_health(settings: Settings) -> str | None:
    """The last health record of a live worker, e.g. "Nov-02 09:00:00 j_complete=12
    j_failed=0 j_retried=0 j_ongoing=0 queued=0", or None when no worker wrote one within
    the interval. Raises when Redis does not answer."""
    queue = await open_queue(settings)
    try:
        record = await queue.get(HEALTH_CHECK_KEY)
    finally:
        await queue.aclose()
    return record.decode() if record else None
