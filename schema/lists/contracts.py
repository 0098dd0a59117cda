"""`Account.contracts`: by number."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import directory
from models.enums import Channel
from schema.context import Info
from schema.inputs import ContractFilter
from schema.lists import scoped
from schema.loaders.contracts import CONTRACT_FIELDS, ContractByIdLoader
from schema.loaders.registry import node_maker
from schema.pagination import Connection


async def of_account(
    info: Info,
    account_id: UUID,
    wanted: ContractFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    channel = wanted.channel if wanted else None
    return await scoped.page(
        (first, after, last, before),
        readable=info.context.scope.can_read_account(account_id),
        query=directory.contracts(
            account_id,
            channel=Channel(channel.name) if channel else None,
            within=info.context.scope.contracts_in(account_id),
        ),
        sort=("number", "id"),
        fields=CONTRACT_FIELDS,
        to_node=node_maker(ContractByIdLoader),
    )
