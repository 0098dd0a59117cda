"""Who may read what (the API's authentication rules).

- Account admins read everything of the accounts they administer.
- A plain member reads only themselves in each of their accounts (their own user and seat
  assignments) and the catalog.
- A partner (reseller or sales desk) reads, without changing anything, every account in
  which it sells at least one contract.
- The catalog, the plans and the partner directory are readable by every caller.

Everything else answers as if it did not exist: a foreign ID and an unknown ID look the
same, so existence never leaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.principals import MemberPrincipal, PartnerPrincipal, Principal
from models import Contract


@dataclass(frozen=True)
class ReadScope:
    """What one request may read: accounts read in full, and the (account, user) pairs
    a plain member may read about themselves."""

    accounts: frozenset[UUID]
    own_user_id: UUID | None = None
    own_accounts: frozenset[UUID] = frozenset()

    def can_read_account(self, account_id: UUID) -> bool:
        return account_id in self.accounts

    def can_read_member(self, account_id: UUID, user_id: UUID) -> bool:
        """A member of an account (a `User` node, an assignment of that user)."""
        return account_id in self.accounts or (
            user_id == self.own_user_id and account_id in self.own_accounts
        )


def member_scope(principal: MemberPrincipal) -> ReadScope:
    admin_of = frozenset(a for a in principal.roles if principal.is_admin_of(a))
    return ReadScope(
        accounts=admin_of,
        own_user_id=principal.user_id,
        own_accounts=frozenset(principal.roles),
    )


def can_administer(principal: Principal, account_id: UUID) -> bool:
    """Admins (primary or secondary) act on their account; partners and plain members
    do not."""
    return isinstance(principal, MemberPrincipal) and principal.is_admin_of(account_id)


async def partner_accounts(partner_id: UUID) -> frozenset[UUID]:
    ids = (
        await Contract.filter(partner_id=partner_id).distinct().values_list("account_id", flat=True)
    )
    return frozenset(UUID(str(i)) for i in ids)


async def read_scope(principal: Principal) -> ReadScope:
    if isinstance(principal, PartnerPrincipal):
        return ReadScope(accounts=await partner_accounts(principal.partner_id))
    return member_scope(principal)
