"""The account event feed of an API process (schema/live.py) on a real database: each
committed fact told once to each follower of its account, from the time they joined, and a
follower too far behind dropped. Ticks are run by the tests (no waiting)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from domain.account_events import AccountEventKind
from models import Account, AuditEvent
from schema.live import AccountEventFeed, FollowerTooSlow
from tests.support import factories


async def change(account: Account, action: str = "seat.assigned", **fields: Any) -> AuditEvent:
    return await AuditEvent.create(
        account_id=account.id,
        actor="user:test",
        action=action,
        subject_type="ProductSubscription",
        subject_id="7f1e6a8c-0000-4000-8000-000000000001",
        **fields,
    )


@pytest.fixture
async def acme(db: str) -> Account:
    return await factories.account(name="Acme")


async def test_a_fact_read_again_is_told_once(acme: Account) -> None:
    # Given a follower of Acme and one change of Acme
    feed = AccountEventFeed()
    async with feed.follow(acme.id) as follower:
        audit = await change(acme)
        # When the feed reads twice (the second read returns the change again)
        await feed.tick()
        await feed.tick()
        # Then the follower was told once
        assert follower.backlog == 1
        fact = await anext(aiter(follower))
    assert (fact.key, fact.kind, fact.action, fact.account_id) == (
        f"audit:{audit.id}",
        AccountEventKind.SEATS_CHANGED,
        "seat.assigned",
        acme.id,
    )
    await feed.close()


async def test_what_happened_before_joining_is_not_told(acme: Account) -> None:
    # Given a change of Acme a minute ago (beyond the feed's slack)
    await change(acme, created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    feed = AccountEventFeed()
    async with feed.follow(acme.id) as follower:
        # When the feed reads
        await feed.tick()
        # Then nothing is told
        assert follower.backlog == 0
    await feed.close()


async def test_a_follower_is_told_of_its_own_account_only(acme: Account) -> None:
    # Given followers of Acme and of Globex, and a change of Globex
    globex = await factories.account(name="Globex")
    feed = AccountEventFeed()
    async with feed.follow(acme.id) as acme_follower, feed.follow(globex.id) as globex_follower:
        await change(globex)
        # When the feed reads
        await feed.tick()
        # Then only Globex's follower is told
        assert (acme_follower.backlog, globex_follower.backlog) == (0, 1)
    await feed.close()


async def test_a_follower_too_far_behind_is_dropped(acme: Account) -> None:
    # Given a feed keeping 2 facts per follower, and 3 changes of Acme
    feed = AccountEventFeed(max_backlog=2)
    async with feed.follow(acme.id) as follower:
        for _ in range(3):
            await change(acme)
        # When the feed reads them all before the follower takes any
        await feed.tick()
        # Then the follower gets the first 2, then is told it was dropped
        facts = aiter(follower)
        await anext(facts)
        await anext(facts)
        with pytest.raises(FollowerTooSlow, match="more than 2 events behind"):
            await anext(facts)
    await feed.close()


async def test_the_feed_reads_only_while_somebody_follows(acme: Account) -> None:
    # Given a follower who joined and left
    feed = AccountEventFeed(interval=0.01)
    async with feed.follow(acme.id):
        assert feed.followed == frozenset({acme.id})
    # Then no account is followed and the reading task ends by itself
    assert feed.followed == frozenset()
    assert feed._task is not None
    await feed._task
    await feed.close()


async def test_a_late_follower_is_not_told_what_happened_before_it_joined(
    acme: Account,
) -> None:
    # Given Ann following Acme since 8 s ago, and Ben who joins now
    now = dt.datetime.now(dt.UTC)
    instant = {"now": (now - dt.timedelta(seconds=8)).timestamp()}
    feed = AccountEventFeed(clock=lambda: instant["now"])
    async with feed.follow(acme.id) as ann:
        instant["now"] = now.timestamp()
        async with feed.follow(acme.id) as ben:
            # And a change of 5 s ago that the feed has not read yet (committed late)
            await change(acme, created_at=now - dt.timedelta(seconds=5))
            # When the feed reads
            await feed.tick()
            # Then Ann, who followed then, is told; Ben, who joined after it, is not
            assert (ann.backlog, ben.backlog) == (1, 0)
    await feed.close()
