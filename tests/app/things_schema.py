"""A small test-only schema served through the production wiring (`build_schema`, the
same extensions, rules and GraphQLEndpoint): a `things(first:, after:)` connection that
nests without end, an enum, an input type, fields that fail, and a mutation with a side
effect. Resolvers record their calls, so a test can prove that a refusal ran nothing."""

from __future__ import annotations

import enum

import strawberry

from resolvers.assembly import build_schema
from schema.errors import TopLevelError

CALLS: list[str] = []  # every resolver call, in order
RECORDED: list[str] = []  # the side effects of the `record` mutation


@strawberry.enum
class Color(enum.Enum):
    RED = "RED"
    GREEN = "GREEN"


@strawberry.input
class ThingFilter:
    name_contains: str | None = None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ThingEdge:
    cursor: str
    node: Thing


@strawberry.type
class ThingConnection:
    edges: list[ThingEdge]
    page_info: PageInfo


def _page(prefix: str, size: int) -> ThingConnection:
    # At most two things per page, whatever the page size: the tests check the limits,
    # not the data.
    names = [f"{prefix}{i}" for i in range(min(size, 2))]
    return ThingConnection(
        edges=[ThingEdge(cursor=name, node=Thing(name=name)) for name in names],
        page_info=PageInfo(has_next_page=size > 2, end_cursor=names[-1] if names else None),
    )


@strawberry.type
class Thing:
    name: str

    @strawberry.field
    def things(self, first: int, after: str | None = None) -> ThingConnection:
        CALLS.append(f"{self.name}.things")
        return _page(f"{self.name}/", first)


@strawberry.type
class Query:
    @strawberry.field
    def things(
        self,
        first: int,
        after: str | None = None,
        last: int | None = None,
        color: Color | None = None,
        filter: ThingFilter | None = None,
    ) -> ThingConnection:
        CALLS.append("things")
        return _page("t", first if last is None else min(first, last))

    @strawberry.field
    def recent_things(self, first: int | None = None, last: int | None = None) -> ThingConnection:
        CALLS.append("recentThings")
        return _page("r", min(first or 100, last or 100))

    @strawberry.field
    def hello(self) -> str:
        CALLS.append("hello")
        return "hello"

    @strawberry.field
    def boom(self) -> str:
        CALLS.append("boom")
        raise RuntimeError("database password is hunter2")

    @strawberry.field
    def maybe_boom(self) -> str | None:
        CALLS.append("maybeBoom")
        raise RuntimeError("database password is hunter2")

    @strawberry.field
    def forbidden(self) -> str | None:
        CALLS.append("forbidden")
        raise TopLevelError("FORBIDDEN", "this account is not yours")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def record(self, note: str) -> bool:
        CALLS.append("record")
        RECORDED.append(note)
        return True


THINGS_SCHEMA = build_schema(query=Query, mutation=Mutation)
