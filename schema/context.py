"""The typed per-request context handed to every resolver.

It carries values, not configuration: the grace policy and the request's clock reading are
built by the app from its settings, so nothing below the app reads settings itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.access import ReadScope, read_scope
from domain.principals import Principal
from domain.upgrades import GracePolicy
from schema.loaders.registry import Loaders

if TYPE_CHECKING:
    from strawberry.types import Info as StrawberryInfo


@dataclass
class Context:
    principal: Principal
    request_id: str
    scope: ReadScope
    # Read once per request: every field of one answer agrees on what "now" is.
    now: dt.datetime
    grace: GracePolicy
    loaders: Loaders = field(repr=False)


async def build_context(
    principal: Principal, request_id: str, *, now: dt.datetime, grace: GracePolicy
) -> Context:
    scope = await read_scope(principal)
    return Context(
        principal=principal,
        request_id=request_id,
        scope=scope,
        now=now,
        grace=grace,
        loaders=Loaders(scope),
    )


if TYPE_CHECKING:
    Info = StrawberryInfo[Context, None]
else:
    from strawberry.types import Info as _Info

    Info = _Info[Context, None]
