"""Grace-period expiry (domain.grace_expiry) on SQLite and PostgreSQL: due trade-ins are
completed once, with their seats, source, audit events and emails; nothing else moves."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from domain import grace_expiry
from domain.grace_expiry import ExpiryReport, expire_grace_periods
from models import AuditEvent, OutboxMessage, ProductSubscription, SeatAssignment, TradeIn
from models.enums import OutboxStatus, SubscriptionStatus, TradeInStatus, UnassignReason
from tests.support.grace import ENDS, InGrace, in_grace

AS_OF = ENDS + dt.timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> str:
    """The test runs once on SQLite and once on PostgreSQL."""
    url: str = request.getfixturevalue("db" if request.param == "sqlite" else "pg_empty_db")
    return url


async def _seats(subscription: ProductSubscription) -> list[tuple[str, Any, Any]]:
    rows = await SeatAssignment.filter(subscription_id=subscription.id).values_list(
        "user__name", "unassigned_at", "unassign_reason"
    )
    return sorted((str(name), at, reason) for name, at, reason in rows)


async def test_due_trade_ins_are_completed_and_only_those(any_db: str) -> None:
    # Given a trade-in whose grace period ended an hour ago and one that ends tomorrow
    due = await in_grace()
    later = await in_grace(ends=AS_OF + dt.timedelta(days=1))
    # When the expiry runs
    report = await expire_grace_periods(as_of=AS_OF)
    # Then the due trade-in is completed, with its three source seats and two emails
    assert (report.trade_ins, report.seats, report.emails) == (1, 3, 2)
    assert report.completed == [due.trade_in.id]
    done = await TradeIn.get(id=due.trade_in.id)
    assert (done.status, done.completed_at) == (TradeInStatus.COMPLETED, AS_OF)
    assert (await ProductSubscription.get(id=due.source.id)).status is SubscriptionStatus.REPLACED
    ended = (AS_OF, UnassignReason.GRACE_EXPIRED)
    assert await _seats(due.source) == [
        ("Ann Lee", *ended),
        ("Bob Martin", *ended),
        ("Cleo Diaz", *ended),
    ]
    # and the new subscription keeps its seat and status
    assert await _seats(due.target) == [("Cleo Diaz", None, None)]
    assert (await ProductSubscription.get(id=due.target.id)).status is SubscriptionStatus.ACTIVE
    # And the trade-in not yet due is untouched
    waiting = await TradeIn.get(id=later.trade_in.id)
    assert (waiting.status, waiting.completed_at) == (TradeInStatus.IN_GRACE, None)
    assert (await ProductSubscription.get(id=later.source.id)).status is SubscriptionStatus.IN_GRACE
    assert [s[1:] for s in await _seats(later.source)] == [(None, None)] * 3
    assert await OutboxMessage.filter(dedupe_key__contains=str(later.trade_in.id)).count() == 0


async def test_the_audit_event_names_the_users_whose_seats_ended(any_db: str) -> None:
    world = await in_grace()
    await expire_grace_periods(as_of=AS_OF)
    [event] = await AuditEvent.all()
    users = world.users
    assert (event.account_id, event.actor, event.action, event.subject_type, event.subject_id) == (
        world.account.id,
        "system:grace-expiry",
        "trade_in.grace_expired",
        "TradeIn",
        str(world.trade_in.id),
    )
    assert event.created_at == AS_OF
    assert event.data == {
        "source_id": str(world.source.id),
        "target_id": str(world.target.id),
        "grace_ends_at": ENDS.isoformat(),
        "source_status": "REPLACED",
        "reason": "GRACE_EXPIRED",
        "users": sorted(str(u.id) for u in users.values()),
        "lost_access": [str(users["Ann Lee"].id), str(users["Bob Martin"].id)],
    }


async def test_each_admin_is_emailed_who_lost_access_and_what_they_have_now(any_db: str) -> None:
    # Given a trade-in where Cleo already moved to the new subscription
    world = await in_grace()
    # When it expires
    await expire_grace_periods(as_of=AS_OF)
    # Then each admin gets one email, in their language, naming Ann and Bob (not Cleo)
    rows = await OutboxMessage.all().order_by("recipient")
    alice, zoe = world.admins
    tag = world.account.name.split()[-1]
    assert [(r.name, r.recipient, r.dedupe_key, r.status) for r in rows] == [
        ("grace_expired", alice.email, f"grace_expired:{world.trade_in.id}:{alice.id}", "PENDING"),
        ("grace_expired", zoe.email, f"grace_expired:{world.trade_in.id}:{zoe.id}", "PENDING"),
    ]
    assert all(r.available_at == AS_OF and r.attempts == 0 for r in rows)
    # (the account's emails: its emailDeliveries list them)
    assert [r.account_id for r in rows] == [world.account.id] * 2
    common = {
        "account_name": world.account.name,
        "trade_ins": [
            {
                "contract_number": f"C-GRACE-{tag}",
                "source_product": "AutoCAD LT",
                "target_product": "AutoCAD",
                "grace_ended_at": ENDS.isoformat(),
                "users_removed": [
                    {"name": "Ann Lee", "email": f"ann.{tag}@acme.example"},
                    {"name": "Bob Martin", "email": f"bob.{tag}@acme.example"},
                ],
            }
        ],
    }
    assert rows[0].payload == {"admin_name": alice.name, **common, "locale": "en"}
    assert rows[1].payload == {"admin_name": zoe.name, **common, "locale": "fr"}


def _listed(world: InGrace, ends: dt.datetime, *lost: str) -> dict[str, Any]:
    """A trade-in as its admins' email lists it."""
    return {
        "contract_number": f"C-GRACE-{world.tag}",
        "source_product": "AutoCAD LT",
        "target_product": "AutoCAD",
        "grace_ended_at": ends.isoformat(),
        "users_removed": [
            {"name": name, "email": f"{name.split()[0].lower()}.{world.tag}@acme.example"}
            for name in lost
        ],
    }


