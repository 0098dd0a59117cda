"""The shortcuts of compiled execution against graphql-core, one by one, on a small schema:
resolvers called directly with converted arguments (literals, variables, defaults, nulls,
enums, input objects, lists, GlobalIDs, conversion errors), the lazy `Info`, the leaves
serialized without a call (exact types, 32-bit ints, enums), and the awaitable check
answered per class. Each case answers the same data and errors on both paths; where a
shortcut would be wrong, the case says so."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import enum
import types
import uuid
from typing import Any

import pytest
import strawberry
from strawberry import relay
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.config import StrawberryConfig

from resolvers.assembly import build_schema
from schema.compiled import awaitable
from schema.compiled.schema import CompilingSchema


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@strawberry.input
class Where:
    count: int = 1
    color: Color | None = None


@strawberry.type
class Box:
    number: int
    color: Color | None = None
    label: str = "box"
    big: int = 0
    # A bool where an Int is declared: graphql-core serializes it as 1.
    tally: int = True

    @strawberry.field
    def take(self, items: list[int]) -> list[int]:
        # Changes its argument: every call must get its own list, as on graphql-core.
        items.append(self.number)
        return items

    @strawberry.field
    def pick(self, where: Where) -> int:
        # Changes its argument: every call must get its own input object.
        where.count += self.number
        return where.count

    @strawberry.field
    def shade(self, color: Color = Color.GREEN, times: int | None = None) -> str:
        return f"{color.value}x{times}"

    @strawberry.field
    def where(self, info: strawberry.Info, first: int | None = 2) -> str:
        path = info.path.as_list()
        return (
            f"{info.field_name}@{path}/{info.python_name}/{info.return_type}/"
            f"{first}/{sorted(info.variable_values)}/{info._raw_info.parent_type.name}/"
            f"{[getattr(f, 'name', None) for f in info.selected_fields]}"
        )

    @strawberry.field
    def strict(self, n: int) -> int:
        if n < 0:
            raise ValueError("negative")
        return n

    @strawberry.field
    def too_big(self) -> int:
        return 2**31

    @strawberry.field
    def flag_as_int(self) -> int:
        return True

    @strawberry.field
    def raw_color(self) -> Color:
        # Not a member: graphql-core's enum serializer finds the member of this value.
        return "red"  # type: ignore[return-value]

    @strawberry.field
    def no_color(self) -> Color:
        return "blue"  # type: ignore[return-value]

    @strawberry.field
    def nothing(self, n: int = 0) -> str:
        return None  # type: ignore[return-value]


class InstanceAwait:
    """An object whose own __dict__ holds `__await__`: graphql-core takes it for an
    awaitable (and fails awaiting it)."""

    def __init__(self) -> None:
        self.__await__ = lambda: iter(())


@strawberry.type
class Plain:
    name: str = "plain"


@strawberry.type
class Query:
    @strawberry.field
    def boxes(self) -> list[Box]:
        return [Box(number=1, color=Color.RED), Box(number=2, big=2**31), Box(number=3)]

    @strawberry.field
    def greet(root: Any, inf: strawberry.Info, name: str = "you") -> str:
        return f"hello {name} from {inf.field_name}"

    @strawberry.field
    def by_id(self, id: relay.GlobalID) -> str:
        return f"{id.type_name}:{id.node_id}"

    @strawberry.field
    def odd(self) -> Plain | None:
        return InstanceAwait()  # type: ignore[return-value]


@pytest.fixture
def small() -> CompilingSchema:
    return build_schema(query=Query)


async def _both(
    schema: CompilingSchema, query: str, variables: dict[str, Any] | None = None
) -> tuple[Any, Any]:
    results = []
    for compiled in (False, True):
        result = await schema.execute(query, variable_values=variables, compiled=compiled)
        errors = [error.formatted for error in result.errors or ()]
        results.append((result.data, errors))
    return results[0], results[1]


async def test_arguments_changed_by_a_resolver_are_not_shared_between_calls(
    small: CompilingSchema,
) -> None:
    # Given resolvers that change their list and input object arguments, called once per box
    standard, compiled = await _both(
        small, "query($w: Where!) { boxes { take(items: [7]) pick(where: $w) } }", {"w": {}}
    )
    # Then each call got fresh values, as on graphql-core
    assert compiled == standard
    assert standard[0] == {
        "boxes": [
            {"take": [7, 1], "pick": 2},
            {"take": [7, 2], "pick": 3},
            {"take": [7, 3], "pick": 4},
        ]
    }
    assert small.compiled.stats.compiled == 1
    assert small.compiled.stats.fallbacks == {}


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        ("{ boxes { shade } }", None, "greenxNone"),
        ("{ boxes { shade(color: RED, times: 2) } }", None, "redx2"),
        ("{ boxes { shade(times: null) } }", None, "greenxNone"),
        ("query($c: Color!) { boxes { shade(color: $c) } }", {"c": "RED"}, "redxNone"),
        ("query($c: Color = RED) { boxes { shade(color: $c) } }", {}, "redxNone"),
        ("query($t: Int) { boxes { shade(times: $t) } }", {}, "greenxNone"),
        ("query($t: Int) { boxes { shade(times: $t) } }", {"t": 5}, "greenx5"),
    ],
)
async def test_arguments_from_literals_variables_defaults_and_nulls(
    small: CompilingSchema, query: str, variables: dict[str, Any] | None, expected: str
) -> None:
    standard, compiled = await _both(small, query, variables)
    assert compiled == standard
    assert standard == ({"boxes": [{"shade": expected}] * 3}, [])
    assert small.compiled.stats.fallbacks == {}


async def test_parent_and_info_under_other_names(small: CompilingSchema) -> None:
    standard, compiled = await _both(small, '{ greet a: greet(name: "ann") }')
    assert compiled == standard
    assert standard[0] == {"greet": "hello you from greet", "a": "hello ann from greet"}
    assert small.compiled.stats.fallbacks == {}


async def test_the_lazy_info_answers_what_strawberrys_info_answers(
    small: CompilingSchema,
) -> None:
    standard, compiled = await _both(
        small,
        "query($n: Int) { boxes { where(first: $n) alias: where } }",
        {"n": 4},
    )
    assert compiled == standard
    assert standard[0]["boxes"][1]["where"] == (
        "where@['boxes', 1, 'where']/where/<class 'str'>/4/['n']/Box/['where']"
    )
    assert standard[0]["boxes"][2]["alias"] == (
        "where@['boxes', 2, 'alias']/where/<class 'str'>/2/['n']/Box/['where']"
    )
    assert small.compiled.stats.fallbacks == {}


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ boxes { strict(n: -1) } }", "resolver raised"),
        ('{ byId(id: "not a global id") }', "resolver raised"),
        ("{ boxes { tooBig } }", "leaf value refused"),
        ("{ boxes { big } }", "leaf value refused"),
        ("{ boxes { noColor } }", "leaf value refused"),
        ("{ boxes { nothing(n: 1) } }", "null in a non-null field"),
        ("{ odd { name } }", "resolver raised"),
    ],
)
async def test_what_graphql_core_reports_falls_back(
    small: CompilingSchema, query: str, reason: str
) -> None:
    # When a shortcut meets what graphql-core would report (a resolver or an argument's
    # conversion raising, an Int over 32 bits, a value its enum does not name, a null, an
    # object taken for an awaitable)
    standard, compiled = await _both(small, query)
    # Then the answer is graphql-core's, errors included
    assert compiled == standard
    assert standard[1] != []
    assert small.compiled.stats.fallbacks == {reason: 1}


async def test_leaves_serialized_as_graphql_core_serializes_them(small: CompilingSchema) -> None:
    standard, compiled = await _both(
        small,
        "{ boxes { number color rawColor label tally flagAsInt strict(n: 3) } "
        'byId(id: "VXNlcjox") }',
    )
    assert compiled == standard
    assert standard[0] == {
        "boxes": [
            {
                "number": n,
                "color": color,
                "rawColor": "RED",
                "label": "box",
                "tally": 1,
                "flagAsInt": 1,
                "strict": 3,
            }
            for n, color in ((1, "RED"), (2, None), (3, None))
        ],
        "byId": "User:1",
    }
    # True for an Int is 1 (not true): only a value of the exact type is kept as it is
    assert {type(compiled[0]["boxes"][0][key]) for key in ("tally", "flagAsInt")} == {int}
    assert small.compiled.stats.fallbacks == {}


class ShoutingInfo(strawberry.Info):
    """An Info class with a context of its own making."""

    @property
    def context(self) -> Any:
        return str(self._raw_info.context).upper()


@strawberry.type
class ContextQuery:
    @strawberry.field
    def boxes(self) -> list[Box]:
        return [Box(number=1)]

    @strawberry.field
    def seen(self, info: strawberry.Info) -> str:
        return f"{info.context}@{info.path.as_list()}"


async def test_an_info_class_reading_its_context_its_own_way_is_built_as_strawberry_does() -> None:
    # Given a schema whose Info class computes its context
    schema = CompilingSchema(
        query=ContextQuery, config=StrawberryConfig(auto_camel_case=True, info_class=ShoutingInfo)
    )
    results = []
    for compiled in (False, True):
        result = await schema.execute("{ seen a: seen }", context_value="ctx", compiled=compiled)
        results.append((result.data, result.errors))
    # Then the compiled path hands resolvers that class's own context
    assert results[0] == results[1] == ({"seen": "CTX@['seen']", "a": "CTX@['a']"}, None)
    assert schema.compiled.stats.compiled == 1


class AnswersEverything:
    """`hasattr(value, "__await__")` is true through `__getattr__`."""

    def __getattr__(self, name: str) -> Any:
        return name


class OwnClass:
    """Says it is a coroutine through `__class__`."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return types.CoroutineType


class Slotted:
    __slots__ = ("x",)


async def _coroutine() -> None:
    return None


async def test_the_awaitable_check_answers_as_strawberrys() -> None:
    # Given values of every kind a resolver may return (the classes decide it, or not)
    coroutine = _coroutine()
    future = asyncio.get_running_loop().create_future()
    values: list[Any] = [
        None,
        1,
        "s",
        1.5,
        True,
        [],
        {},
        Plain(),
        InstanceAwait(),
        AnswersEverything(),
        OwnClass(),
        Slotted(),
        coroutine,
        future,
        (x for x in range(0)),
        Color.RED,
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.date(2026, 1, 1),
        dt.timedelta(1),
        decimal.Decimal(1),
        uuid.UUID(int=1),
    ]
    try:
        # Then the plan's check answers what strawberry's answers, twice (the class's answer
        # is kept after the first)
        for _ in range(2):
            assert [awaitable.is_awaitable(v) for v in values] == [
                optimized_is_awaitable(v) for v in values
            ]
        assert [awaitable.is_awaitable(v) for v in values[8:15]] == [
            True,
            True,
            True,
            False,
            True,
            True,
            False,
        ]
    finally:
        coroutine.close()
