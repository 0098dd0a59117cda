"""`python -m workers`: one arq worker. (Not the `arq` command, which appends the working
directory to the end of the import path, where installed packages can shadow ours.)

`python -m workers --check` exits 0 when at least one worker wrote its health record
within the health interval, 1 otherwise (also when Redis does not answer within a few
seconds), with one line saying which."""

from __future__ import annotations

import argparse
import asyncio
import sys
from urllib.parse import urlsplit

from redis.exceptions import RedisError

from infra.settings import Settings, get_settings
from workers.health import HEALTH_TTL, READ_TIMEOUT, read_live_workers
from workers.main import SMTP_CONNECTIONS, run_worker


def check(settings: Settings) -> int:
    try:
        workers = asyncio.run(read_live_workers(settings))
    except (RedisError, OSError, TimeoutError) as exc:
        parts = urlsplit(settings.redis_url)  # host and port only: the URL may hold a password
        reason = str(exc) or f"no answer within {READ_TIMEOUT:g} s"
        print(
            f"unhealthy: Redis does not answer at {parts.hostname}:{parts.port or 6379}: {reason}",
            file=sys.stderr,
        )
        return 1
    if not workers:
        print(f"unhealthy: no worker reported in the last {HEALTH_TTL} s", file=sys.stderr)
        return 1
    names = ", ".join(w.worker_id for w in workers)
    print(f"healthy: {len(workers)} worker{'' if len(workers) == 1 else 's'} ({names})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description="Run one arq worker.")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 0 if a worker reported its health within the interval, else 1",
    )
    parser.add_argument(
        "--smtp-connections",
        type=int,
        default=SMTP_CONNECTIONS,
        metavar="N",
        help=f"SMTP connections kept open and reused (default {SMTP_CONNECTIONS}; "
        "0: one per message)",
    )
    args = parser.parse_args(argv)
    if args.check:
        return check(get_settings())
    run_worker(get_settings(), smtp_connections=args.smtp_connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
