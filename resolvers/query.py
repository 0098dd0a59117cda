"""The Query root."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.nodes import resolve_node, resolve_nodes
from resolvers.viewer import resolve_viewer
from schema.context import Info
from schema.ids import key_of
from schema.node import Node
from schema.resolution import now_or_later
from schema.types.account import Account
from schema.types.catalog import Catalog, Plan
from schema.types.viewer import Viewer


@strawberry.type(name="Query", description="Everything a caller can read.")
class Query:
    viewer: Viewer = strawberry.field(
        resolver=resolve_viewer,
        description="The caller: a member with their accounts, or a partner.",
    )

    @strawberry.field(description="Any object by its global ID; null when unknown or not yours.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
    ) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(
        description="Objects by global ID, in the same order; null for each unknown or not "
        "yours (at most 100)."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs.")],
    ) -> list[Node | None]:
        return await resolve_nodes(info, list(ids))

    @strawberry.field(
        description="An account you administer (or, for partners, one you sell to); null otherwise."
    )
    def account(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Its global ID.")],
    ) -> Account | None:
        key = key_of(id, "Account")
        if key is None:
            return None
        return now_or_later(info.context.loaders.account_by_id, key)

    @strawberry.field(description="The product catalog.")
    def catalog(self) -> Catalog:
        return Catalog()

    @strawberry.field(description="Every plan, by rank.")
    async def plans(self, info: Info) -> list[Plan]:
        return await info.context.loaders.ranked_plans()
