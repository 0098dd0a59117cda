"""The work behind the CLI commands that touch the database (each opens and closes it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from redis.exceptions import RedisError

from app.data_files import DATA_DIR, read_yaml
from app.seeding import seed_demo
from domain import outbox
from domain.catalog import load_catalog, parse_catalog
from domain.errors import DomainError, ErrorCode
from domain.plans import load_plans, parse_plans
from domain.tokens import IssuedToken, create_member_token, create_partner_token
from domain.user_import import ImportReport, ImportRow, RowRefusal, RowResult, run_import
from infra.db import database
from infra.db import migrate as migrate_database
from infra.settings import Settings
from models import Account
from workers.enqueue import enqueue_messages, open_queue
from workers.registry import JOBS


async def migrate(settings: Settings) -> None:
    await migrate_database(settings.database_url)


async def load_catalog_and_plans(
    settings: Settings, catalog_file: Path | None = None, plans_file: Path | None = None
) -> str:
    catalog = parse_catalog(read_yaml(catalog_file or DATA_DIR / "catalog.yaml"))
    plans = parse_plans(read_yaml(plans_file or DATA_DIR / "plans.yaml"))
    async with database(settings):
        catalog_counts = await load_catalog(catalog)
        plan_counts = await load_plans(plans)
    return (
        f"catalog: {catalog_counts['products']} products ({catalog_counts['created']} new), "
        f"plans: {plan_counts['plans']} with {plan_counts['features']} features"
    )


async def seed_demo_data(settings: Settings, demo_file: Path | None = None) -> bool:
    data = read_yaml(demo_file or DATA_DIR / "demo.yaml")
    async with database(settings):
        return await seed_demo(data, now=dt.datetime.now(dt.UTC))


async def create_token(
    settings: Settings,
    *,
    email: str | None,
    account: str | None,
    partner: str | None,
    label: str = "",
) -> IssuedToken:
    async with database(settings):
        if partner:
            return await create_partner_token(
                partner_code=partner, prefix=settings.token_prefix, label=label
            )
        assert email
        assert account
        return await create_member_token(
            email=email,
            account_id=await _account_id(account),
            prefix=settings.token_prefix,
            label=label,
        )


async def import_users(
    settings: Settings,
    *,
    account: str,
    rows: Sequence[ImportRow | RowRefusal],
    dry_run: bool,
    on_row: Callable[[RowResult], None],
) -> ImportReport:
    async with database(settings):
        return await run_import(
            await _account_id(account),
            rows,
            dry_run=dry_run,
            now=dt.datetime.now(dt.UTC),
            request_id=f"cli-{uuid4()}",
            on_row=on_row,
        )


async def _account_id(reference: str) -> UUID:
    """An account by id, or by its exact name when the name is unambiguous."""
    try:
        return UUID(reference)
    except ValueError:
        pass
    matches = await Account.filter(name=reference).values_list("id", flat=True)
    if len(matches) != 1:
        found = "no" if not matches else "several"
        raise DomainError(
            ErrorCode.NOT_FOUND, f"{found} account named {reference!r}: pass its id", ("account",)
        )
    return UUID(str(matches[0]))


async def run_job(
    name: str,
    settings: Settings,
    options: dict[str, Any],
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Run one job of workers.registry now, in this process, with the ctx a worker gives
    it (and `progress`, for a job that reports it); returns the line to print. Raises when
    Redis does not answer, for a job that talks to the queue; the others run without it
    (the emails they write wait for the worker's relay)."""
    job = JOBS[name]
    task = job.coroutine()
    ctx: dict[str, Any] = {"settings": settings}
    if progress is not None:
        ctx["progress"] = progress
    async with database(settings):
        if not job.needs_queue:
            result = await task(ctx, **options)
            return f"{job.name}: {job.describe(result)}"
        queue = await open_queue(settings)
        try:
            result = await task({**ctx, "redis": queue}, **options)
        finally:
            await queue.aclose()
    return f"{job.name}: {job.describe(result)}"


@dataclass(frozen=True)
class RetryReport:
    requeued: int
    # Why the rows could not be handed to the queue (they wait for the relay); None if
    # they were.
    queue_error: Exception | None = None


async def retry_outbox(
    settings: Settings, *, message_id: UUID | None, failed_since: dt.datetime | None
) -> RetryReport:
    """Requeue FAILED outbox rows (domain.outbox.retry_failed) and hand them to the queue
    at once. The rows are PENDING whatever Redis does: when it does not answer, the
    worker's cron relay hands them over later, as for any row written while Redis is down."""
    now = dt.datetime.now(dt.UTC)
    async with database(settings):
        due = await outbox.retry_failed(now=now, message_id=message_id, failed_since=failed_since)
        if not due:
            return RetryReport(0)
        try:
            queue = await open_queue(settings)
            try:
                await enqueue_messages(queue, due)
            finally:
                await queue.aclose()
        except (RedisError, OSError, TimeoutError) as exc:
            return RetryReport(len(due), queue_error=exc)
        await outbox.mark_enqueued(due, now=now)
    return RetryReport(len(due))
