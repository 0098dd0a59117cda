"""Settings turned into the values the layers below take (they never read settings)."""

from __future__ import annotations

from domain.upgrades import GraceAnchor, GracePolicy
from infra.settings import Settings


def grace_policy(settings: Settings) -> GracePolicy:
    return GracePolicy(days=settings.grace_days, anchor=GraceAnchor(settings.grace_anchor.value))
