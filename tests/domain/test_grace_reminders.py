"""Reminders 7 days and 1 day before a grace period ends (domain.grace_reminders): once
each, to the admins, naming the users still only on the old subscription."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from domain.grace_reminders import days_left, reminder_due, send_grace_reminders
from models import OutboxMessage, TradeIn
from models.enums import TradeInStatus
from tests.support.grace import ENDS, in_grace

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
MINUTES = dt.timedelta(minutes=5)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("db" if request.param == "sqlite" else "pg_empty_db")
    return url


# The decision ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before_end", "sent", "due"),
    [
        (8 * DAY, {}, None),  # too early
        (7 * DAY + MINUTES, {}, None),
        (7 * DAY, {}, 7),
        (7 * DAY - MINUTES, {}, 7),
        (5 * DAY, {}, 7),  # the T-7 run was missed: still sent at T-5
        (5 * DAY, {7: True}, None),
        (DAY + MINUTES, {7: True}, None),
        (DAY, {7: True}, 1),
        (12 * HOUR, {}, 1),  # both missed: only the latest
        (12 * HOUR, {1: True}, None),
        (MINUTES, {7: True}, 1),
        (dt.timedelta(0), {}, None),  # over: the expiry's turn
        (-DAY, {}, None),
    ],
)
def test_which_reminder_is_due(before_end: dt.timedelta, sent: dict[int, bool], due: int) -> None:
    assert reminder_due(ENDS, as_of=ENDS - before_end, sent=sent) == due


@pytest.mark.parametrize(
    ("before_end", "days"),
    [(7 * DAY, 7), (7 * DAY - MINUTES, 7), (5 * DAY - HOUR, 5), (DAY - MINUTES, 1), (MINUTES, 1)],
)
def test_days_left_are_rounded_up(before_end: dt.timedelta, days: int) -> None:
    assert days_left(ENDS, as_of=ENDS - before_end) == days


# The command --------------------------------------------------------------------------


async def _reminders() -> list[tuple[str, str, int, list[str]]]:
    rows = await OutboxMessage.filter(name="grace_reminder").order_by("created_at", "recipient")
    return [
        (
            r.recipient or "",
            r.dedupe_key,
            int(r.payload["days_left"]),
            [u["name"] for u in r.payload["users_remaining"]],
        )
        for r in rows
    ]


async def test_reminders_go_out_at_t7_and_t1_once_each(any_db: str) -> None:
    # Given a trade-in in grace where Cleo already moved, Ann and Bob did not
    world = await in_grace()
    alice, zoe = world.admins
    key = f"grace_reminder:{world.trade_in.id}"
    # When the job runs eight days before the end: nothing is due yet
    assert (await send_grace_reminders(as_of=ENDS - 8 * DAY)).reminded == 0
    # When it runs at T-7 (a few minutes after) and again an hour later
    at_7 = ENDS - 7 * DAY + MINUTES
    first = await send_grace_reminders(as_of=at_7)
    again = await send_grace_reminders(as_of=at_7 + HOUR)
    # Then each admin got one 7-day reminder naming Ann and Bob, and the second run sent nothing
    assert (first.reminded, first.emails, again.reminded, again.emails) == (1, 2, 0, 0)
    assert await _reminders() == [
        (alice.email, f"{key}:7:{alice.id}", 7, ["Ann Lee", "Bob Martin"]),
        (zoe.email, f"{key}:7:{zoe.id}", 7, ["Ann Lee", "Bob Martin"]),
    ]
    assert (await TradeIn.get(id=world.trade_in.id)).reminder_7d_sent_at == at_7
    # When it runs at T-1 and again later that day
    at_1 = ENDS - DAY + MINUTES
    last = await send_grace_reminders(as_of=at_1)
    await send_grace_reminders(as_of=at_1 + 12 * HOUR)
    # Then each admin got one 1-day reminder, and that is all
    assert (last.reminded, last.emails) == (1, 2)
    assert (await _reminders())[2:] == [
        (alice.email, f"{key}:1:{alice.id}", 1, ["Ann Lee", "Bob Martin"]),
        (zoe.email, f"{key}:1:{zoe.id}", 1, ["Ann Lee", "Bob Martin"]),
    ]
    assert (await TradeIn.get(id=world.trade_in.id)).reminder_1d_sent_at == at_1


async def test_the_reminder_says_everything_the_template_needs(any_db: str) -> None:
    world = await in_grace(users=("Bob Martin",), moved=())
    await send_grace_reminders(as_of=ENDS - 7 * DAY)
    alice, zoe = world.admins
    rows = await OutboxMessage.all().order_by("recipient")
    tag = world.account.name.split()[-1]
    common = {
        "account_name": world.account.name,
        "contract_number": f"C-GRACE-{tag}",
        "source_product": "AutoCAD LT",
        "target_product": "AutoCAD",
        "grace_ends_at": ENDS.isoformat(),
        "days_left": 7,
        "users_remaining": [{"name": "Bob Martin", "email": f"bob.{tag}@acme.example"}],
    }
    assert [r.payload for r in rows] == [
        {"admin_name": alice.name, **common, "locale": "en"},
        {"admin_name": zoe.name, **common, "locale": "fr"},
    ]
    assert [r.available_at for r in rows] == [ENDS - 7 * DAY] * 2


async def test_a_missed_t7_run_still_reminds_later_with_the_days_actually_left(any_db: str) -> None:
    world = await in_grace()
    # When the first run after T-7 comes at T-5 (an hour short of five days)
    report = await send_grace_reminders(as_of=ENDS - 5 * DAY + HOUR)
    # Then the 7-day reminder goes out, saying 5 days
    assert report.emails == 2
    assert {(d, days) for _, d, days, _ in await _reminders()} == {
        (f"grace_reminder:{world.trade_in.id}:7:{a.id}", 5) for a in world.admins
    }


async def test_when_both_were_missed_only_the_1_day_reminder_goes_out(any_db: str) -> None:
    world = await in_grace()
    # When the first run comes twelve hours before the end, then another six hours later
    await send_grace_reminders(as_of=ENDS - 12 * HOUR)
    await send_grace_reminders(as_of=ENDS - 6 * HOUR)
    # Then only the 1-day reminder went out, once per admin
    assert [(d, days) for _, d, days, _ in await _reminders()] == [
        (f"grace_reminder:{world.trade_in.id}:1:{a.id}", 1) for a in world.admins
    ]
    trade_in = await TradeIn.get(id=world.trade_in.id)
    assert (trade_in.reminder_7d_sent_at, trade_in.reminder_1d_sent_at) == (
        None,
        ENDS - 12 * HOUR,
    )


async def test_no_reminder_when_every_user_has_moved(any_db: str) -> None:
    # Given a trade-in whose users all have a seat on the new subscription too
    world = await in_grace(moved=("Bob Martin", "Ann Lee", "Cleo Diaz"))
    # When the reminders run at T-7 and T-1
    await send_grace_reminders(as_of=ENDS - 7 * DAY)
    await send_grace_reminders(as_of=ENDS - DAY)
    # Then no email, and no reminder recorded
    assert await OutboxMessage.all().count() == 0
    trade_in = await TradeIn.get(id=world.trade_in.id)
    assert (trade_in.reminder_7d_sent_at, trade_in.reminder_1d_sent_at) == (None, None)


@pytest.mark.parametrize(
    "status",
    [
        TradeInStatus.COMPLETED,
        TradeInStatus.CANCELLED,
        TradeInStatus.DECLINED,
        TradeInStatus.AWAITING_PARTNER,
    ],
)
async def test_no_reminder_for_a_trade_in_not_in_grace(any_db: str, status: TradeInStatus) -> None:
    await in_grace(status=status)
    for as_of in (ENDS - 7 * DAY, ENDS - DAY):
        assert (await send_grace_reminders(as_of=as_of)).emails == 0
    assert await OutboxMessage.all().count() == 0


async def test_reminders_read_in_batches_reach_every_due_trade_in(any_db: str) -> None:
    # Given five trade-ins due for their 7-day reminder, two of them with nobody left to move
    worlds = [await in_grace(users=("Ann Lee",), moved=()) for _ in range(3)]
    worlds += [await in_grace(users=("Ann Lee",), moved=("Ann Lee",)) for _ in range(2)]
    # When the reminders run two trade-ins per transaction
    report = await send_grace_reminders(as_of=ENDS - 7 * DAY, batch_size=2)
    # Then the three with someone left are reminded, each admin once
    assert (report.reminded, report.emails) == (3, 6)
    reminded = set(
        await TradeIn.filter(reminder_7d_sent_at__not_isnull=True).values_list("id", flat=True)
    )
    assert reminded == {w.trade_in.id for w in worlds[:3]}


@pytest.mark.postgres
async def test_two_concurrent_reminder_runs_send_each_reminder_once(pg_empty_db: str) -> None:
    # Given eight trade-ins due for their 7-day reminder
    for _ in range(8):
        await in_grace(users=("Ann Lee",), moved=())
    # When two runs (each on its own connection) work at once, two trade-ins per batch
    first, second = await asyncio.gather(
        send_grace_reminders(as_of=ENDS - 7 * DAY, batch_size=2),
        send_grace_reminders(as_of=ENDS - 7 * DAY, batch_size=2),
    )
    # Then each trade-in was reminded once, each admin emailed once
    assert first.reminded + second.reminded == 8
    assert first.emails + second.emails == 16
    keys = await OutboxMessage.all().values_list("dedupe_key", flat=True)
    assert len(keys) == len(set(keys)) == 16
