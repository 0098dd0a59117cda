"""SQLite timestamps are read back with `datetime.fromisoformat` (infra.db.parse_timestamp)
instead of iso8601, with the same values: aware, in UTC, spelled the same by `isoformat()`."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
import tortoise.fields.data
from iso8601 import parse_date

from infra.db import parse_timestamp
from models import SeatAssignment
from tests.support import factories as f

ISO8601 = functools.partial(parse_date, default_timezone=None)

# What Tortoise writes to SQLite (`isoformat(" ")`) and what older rows or other writers hold.
SPELLINGS = [
    "2026-11-02 09:00:00+00:00",
    "2026-11-02 09:00:00.123456+00:00",
    "2026-11-02 09:00:00.000001+00:00",
    "2026-11-02 11:00:00+02:00",
    "2026-11-02 04:30:00-04:30",
    "2026-11-02T09:00:00Z",
    "2026-11-02 09:00:00",
    "2026-11-02",
]


def test_tortoise_reads_timestamps_through_fromisoformat() -> None:
    # Given infra.db imported (every entry point does)
    # Then Tortoise's DatetimeField and DateField parse with it
    assert vars(tortoise.fields.data)["parse_datetime"] is parse_timestamp


@pytest.mark.parametrize("text", SPELLINGS)
def test_parse_is_iso8601s_value(text: str) -> None:
    # When a stored spelling is parsed
    parsed = parse_timestamp(text)
    # Then it is the instant iso8601 gives, with the same offset (or naive when it was)
    expected = ISO8601(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()
    assert parsed.isoformat() == expected.isoformat()


def test_spellings_fromisoformat_refuses_still_parse() -> None:
    # Given a spelling iso8601 accepts and fromisoformat refuses (a year and month)
    with pytest.raises(ValueError, match="Invalid isoformat"):
        dt.datetime.fromisoformat("2026-12")
    # Then it still parses, as before
    assert parse_timestamp("2026-12") == dt.datetime(2026, 12, 1)


@pytest.mark.parametrize(
    "written",
    [
        dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 2, 9, 0, 0, 250, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ],
)
async def test_sqlite_reads_back_aware_utc(db: str, written: dt.datetime) -> None:
    # Given a seat assigned at a moment, possibly written with another offset
    acme = await f.account()
    alice = await f.user()
    await f.member(acme, alice)
    acd = await f.subscription(await f.contract(acme))
    seat = await f.assign(acd, alice, at=written)
    # When it is read back as a row and as a model
    [row] = await SeatAssignment.filter(id=seat.id).values("assigned_at", "unassigned_at")
    model = await SeatAssignment.get(id=seat.id)
    # Then it is the same instant, in UTC, spelled with +00:00 as the API has always shown it
    for value in (row["assigned_at"], model.assigned_at):
        assert value == written
        assert str(value.tzinfo) == "UTC"
        assert value.isoformat() == written.astimezone(dt.UTC).isoformat()
    assert row["unassigned_at"] is None
