"""The garbage collector of a serving process (app/heap.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.heap import THRESHOLDS, settle_after_startup


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_settling_freezes_what_exists_and_raises_the_thresholds() -> None:
    # Given an object alive before start-up ends
    kept = [object()]
    # When the process settles after start-up
    settle_after_startup()
    # Then it is out of the collector's generations, and collections run less often
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(kept)
    assert all(o is not kept for o in gc.get_objects())
    assert gc.get_threshold() == THRESHOLDS
