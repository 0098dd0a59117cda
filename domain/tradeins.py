"""Trade-ins: which states count as open (the upgrade rules), and how far a trade-in in
grace has come (the guided steps of its journey). Pure functions; `now` is a parameter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Set
from dataclasses import dataclass
from uuid import UUID

from models.enums import TradeInStatus

# A subscription in one of these trade-ins cannot start another: the request waits for its
# partner, or the grace period runs.
OPEN_STATUSES = (TradeInStatus.AWAITING_PARTNER, TradeInStatus.IN_GRACE)

ASSIGN_STEP = "Assign users on the new subscription"
REMOVE_STEP = "Remove them from the original subscription"


def days_left(
    status: TradeInStatus, grace_ends_at: dt.datetime | None, *, now: dt.datetime
) -> int | None:
    """Days left until the grace end, counting a started day (30 right after a 30-day
    grace began, 1 on its last day, as people read a countdown), 0 once it ended; None when
    the trade-in is not in grace."""
    if status is not TradeInStatus.IN_GRACE or grace_ends_at is None:
        return None
    left = grace_ends_at - now
    return max(-(-left // dt.timedelta(days=1)), 0)


@dataclass(frozen=True)
class TransitionSeats:
    """The seats a trade-in's journey counts: users with an active seat on the source, users
    whose source seat ended since the trade-in started, users with an active seat on the
    target."""

    on_source: Set[UUID]
    left_source: Set[UUID]
    on_target: Set[UUID]


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    optional: bool
    done: int
    total: int

    @property
    def remaining(self) -> int:
        return self.total - self.done


@dataclass(frozen=True)
class Transition:
    steps: tuple[Step, Step]
    only_on_old: int
    moved: int


def transition(seats: TransitionSeats) -> Transition:
    """Step 1: the source's users assigned on the target, out of the source's users (those
    on it now, and those who left it for the target since the start). Step 2 (optional):
    the moved users removed from the source, out of the moved users."""
    of_source = set(seats.on_source) | (set(seats.left_source) & set(seats.on_target))
    moved = of_source & set(seats.on_target)
    still_on_source = moved & set(seats.on_source)
    return Transition(
        steps=(
            Step(1, ASSIGN_STEP, optional=False, done=len(moved), total=len(of_source)),
            Step(
                2,
                REMOVE_STEP,
                optional=True,
                done=len(moved) - len(still_on_source),
                total=len(moved),
            ),
        ),
        only_on_old=len(set(seats.on_source) - set(seats.on_target)),
        moved=len(moved),
    )
