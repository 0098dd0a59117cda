"""The typed per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.settings import Settings
from domain.access import ReadScope, read_scope
from domain.principals import Principal

if TYPE_CHECKING:
    from strawberry.types import Info as StrawberryInfo

    from schema.loaders import Loaders


@dataclass
class Context:
    principal: Principal
    settings: Settings
    request_id: str
    scope: ReadScope
    loaders: Loaders = field(repr=False)


async def build_context(principal: Principal, settings: Settings, request_id: str) -> Context:
    from schema.loaders import Loaders

    scope = await read_scope(principal)
    return Context(
        principal=principal,
        settings=settings,
        request_id=request_id,
        scope=scope,
        loaders=Loaders(scope),
    )


if TYPE_CHECKING:
    Info = StrawberryInfo[Context, None]
else:
    from strawberry.types import Info as _Info

    Info = _Info[Context, None]