async def test_an_accounts_trade_ins_of_one_batch_share_one_email_per_admin(
    any_db: str,
) -> None:
    # Given three due trade-ins of one account (deadlines an hour apart, the middle one
    # with nobody left) and one of another account
    later = await in_grace(users=("Ann Lee",), moved=())
    earliest = await in_grace(
        ends=ENDS - dt.timedelta(hours=2), users=("Bob Martin",), moved=(), account_of=later
    )
    middle = await in_grace(ends=ENDS - dt.timedelta(hours=1), users=(), account_of=later)
    other = await in_grace(users=("Cleo Diaz",), moved=())
    # When the expiry completes them in one batch
    report = await expire_grace_periods(as_of=AS_OF)
    # Then each admin of each account gets one email, listing the account's trade-ins by
    # deadline, keyed by the first of them
    assert (report.trade_ins, report.seats, report.emails) == (4, 3, 4)
    rows = await OutboxMessage.all().order_by("recipient")
    alice, zoe = later.admins
    assert [(r.recipient, r.dedupe_key) for r in rows] == [
        (alice.email, f"grace_expired:{earliest.trade_in.id}:{alice.id}"),
        (other.admins[0].email, f"grace_expired:{other.trade_in.id}:{other.admins[0].id}"),
        (zoe.email, f"grace_expired:{earliest.trade_in.id}:{zoe.id}"),
        (other.admins[1].email, f"grace_expired:{other.trade_in.id}:{other.admins[1].id}"),
    ]
    listed = [
        _listed(earliest, ENDS - dt.timedelta(hours=2), "Bob Martin"),
        _listed(middle, ENDS - dt.timedelta(hours=1)),
        _listed(later, ENDS, "Ann Lee"),
    ]
    assert rows[0].payload == {
        "admin_name": alice.name,
        "account_name": later.account.name,
        "trade_ins": listed,
        "locale": "en",
    }
    assert rows[2].payload["trade_ins"] == listed
    assert rows[1].payload["trade_ins"] == [_listed(other, ENDS, "Cleo Diaz")]
    # and each trade-in still has its own audit event
    assert await AuditEvent.all().count() == 4


