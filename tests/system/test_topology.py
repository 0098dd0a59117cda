"""The whole system as it runs in production: two API processes (`python -m app serve`) and
two workers (`python -m workers`) on one PostgreSQL and one Redis, with a real SMTP server.
Concurrent upgrades, assignments and transfers go through both APIs over HTTP, then two
grace-expiry runs at once (`python -m app jobs run expire-grace-periods`, as of after the
grace period); then the invariants hold: no subscription over its seat limit, each
trade-in started once and completed once, each email delivered exactly once (counted at
the SMTP server by Message-ID), no outbox row left pending."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.net import free_port, wait_for_port
from models import Account, AuditEvent, OutboxMessage, Product, SeatAssignment, TradeIn
from models.enums import OutboxStatus, Role, SubscriptionStatus, TradeInStatus
from schema.ids import to_global_id
from tests.support import factories
from tests.support.services import RedisServer, SmtpSink, start_smtp_sink
from tests.support.tokens import bearer

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 4
MEMBERS = 8  # per account, besides its admin
FREE_SEATS = 5  # on each account's AutoCAD subscription, for MEMBERS contenders

UPGRADE = """mutation($input: SubscriptionUpgradeInput!) { subscriptionUpgrade(input: $input) {
  tradeIn { id } userErrors { code } } }"""
ASSIGN = """mutation($input: SeatAssignInput!) { seatAssign(input: $input) {
  assignments { id } alreadyAssigned { id } userErrors { code } } }"""
TRANSFER = """mutation($input: SeatTransferInput!) { seatTransfer(input: $input) {
  assignments { id } alreadyAssigned { id } userErrors { code } } }"""


@dataclass
class Team:
    account: Account
    token: str
    lt_subscription: str  # global ID: AutoCAD LT with 3 seats taken, to upgrade
    acd_subscription: str  # global ID: AutoCAD with FREE_SEATS free seats
    members: list[str]  # global User IDs, none holding AutoCAD


@dataclass
class Topology:
    apis: list[str]
    processes: list[asyncio.subprocess.Process]
    smtp: SmtpSink
    env: dict[str, str]


async def _team(number: int) -> Team:
    account = await factories.account(name=f"System {number}")
    admin = await factories.user(name=f"Admin {number}")
    await factories.member(account, admin, role=Role.PRIMARY_ADMIN)
    contract = await factories.contract(account)
    lt = await factories.subscription(contract, "ACDLT", seats=3)
    acd_sub = await factories.subscription(contract, "ACD", seats=FREE_SEATS)
    for index in range(3):  # on the LT only, never contenders for the AutoCAD seats
        person = await factories.user(name=f"LT user {number}-{index}")
        await factories.member(account, person)
        await factories.assign(lt, person)
    members = []
    for index in range(MEMBERS):
        person = await factories.user(name=f"Member {number}-{index}")
        membership = await factories.member(account, person)
        members.append(to_global_id("User", membership.id))
    return Team(
        account=account,
        token=await factories.token(account, admin),
        lt_subscription=to_global_id("ProductSubscription", lt.id),
        acd_subscription=to_global_id("ProductSubscription", acd_sub.id),
        members=members,
    )


def _environment(database_url: str, redis_url: str, smtp_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SMTP_URL": smtp_url,
        "PUBLIC_URL": "http://seatwise.test",
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "LOG_LEVEL": "warning",
    }


async def _spawn(env: dict[str, str], *arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *arguments,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


@pytest.fixture
async def topology(pg_empty_db: str, redis_server: RedisServer) -> AsyncIterator[Topology]:
    """Two API processes and two workers on the test's PostgreSQL database and Redis, with
    an SMTP server that records what it receives. Stopped (SIGTERM, then SIGKILL) after."""
    smtp = start_smtp_sink()
    env = _environment(pg_empty_db, redis_server.url, smtp.url)
    processes: list[asyncio.subprocess.Process] = []
    apis = []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(await _spawn(env, "-m", "app", "serve", "--port", str(port)))
            apis.append(f"http://127.0.0.1:{port}")
        for _ in range(2):
            processes.append(await _spawn(env, "-m", "workers"))
        for api in apis:
            await asyncio.to_thread(wait_for_port, "127.0.0.1", int(api.rsplit(":", 1)[1]), 30)
        yield Topology(apis=apis, processes=processes, smtp=smtp, env=env)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()
        smtp.controller.stop()


async def _poll(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


async def test_two_apis_and_two_workers_keep_every_invariant(topology: Topology) -> None:
    # Given four accounts, each with an AutoCAD LT subscription (3 seats taken) and an
    # AutoCAD subscription with 5 free seats for 8 members
    acd = await Product.get(code="ACD")
    teams = [await _team(n) for n in range(ACCOUNTS)]
    apis = itertools.cycle(topology.apis)
    async with httpx.AsyncClient(timeout=60) as client:

        async def call(team: Team, query: str, **input: Any) -> dict[str, Any]:
            response = await client.post(
                f"{next(apis)}/graphql",
                json={"query": query, "variables": {"input": input}},
                headers=bearer(team.token),
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            data: dict[str, Any] = body["data"]
            return data

        # When every account's LT is upgraded three times at once (through both APIs) while
        # its 8 members are assigned one by one, all at once, to the 5 free AutoCAD seats
        upgrades = [
            call(
                team,
                UPGRADE,
                subscriptionId=team.lt_subscription,
                targetProductId=to_global_id("Product", acd.id),
            )
            for team in teams
            for _ in range(3)
        ]
        assigns = [
            call(team, ASSIGN, subscriptionId=team.acd_subscription, userIds=[member])
            for team in teams
            for member in team.members
        ]
        results = await asyncio.gather(*upgrades, *assigns)
        upgraded = [r["subscriptionUpgrade"] for r in results if "subscriptionUpgrade" in r]
        assigned = [r["seatAssign"] for r in results if "seatAssign" in r]
        # And then each trade-in's users are transferred twice at once
        trade_ins = {
            team.account.id: answer["tradeIn"]["id"]
            for team, answers in zip(
                teams, [upgraded[i * 3 : i * 3 + 3] for i in range(ACCOUNTS)], strict=True
            )
            for answer in answers
            if answer["tradeIn"] is not None
        }
        transfers = await asyncio.gather(
            *(
                call(team, TRANSFER, tradeInId=trade_ins[team.account.id])
                for team in teams
                for _ in range(2)
            )
        )

    # Then each LT was upgraded exactly once (the others told a trade-in is open)
    assert sorted(Counter(e["code"] for a in upgraded for e in a["userErrors"]).items()) == [
        ("TRADE_IN_ALREADY_OPEN", 2 * ACCOUNTS)
    ]
    assert await TradeIn.filter(status=TradeInStatus.IN_GRACE).count() == ACCOUNTS
    # And exactly 5 of each account's 8 members got an AutoCAD seat
    assert sum(len(a["assignments"]) for a in assigned) == FREE_SEATS * ACCOUNTS
    refusals = Counter(e["code"] for a in assigned for e in a["userErrors"])
    assert refusals == {"SEAT_LIMIT_REACHED": (MEMBERS - FREE_SEATS) * ACCOUNTS}
    # And each trade-in's 3 users moved once: the second transfer found nobody left
    moved = [t["seatTransfer"] for t in transfers]
    assert sorted(len(m["assignments"]) for m in moved) == [0] * ACCOUNTS + [3] * ACCOUNTS
    assert [m["userErrors"] for m in moved] == [[]] * (2 * ACCOUNTS)
    # And no subscription holds more active seats than it has
    for subscription_id, seats, taken in await _seat_use():
        assert taken <= seats, subscription_id

    # When two grace-expiry runs start at once, as of the day after the grace period
    ends = [t.grace_ends_at for t in await TradeIn.all() if t.grace_ends_at is not None]
    as_of = (max(ends) + dt.timedelta(days=1)).date()
    summaries = await asyncio.gather(*(_expire(topology.env, as_of) for _ in range(2)))
    # Then together they completed each trade-in once (each run names what it did),
    # replacing its source
    assert sum(_completed(s) for s in summaries) == ACCOUNTS
    assert await TradeIn.filter(status=TradeInStatus.COMPLETED).count() == ACCOUNTS
    assert await AuditEvent.filter(action="trade_in.grace_expired").count() == ACCOUNTS
    sources = [t.source for t in await TradeIn.all().prefetch_related("source")]
    assert [s.status for s in sources] == [SubscriptionStatus.REPLACED] * ACCOUNTS

    # And every email is delivered, each exactly once, and no outbox row is left pending
    async def settled() -> bool:
        return not await OutboxMessage.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.ENQUEUED]
        ).exists()

    await _poll(settled, 90, "outbox rows still pending after 90 s")
    done = await OutboxMessage.filter(status=OutboxStatus.DONE).count()
    assert await OutboxMessage.filter(status=OutboxStatus.FAILED).count() == 0
    message_ids = Counter(str(m.message["Message-ID"]) for m in topology.smtp.received)
    assert [mid for mid, n in message_ids.items() if n > 1] == []
    # Download emails: 5 assigned and 3 moved from LT per account; trade-in started and
    # grace expired: one each per account admin
    assert done == len(message_ids) == ACCOUNTS * (FREE_SEATS + 3 + 1 + 1)


async def _expire(env: dict[str, str], as_of: dt.date) -> str:
    """`python -m app jobs run expire-grace-periods --as-of DAY` in its own process; its
    summary line. Fails the test when the command fails."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "jobs",
        "run",
        "expire-grace-periods",
        "--as-of",
        as_of.isoformat(),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode().strip()


def _completed(summary: str) -> int:
    """The trade-ins a run completed, from its summary ("expire-grace-periods: 3 trade-ins
    completed, ...": 0 when the other run took them all)."""
    return int(summary.split(": ", 1)[1].split(maxsplit=1)[0].replace(",", ""))


async def _seat_use() -> list[tuple[str, int, int]]:
    """(subscription, seats, active seats) of every subscription."""
    rows = await SeatAssignment.filter(unassigned_at=None).values_list(
        "subscription_id", "subscription__seats"
    )
    taken = Counter((str(s), seats) for s, seats in rows)
    return [(s, seats, n) for (s, seats), n in taken.items()]
