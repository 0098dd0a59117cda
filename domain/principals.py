"""Who is calling: an account member (through a user) or a partner.

A member principal carries the accounts it may act in with its role in each. An API token
made for one account is scoped to that account; a JWT of a single-page app carries every
membership of its user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from models.enums import Role

ADMIN_ROLES = frozenset({Role.PRIMARY_ADMIN, Role.SECONDARY_ADMIN})


@dataclass(frozen=True)
class MemberPrincipal:
    user_id: UUID
    roles: dict[UUID, Role] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable identity for idempotency keys, rate limits and audit records."""
        return f"user:{self.user_id}"

    def is_admin_of(self, account_id: UUID) -> bool:
        return self.roles.get(account_id) in ADMIN_ROLES


@dataclass(frozen=True)
class PartnerPrincipal:
    partner_id: UUID

    @property
    def key(self) -> str:
        return f"partner:{self.partner_id}"


Principal = MemberPrincipal | PartnerPrincipal
