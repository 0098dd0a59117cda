"""`viewer`: who the caller is."""

from __future__ import annotations

import strawberry

from domain.principals import MemberPrincipal
from models import Membership
from models import Partner as PartnerRow
from models import User as UserRow
from schema.context import Info
from schema.loaders.accounts import PARTNER_FIELDS
from schema.loaders.users import MEMBER_FIELDS
from schema.types.partner import Partner
from schema.types.user import User
from schema.types.viewer import Person, Viewer


async def resolve_viewer(info: Info) -> Viewer:
    principal = info.context.principal
    if isinstance(principal, MemberPrincipal):
        person = await UserRow.get(id=principal.user_id)
        rows = (
            await Membership.filter(user_id=principal.user_id, account_id__in=list(principal.roles))
            .order_by("account__name", "id")
            .values(*MEMBER_FIELDS)
        )
        return Viewer(
            user=Person(name=person.name, email=person.email, locale=person.locale),
            partner=None,
            memberships=[User.from_row(row) for row in rows],
        )
    row = await PartnerRow.filter(id=principal.partner_id).first().values(*PARTNER_FIELDS)
    return Viewer(user=None, partner=Partner.from_row(row) if row else None, memberships=[])


@strawberry.type
class ViewerQueries:
    viewer: Viewer = strawberry.field(
        resolver=resolve_viewer,
        description="The caller: a member with their accounts, or a partner.",
    )
