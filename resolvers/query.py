"""The Query root."""

from __future__ import annotations

import strawberry

from resolvers.viewer import resolve_viewer
from schema.types.viewer import Viewer


@strawberry.type(name="Query", description="Everything a caller can read.")
class Query:
    viewer: Viewer = strawberry.field(
        resolver=resolve_viewer,
        description="The caller: a member with their accounts, or a partner.",
    )
