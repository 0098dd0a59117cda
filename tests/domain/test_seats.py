"""Seat counts."""

from __future__ import annotations

import pytest

from domain.seats import seats_available


@pytest.mark.parametrize(
    ("seats", "assigned", "available"), [(5, 3, 2), (3, 3, 0), (2, 3, 0), (0, 0, 0)]
)
def test_free_seats_are_never_negative(seats: int, assigned: int, available: int) -> None:
    # A seat count lowered below the seats in use leaves none free, not a negative number.
    assert seats_available(seats, assigned) == available
