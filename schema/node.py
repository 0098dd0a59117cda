"""The Relay `Node` interface."""

from __future__ import annotations

import strawberry


@strawberry.interface(name="Node", description="An object with an opaque global ID.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque global ID; pass it to `node(id:)` to fetch the object again."
    )
