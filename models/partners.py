"""Partners: resellers and the vendor's sales desk, who sell contracts and act on requests."""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from models.base import Entity
from models.enums import PartnerKind, sql_in


class Partner(Entity):
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(PartnerKind, max_length=20)
    contact_email = fields.CharField(max_length=254)

    class Meta:
        table = "partner"
        constraints = (
            CheckConstraint(check=f"kind IN ({sql_in(PartnerKind)})", name="partner_kind_known"),
        )
