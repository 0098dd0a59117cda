"""Seat counts of a subscription."""

from __future__ import annotations


def seats_available(seats: int, assigned: int) -> int:
    """Free seats; never negative, even when a seat count was lowered below the seats
    already assigned (those stay until unassigned)."""
    return max(seats - assigned, 0)
