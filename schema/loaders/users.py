"""Users: a person as a member of one account, and the products they can use there."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from domain import directory
from domain.access import ReadScope
from models import Account, Membership, User
from schema.loaders import raw
from schema.loaders.catalog import ProductByIdLoader
from schema.loaders.registry import Row, RowLoader, by_key

# A `User` is a person as a member of one account: its ID is the membership's, so the same
# person has one `User` per account and a client cache never mixes their roles.
MEMBER_FIELDS = (
    "account__name",
    "id",
    "role",
    "account_id",
    "user_id",
    "user__name",
    "user__email",
    "user__locale",
)

# The same columns as raw SQL (schema.loaders.raw), for the users page of every admin
# screen. The membership's id only becomes the User's global ID and the page's cursors:
# it stays text.
MEMBER_COLUMNS = (
    raw.column("account__name", "a.name", Account, "name"),
    raw.text_id("id", "m.id", Membership, "id"),
    raw.column("role", "m.role", Membership, "role"),
    raw.column("account_id", "m.account_id", Membership, "account_id"),
    raw.column("user_id", "m.user_id", Membership, "user_id"),
    raw.column("user__name", "u.name", User, "name"),
    raw.column("user__email", "u.email", User, "email"),
    raw.column("user__locale", "u.locale", User, "locale"),
)
MEMBERS = (
    "FROM membership m JOIN account a ON a.id = m.account_id JOIN app_user u ON u.id = m.user_id"
)

MemberKey = tuple[UUID, UUID]


def _member_of(row: Row) -> MemberKey:
    return (row["account_id"], row["user_id"])


async def readable_members(scope: ReadScope, keys: Iterable[MemberKey]) -> set[MemberKey]:
    """The members among `keys` the caller reads: an admin's, the caller themselves, and
    for a partner those holding a seat on a contract it sells (one query)."""
    readable = {(a, u) for a, u in keys if scope.can_read_member(a, u)}
    if scope.is_partner:
        others = [(a, u) for a, u in keys if (a, u) not in readable]
        readable |= await directory.seat_holders(others, scope.sold)
    return readable


class UserByIdLoader(RowLoader[UUID, Row | None]):
    """By membership id (the `User` node's key)."""

    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await Membership.filter(id__in=keys).values(*MEMBER_FIELDS)
        allowed = await readable_members(self.scope, [_member_of(r) for r in rows])
        readable = (r for r in rows if _member_of(r) in allowed)
        return by_key(keys, readable, lambda r: r["id"])


class UserByMemberLoader(RowLoader[MemberKey, Row | None]):
    """By (account id, user id)."""

    async def load_rows(self, keys: list[MemberKey]) -> list[Row | None]:
        allowed = await readable_members(self.scope, keys)
        if not allowed:
            return [None for _ in keys]
        rows = await Membership.filter(
            account_id__in=list({a for a, _ in allowed}),
            user_id__in=list({u for _, u in allowed}),
        ).values(*MEMBER_FIELDS)
        return by_key(keys, (r for r in rows if _member_of(r) in allowed), _member_of)


class ProductsByMemberLoader(RowLoader[MemberKey, list[Row]]):
    """The products each member can use now, by name (domain.directory decides which); a
    partner sees only those given by seats on the contracts it sells."""

    async def load_rows(self, keys: list[MemberKey]) -> list[list[Row]]:
        if self.scope.is_partner:
            readable = list(await readable_members(self.scope, keys))
            within = self.scope.sold
        else:
            readable = [(a, u) for a, u in keys if self.scope.can_read_member(a, u)]
            within = None
        usable = await directory.usable_products(readable, within) if readable else {}
        wanted = list({p for ids in usable.values() for p in ids})
        found = await self.loaders.get(ProductByIdLoader).load_many(wanted)
        products = {p["id"]: p for p in found if p is not None}
        return [
            sorted(
                (products[p] for p in usable.get(key, ()) if p in products),
                key=lambda product: (product["name"], str(product["id"])),
            )
            for key in keys
        ]
