"""strawberry's `optimized_is_awaitable`, answered per class where the class decides it.

graphql-core asks of every value a resolver returns (and of every item of a list) whether
it is awaitable; strawberry's predicate answers the common built-in types at once and
checks anything else with `isinstance` (coroutine, generator-based coroutine) and
`hasattr(value, "__await__")`, which for an ordinary object raises and catches an
AttributeError inside: the dearest part of completing an object.

For a class that cannot be a coroutine or a generator, has no `__await__`, and reads its
attributes and its `__class__` the ordinary way (no `__getattr__`, `__getattribute__` or
`__class__` of its own, on any class of its MRO but `object`), the answer depends only on
the instance's own `__dict__` holding `__await__`: that is what `hasattr` finds there. The
answer for each class is worked out once; every other value goes to strawberry's function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from types import CoroutineType, GeneratorType
from typing import Any

from strawberry.execution import optimized_is_awaitable

# How a class answers: ask strawberry's function, never awaitable, or awaitable exactly
# when the instance's __dict__ holds __await__.
_ASK, _NEVER, _INSTANCE = 0, 1, 2
_OWN_LOOKUP = ("__getattr__", "__getattribute__", "__class__", "__await__")

# The standard library's value types of leaves, exactly these classes: built in C, they
# read attributes the ordinary way (their `__getattribute__` is the generic one, which
# `_kind` cannot tell from a class's own), have no `__await__` and no instance __dict__.
_kinds: dict[type, int] = dict.fromkeys(
    (dt.datetime, dt.date, dt.time, dt.timedelta, Decimal), _NEVER
)


def _kind(klass: type) -> int:
    if issubclass(klass, (CoroutineType, GeneratorType)):
        return _ASK
    for base in klass.__mro__:
        if base is object:
            continue
        if any(name in base.__dict__ for name in _OWN_LOOKUP):
            return _ASK
    return _INSTANCE if getattr(klass, "__dictoffset__", 0) != 0 else _NEVER


def is_awaitable(value: Any) -> bool:
    """The same answer as strawberry's `optimized_is_awaitable(value)`."""
    klass = type(value)
    kind = _kinds.get(klass)
    if kind is None:
        kind = _kinds[klass] = _kind(klass)
    if kind == _INSTANCE:
        return "__await__" in value.__dict__
    if kind == _NEVER:
        return False
    return optimized_is_awaitable(value)


def predicate(executor_predicate: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """The predicate a plan uses for an executor's: this module's where the executor uses
    strawberry's, else the executor's own."""
    return is_awaitable if executor_predicate is optimized_is_awaitable else executor_predicate


__all__ = ["is_awaitable", "predicate"]
