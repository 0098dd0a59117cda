"""The typed per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.settings import Settings
from domain.principals import Principal

if TYPE_CHECKING:
    from strawberry.types import Info as StrawberryInfo


@dataclass
class Context:
    principal: Principal
    settings: Settings
    request_id: str


if TYPE_CHECKING:
    Info = StrawberryInfo[Context, None]
else:
    from strawberry.types import Info as _Info

    Info = _Info[Context, None]
