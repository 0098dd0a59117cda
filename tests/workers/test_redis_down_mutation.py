"""A mutation while Redis is down: it succeeds (the email is an outbox row of its
transaction), answers promptly, and the email is delivered once Redis is back and a worker
runs (the cron relay hands the row over)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from app.asgi import create_app
from app.embedded import start_redis
from infra.net import wait_for_port
from models import OutboxMessage
from models.enums import OutboxStatus
from schema.ids import to_global_id
from tests.conftest import make_settings
from tests.support import factories
from tests.support.graphql import data
from tests.support.services import RedisServer, SmtpSink, start_api_server, start_redis_server
from tests.workers.test_redis_restart import _poll, _start_worker, _stop

ASSIGN = """mutation($input: SeatAssignInput!) { seatAssign(input: $input) {
  assignments { user { email } } userErrors { code } } }"""


@pytest.fixture
def stopped_redis() -> Iterator[RedisServer]:
    """A Redis of this test alone, stopped: the test starts it again on the same port."""
    server = start_redis_server()
    server.process.kill()
    server.process.wait(timeout=10)
    yield server
    server.stop()


@pytest.fixture
async def api_without_redis(
    db: str, stopped_redis: RedisServer, smtp_sink: SmtpSink
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(db, redis_url=stopped_redis.url, smtp_url=smtp_sink.url)
    server = await start_api_server(create_app(settings, manage_database=False))
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client
    await server.stop()


@pytest.mark.slow
async def test_a_mutation_while_redis_is_down_succeeds_and_its_email_follows(
    db: str, api_without_redis: httpx.AsyncClient, stopped_redis: RedisServer, smtp_sink: SmtpSink
) -> None:
    # Given an account whose admin assigns Hugo an AutoCAD seat while Redis is down
    team = await factories.team()
    hugo = await factories.user(email="hugo@acme.example", name="Hugo")
    membership = await factories.member(team.account, hugo)
    sub = await factories.subscription(await factories.contract(team.account), "ACD", seats=2)
    started = time.monotonic()
    # When the assignment is sent
    result = await data(
        api_without_redis,
        team.admin_token,
        ASSIGN,
        input={
            "subscriptionId": to_global_id("ProductSubscription", sub.id),
            "userIds": [to_global_id("User", membership.id)],
        },
    )
    # Then it succeeds at once, and its download email waits in the outbox
    assert time.monotonic() - started < 10
    assert result["seatAssign"] == {
        "assignments": [{"user": {"email": "hugo@acme.example"}}],
        "userErrors": [],
    }
    [row] = await OutboxMessage.all()
    assert (row.name, row.status) == ("ready_to_download", OutboxStatus.PENDING)
    # When Redis is back and a worker runs
    stopped_redis.process = start_redis(stopped_redis.port, stopped_redis.directory / "back")
    wait_for_port("127.0.0.1", stopped_redis.port)
    settings = make_settings(db, redis_url=stopped_redis.url, smtp_url=smtp_sink.url)
    worker = await _start_worker(settings)
    try:

        async def delivered() -> bool:
            return (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE

        await _poll(delivered, 30, "the email was not delivered after Redis came back")
    finally:
        code, log = await _stop(worker)
    # Then the email reached Hugo, once
    assert [m.recipients for m in smtp_sink.received] == [["hugo@acme.example"]]
    assert code == 0, log