async def test_an_accounts_trade_ins_split_over_two_batches_get_an_email_each(
    any_db: str,
) -> None:
    # Given two due trade-ins of one account
    later = await in_grace(users=("Ann Lee",), moved=())
    earlier = await in_grace(
        ends=ENDS - dt.timedelta(hours=1), users=("Bob Martin",), moved=(), account_of=later
    )
    # When a run completes them in batches of one
    report = await expire_grace_periods(as_of=AS_OF, batch_size=1)
    # Then each batch wrote its own email to each admin, naming its trade-in
    assert report.emails == 4
    alice = later.admins[0]
    rows = await OutboxMessage.filter(recipient=alice.email).order_by("created_at", "dedupe_key")
    keys = {r.dedupe_key: r.payload["trade_ins"] for r in rows}
    assert keys == {
        f"grace_expired:{earlier.trade_in.id}:{alice.id}": [
            _listed(earlier, ENDS - dt.timedelta(hours=1), "Bob Martin")
        ],
        f"grace_expired:{later.trade_in.id}:{alice.id}": [_listed(later, ENDS, "Ann Lee")],
    }


async def test_deadlines_with_microseconds_are_written_as_python_writes_them(any_db: str) -> None:
    ends = ENDS - dt.timedelta(seconds=1, microseconds=500_000)
    await in_grace(ends=ends, users=("Ann Lee",), moved=())
    await expire_grace_periods(as_of=AS_OF)
    [event] = await AuditEvent.all()
    assert event.data["grace_ends_at"] == "2026-12-02T08:59:58.500000+00:00" == ends.isoformat()
    rows = await OutboxMessage.all()
    assert [r.payload["trade_ins"][0]["grace_ended_at"] for r in rows] == [ends.isoformat()] * 2


async def test_a_second_run_does_nothing(any_db: str) -> None:
    await in_grace()
    first = await expire_grace_periods(as_of=AS_OF)
    assert (first.trade_ins, first.seats, first.emails) == (1, 3, 2)
    # When it runs again, even later
    again = await expire_grace_periods(as_of=AS_OF + dt.timedelta(days=3))
    # Then nothing more happens
    assert (again.trade_ins, again.seats, again.emails) == (0, 0, 0)
    assert await OutboxMessage.all().count() == 2
    assert await AuditEvent.all().count() == 1
    completed_at = await TradeIn.all().values_list("completed_at", flat=True)
    assert completed_at == [AS_OF]


@pytest.mark.parametrize(
    "status", [TradeInStatus.COMPLETED, TradeInStatus.DECLINED, TradeInStatus.CANCELLED]
)
async def test_a_trade_in_not_in_grace_is_never_expired(any_db: str, status: TradeInStatus) -> None:
    # Given a trade-in past its deadline that is no longer in grace
    world = await in_grace(status=status)
    # When the expiry runs
    report = await expire_grace_periods(as_of=AS_OF)
    # Then it is left as it is
    assert report.trade_ins == 0
    assert (await TradeIn.get(id=world.trade_in.id)).status is status
    assert (await ProductSubscription.get(id=world.source.id)).status is SubscriptionStatus.ACTIVE
    assert [s[1:] for s in await _seats(world.source)] == [(None, None)] * 3
    assert await OutboxMessage.all().count() == 0


async def test_trade_ins_are_completed_in_batches_oldest_deadline_first(any_db: str) -> None:
    # Given five due trade-ins, their deadlines an hour apart
    worlds = [
        await in_grace(ends=ENDS - dt.timedelta(hours=h), users=("Ann Lee",), moved=())
        for h in range(5)
    ]
    seen: list[tuple[int, int, int]] = []
    # When the expiry runs in batches of two
    report = await expire_grace_periods(
        as_of=AS_OF,
        batch_size=2,
        on_batch=lambda r: seen.append((r.trade_ins, r.seats, r.emails)),
    )
    # Then it reports after each batch, and completes the oldest deadlines first
    assert seen == [(2, 2, 4), (4, 4, 8), (5, 5, 10)]
    assert report.completed == [w.trade_in.id for w in reversed(worlds)]


