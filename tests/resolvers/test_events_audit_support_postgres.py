"""The audit trail, its CSV export, support cases and the live events on PostgreSQL: their
queries differ by dialect (UUID keysets, JSON columns, timestamps with time zones), so the
main paths of the SQLite tests run here too, through the same functions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from infra.settings import Settings
from tests.app import test_audit_export
from tests.conftest import make_settings
from tests.domain import test_account_events
from tests.resolvers import test_audit_events, test_support_case_create
from tests.schema import test_live
from tests.support import factories
from tests.support.api import served_at
from tests.support.services import RedisServer

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(pg_empty_db: str, redis_server: RedisServer) -> Settings:
    return make_settings(pg_empty_db, redis_url=redis_server.url)


@pytest.fixture
async def pg_api_at_now(pg_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with served_at(pg_settings) as client:
        yield client


async def test_an_admin_reads_the_trail_on_postgres(pg_empty_api: httpx.AsyncClient) -> None:
    await test_audit_events.test_an_admin_reads_the_trail_newest_first_with_who_did_what(
        pg_empty_api
    )


async def test_the_trail_pages_on_postgres(pg_empty_api: httpx.AsyncClient) -> None:
    await test_audit_events.test_the_trail_pages_by_cursor(pg_empty_api)


async def test_a_mutation_is_in_the_trail_on_postgres(pg_empty_api: httpx.AsyncClient) -> None:
    await test_audit_events.test_a_mutation_is_in_the_trail_with_its_request_id(pg_empty_api)


async def test_the_export_streams_every_row_once_on_postgres(
    pg_empty_api: httpx.AsyncClient, pg_empty_db: str
) -> None:
    await test_audit_export.test_a_long_trail_streams_in_pages_with_every_row_once(
        pg_empty_api, pg_empty_db
    )


async def test_a_support_case_opens_on_postgres(
    pg_api_at_now: httpx.AsyncClient, pg_empty_db: str
) -> None:
    opens = test_support_case_create.test_an_admin_opens_a_case_through_the_fastest_option_offering_the_channel  # noqa: E501
    await opens(pg_api_at_now, pg_empty_db)


async def test_settled_emails_are_facts_on_postgres(pg_empty_db: str) -> None:
    await test_account_events.test_only_settled_emails_of_the_accounts_asked_for_are_facts(
        pg_empty_db
    )


async def test_the_feed_tells_each_fact_once_on_postgres(pg_empty_db: str) -> None:
    await test_live.test_a_fact_read_again_is_told_once(await factories.account(name="Acme"))


async def test_the_feed_tells_a_late_follower_nothing_older_on_postgres(pg_empty_db: str) -> None:
    await test_live.test_a_late_follower_is_not_told_what_happened_before_it_joined(
        await factories.account(name="Acme")
    )
