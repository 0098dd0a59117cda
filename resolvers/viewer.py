"""`viewer`: who the caller is."""

from __future__ import annotations

from domain.principals import MemberPrincipal
from models import Account as AccountRow
from models import Partner as PartnerRow
from models import User as UserRow
from schema.context import Info
from schema.enums import Role, to_graphql
from schema.types.account import Account, Membership, User
from schema.types.partner import Partner
from schema.types.viewer import Viewer


async def resolve_viewer(info: Info) -> Viewer:
    principal = info.context.principal
    if isinstance(principal, MemberPrincipal):
        user = await UserRow.get(id=principal.user_id)
        accounts = await AccountRow.filter(id__in=list(principal.roles)).order_by("name", "id")
        memberships = [
            Membership(account=Account.from_row(a), role=to_graphql(Role, principal.roles[a.id]))
            for a in accounts
        ]
        return Viewer(user=User.from_row(user), partner=None, memberships=memberships)
    partner = await PartnerRow.get(id=principal.partner_id)
    return Viewer(user=None, partner=Partner.from_row(partner), memberships=[])
