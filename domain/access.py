"""Who may read what (the API's authentication rules).

- Account admins read everything of the accounts they administer.
- A plain member reads only themselves in each of their accounts (their own user and seat
  assignments, the products those give) and the catalog.
- A partner (reseller or sales desk) reads its own business, without changing anything:
  the name of each account it sells to, the contracts it sells there, the subscriptions,
  seat assignments and trade-ins on those contracts, and the members who hold a seat on
  them (with only those seats and the products they give). Not the account's other
  contracts, not its other members, not the account's features.
- The catalog, the plans and the partner directory are readable by every caller.

Everything else answers as if it did not exist: a foreign ID and an unknown ID look the
same, so existence never leaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from domain.principals import MemberPrincipal, PartnerPrincipal, Principal
from models import Contract


@dataclass(frozen=True)
class ReadScope:
    """What one request may read.

    `accounts` are read in full; `own_user_id` in `own_accounts` is a plain member reading
    themselves; `sold` maps each account a partner sells to onto the contracts it sells
    there."""

    accounts: frozenset[UUID]
    own_user_id: UUID | None = None
    own_accounts: frozenset[UUID] = frozenset()
    sold: Mapping[UUID, frozenset[UUID]] = field(default_factory=dict)

    def can_read_account(self, account_id: UUID) -> bool:
        """The account itself (its id and name)."""
        return account_id in self.accounts or account_id in self.sold

    def reads_all_of(self, account_id: UUID) -> bool:
        """Everything of the account: every contract, member and feature."""
        return account_id in self.accounts

    def contracts_in(self, account_id: UUID) -> frozenset[UUID] | None:
        """The contracts of the account this caller reads: None for all of them."""
        if account_id in self.accounts:
            return None
        return self.sold.get(account_id, frozenset())

    def can_read_contract(self, account_id: UUID, contract_id: UUID) -> bool:
        """A contract, and what is on it (subscriptions, seats, trade-ins)."""
        return account_id in self.accounts or contract_id in self.sold.get(account_id, ())

    def can_read_member(self, account_id: UUID, user_id: UUID) -> bool:
        """A member of an account (a `User` node, their seats) without looking at seats: an
        admin's members, or the member themselves. A partner reads the members who hold a
        seat on a contract it sells; that needs the seats (`directory.seat_holders`)."""
        return account_id in self.accounts or (
            user_id == self.own_user_id and account_id in self.own_accounts
        )

    @property
    def is_partner(self) -> bool:
        return bool(self.sold)


def can_administer(principal: Principal, account_id: UUID) -> bool:
    """Admins (primary or secondary) act on their account; partners and plain members
    do not."""
    return isinstance(principal, MemberPrincipal) and principal.is_admin_of(account_id)


def is_partner_itself(principal: Principal, partner_id: UUID) -> bool:
    """What waits for a partner (`Partner.pendingRequests`) is read by that partner alone:
    not by other partners, nor by the admins of the accounts it sells to."""
    return isinstance(principal, PartnerPrincipal) and principal.partner_id == partner_id


def member_scope(principal: MemberPrincipal) -> ReadScope:
    admin_of = frozenset(a for a in principal.roles if principal.is_admin_of(a))
    return ReadScope(
        accounts=admin_of,
        own_user_id=principal.user_id,
        own_accounts=frozenset(principal.roles),
    )


async def partner_contracts(partner_id: UUID) -> dict[UUID, frozenset[UUID]]:
    """The contracts a partner sells (as reseller or sales desk), by account."""
    rows = await Contract.filter(partner_id=partner_id).values_list("account_id", "id")
    sold: dict[UUID, set[UUID]] = {}
    for account_id, contract_id in rows:
        sold.setdefault(UUID(str(account_id)), set()).add(UUID(str(contract_id)))
    return {account: frozenset(contracts) for account, contracts in sold.items()}


async def read_scope(principal: Principal) -> ReadScope:
    if isinstance(principal, PartnerPrincipal):
        return ReadScope(accounts=frozenset(), sold=await partner_contracts(principal.partner_id))
    return member_scope(principal)
