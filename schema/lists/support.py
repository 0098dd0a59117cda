"""`Account.supportCases`: the cases opened with support, newest first, for the account's
admins only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from models import SupportCase
from schema.context import Info
from schema.lists import scoped
from schema.loaders.registry import node_maker
from schema.loaders.support import SUPPORT_CASE_FIELDS, SupportCaseByIdLoader
from schema.pagination import Connection


async def of_account(
    info: Info,
    account_id: UUID,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    return await scoped.page(
        (first, after, last, before),
        readable=info.context.scope.reads_all_of(account_id),
        query=SupportCase.filter(account_id=account_id),
        sort=("-created_at", "-id"),
        fields=SUPPORT_CASE_FIELDS,
        to_node=node_maker(SupportCaseByIdLoader),
    )