async def test_a_run_told_to_stop_leaves_the_rest_for_the_next(any_db: str) -> None:
    for h in range(3):
        await in_grace(ends=ENDS - dt.timedelta(hours=h), users=("Ann Lee",), moved=())
    calls = iter([True, False])
    report = await expire_grace_periods(as_of=AS_OF, batch_size=2, keep_going=lambda: next(calls))
    assert report.trade_ins == 2
    assert await TradeIn.filter(status=TradeInStatus.IN_GRACE).count() == 1
    rest = await expire_grace_periods(as_of=AS_OF, batch_size=2)
    assert rest.trade_ins == 1


async def test_a_failure_in_batch_two_keeps_batch_one_and_the_next_run_finishes(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given four due trade-ins, and a failure injected in the second batch, after its claim
    worlds = [
        await in_grace(ends=ENDS - dt.timedelta(hours=h), users=("Ann Lee", "Bob Martin"), moved=())
        for h in range(4)
    ]
    real = grace_expiry._replace_sources
    calls = 0

    async def failing_second_time(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        await real(*args, **kwargs)

    monkeypatch.setattr("domain.grace_expiry._replace_sources", failing_second_time)
    # When the run fails in its second batch
    with pytest.raises(RuntimeError, match="disk full"):
        await expire_grace_periods(as_of=AS_OF, batch_size=2)
    # Then the first batch is done and the second left whole for the next run
    first, second = (
        [w.trade_in.id for w in reversed(worlds)][:2],
        [w.trade_in.id for w in reversed(worlds)][2:],
    )
    statuses = dict(await TradeIn.all().values_list("id", "status"))
    assert [statuses[i] for i in first + second] == ["COMPLETED"] * 2 + ["IN_GRACE"] * 2
    assert await SeatAssignment.filter(unassigned_at=None).count() == 4
    assert await OutboxMessage.all().count() == 4
    # When the next run comes
    monkeypatch.setattr("domain.grace_expiry._replace_sources", real)
    report = await expire_grace_periods(as_of=AS_OF, batch_size=2)
    # Then it finishes the rest, and nothing was done twice
    assert (report.trade_ins, report.seats, report.emails) == (2, 4, 4)
    assert report.completed == second
    assert await TradeIn.filter(status=TradeInStatus.COMPLETED).count() == 4
    assert await OutboxMessage.all().count() == 8
    assert await AuditEvent.all().count() == 4
    assert await SeatAssignment.filter(unassigned_at=None).count() == 0


@pytest.mark.postgres
async def test_two_concurrent_runs_complete_each_trade_in_exactly_once(pg_empty_db: str) -> None:
    # Given 20 due trade-ins
    worlds = [
        await in_grace(ends=ENDS - dt.timedelta(minutes=m), users=("Ann Lee",), moved=())
        for m in range(20)
    ]
    # When two runs (each on its own connection) work at once, in batches of three
    first, second = await asyncio.gather(
        expire_grace_periods(as_of=AS_OF, batch_size=3),
        expire_grace_periods(as_of=AS_OF, batch_size=3),
    )
    # Then between them every trade-in was completed once, and each email row written once
    both = first.completed + second.completed
    assert sorted(both) == sorted(w.trade_in.id for w in worlds)
    assert first.trade_ins + second.trade_ins == 20
    assert first.emails + second.emails == 40
    assert await OutboxMessage.filter(status=OutboxStatus.PENDING).count() == 40
    assert await AuditEvent.all().count() == 20
    assert await TradeIn.filter(status=TradeInStatus.COMPLETED).count() == 20


async def test_lanes_complete_each_trade_in_exactly_once(any_db: str) -> None:
    # Given seven due trade-ins
    worlds = [
        await in_grace(ends=ENDS - dt.timedelta(minutes=m), users=("Ann Lee",), moved=())
        for m in range(7)
    ]
    totals: list[int] = []
    # When one run works three batches of two at once
    report = await expire_grace_periods(
        as_of=AS_OF, batch_size=2, lanes=3, on_batch=lambda r: totals.append(r.trade_ins)
    )
    # Then every trade-in was completed once, and the run told the running total per batch
    assert sorted(report.completed) == sorted(w.trade_in.id for w in worlds)
    assert (report.trade_ins, report.seats, report.emails) == (7, 7, 14)
    assert (len(totals), totals[-1]) == (4, 7)
    assert await TradeIn.filter(status=TradeInStatus.COMPLETED).count() == 7
    assert await OutboxMessage.all().count() == 14
    assert await AuditEvent.all().count() == 7
    assert await SeatAssignment.filter(unassigned_at=None).count() == 0


async def test_lanes_work_at_once_on_postgres_and_one_at_a_time_on_sqlite(
    any_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given six due trade-ins
    for m in range(6):
        await in_grace(ends=ENDS - dt.timedelta(minutes=m), users=("Ann Lee",), moved=())
    real = grace_expiry.expire_batch
    running, most = 0, 0

    async def counted(**kwargs: Any) -> ExpiryReport:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            return await real(**kwargs)
        finally:
            running -= 1

    monkeypatch.setattr("domain.grace_expiry.expire_batch", counted)
    # When a run of three lanes works batches of one
    report = await expire_grace_periods(as_of=AS_OF, batch_size=1, lanes=3)
    # Then all three batches were under way at once on PostgreSQL; SQLite (one writer)
    # had one lane
    assert report.trade_ins == 6
    assert most == (3 if any_db.startswith("postgres") else 1)


@pytest.mark.postgres
async def test_a_failing_lane_stops_the_other_lanes(
    pg_empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given due trade-ins, and a run of two lanes whose first batch fails while the other
    # lane's batch is under way (held at the same step)
    for m in range(4):
        await in_grace(ends=ENDS - dt.timedelta(minutes=m), users=("Ann Lee",), moved=())
    calls = 0

    async def fail_first_hold_others(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        await asyncio.Event().wait()  # never set: only a cancellation ends it

    monkeypatch.setattr("domain.grace_expiry._replace_sources", fail_first_hold_others)
    # When the run fails
    with pytest.raises(RuntimeError, match="disk full"):
        await expire_grace_periods(as_of=AS_OF, batch_size=1, lanes=2)
    # Then no lane is left running after it, and the batches under way were rolled back
    names = [getattr(t.get_coro(), "__qualname__", "") for t in asyncio.all_tasks()]
    assert [n for n in names if n.startswith("expire_grace_periods")] == []
    assert await TradeIn.filter(status=TradeInStatus.IN_GRACE).count() == 4


def test_the_summary_counts_in_words() -> None:
    assert ExpiryReport(1, 1, 1).summary() == "1 trade-in completed, 1 seat removed, 1 email queued"
    assert ExpiryReport(100_000, 300_000, 200_000).summary() == (
        "100,000 trade-ins completed, 300,000 seats removed, 200,000 emails queued"
    )


async def test_a_run_as_of_a_later_day_makes_its_emails_due_when_it_runs(any_db: str) -> None:
    # Given a trade-in whose grace period ends tomorrow, and a rehearsal run today as of the
    # day after tomorrow (`jobs run expire-grace-periods --as-of ...`)
    await in_grace()
    today = AS_OF - dt.timedelta(days=2)
    # When it runs
    await expire_grace_periods(as_of=AS_OF, now=today)
    # Then the trade-in is completed as of that day, and the admins' emails are due now,
    # not held back until then
    [completed] = await TradeIn.all().values_list("completed_at", flat=True)
    assert completed == AS_OF
    assert [r.available_at for r in await OutboxMessage.all()] == [today, today]
