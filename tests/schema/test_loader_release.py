"""A request's loaders let go of what they loaded once it is answered (Loaders.release)."""

from __future__ import annotations

import gc
import types
from typing import Any

from domain.access import read_scope
from domain.principals import MemberPrincipal
from models.enums import Role
from schema.loaders.assignments import CurrentAssignmentsByMemberLoader
from schema.loaders.registry import Loaders
from tests.support import factories as f


def _reachable(start: Any) -> list[Any]:
    """What `start` refers to, directly or not, short of classes, modules and functions
    (through which everything is reachable)."""
    skipped = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)
    seen: dict[int, Any] = {}
    todo = [start]
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, skipped):
            continue
        seen[id(item)] = item
        todo.extend(gc.get_referents(item))
    return list(seen.values())


async def test_released_loaders_hold_nothing_they_loaded(db: str) -> None:
    # Given a request's loaders that read a member's seats (a loader and its registry refer
    # to each other: whatever they hold waits for the cyclic collector)
    acme = await f.account()
    alice = await f.user()
    await f.member(acme, alice, role=Role.PRIMARY_ADMIN)
    await f.assign(await f.subscription(await f.contract(acme), "ACD"), alice)
    loaders = Loaders(await read_scope(MemberPrincipal(alice.id, {acme.id: Role.PRIMARY_ADMIN})))
    loader = loaders.get(CurrentAssignmentsByMemberLoader)
    [seats] = await loader.load_many([(acme.id, alice.id)])
    assert len(seats) == 1
    assert any(o is seats for o in _reachable(loaders))
    # When the request releases them
    loaders.release()
    # Then neither the registry nor the loader reaches the seats any more
    assert not any(o is seats or o is seats[0] for o in _reachable(loaders))
    assert not any(o is seats or o is seats[0] for o in _reachable(loader))
    # And a loader asked for afterwards starts afresh
    assert loaders.get(CurrentAssignmentsByMemberLoader) is not loader
    [again] = await loaders.get(CurrentAssignmentsByMemberLoader).load_many([(acme.id, alice.id)])
    assert again == seats
