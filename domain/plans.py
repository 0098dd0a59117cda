"""Plans as data: parsing `data/plans.yaml` and loading it, keyed by plan code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from models import Plan, PlanFeature
from models.enums import FeatureKind


@dataclass(frozen=True)
class FeatureSpec:
    code: str
    name: str
    kind: FeatureKind
    details: Mapping[str, Any]


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    rank: int
    description: str
    features: tuple[FeatureSpec, ...]


def next_plan_up(ranks: Mapping[UUID, int], current: UUID) -> UUID | None:
    """The plan just above `current` by rank (Standard -> Premium); None on the top plan."""
    rank = ranks.get(current, 0)
    higher = sorted((r, str(plan), plan) for plan, r in ranks.items() if r > rank)
    return higher[0][2] if higher else None


def parse_plans(data: Mapping[str, Any]) -> tuple[PlanSpec, ...]:
    problems: list[str] = []
    plans: list[PlanSpec] = []
    for position, raw in enumerate(data.get("plans") or []):
        where = f"plans[{position}]"
        try:
            features = tuple(
                FeatureSpec(
                    code=str(f["code"]),
                    name=str(f["name"]),
                    kind=FeatureKind(f["kind"]),
                    details=dict(f.get("details") or {}),
                )
                for f in raw.get("features") or []
            )
            plans.append(
                PlanSpec(
                    code=str(raw["code"]),
                    name=str(raw["name"]),
                    rank=int(raw["rank"]),
                    description=str(raw.get("description", "")),
                    features=features,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{where}: {exc}")
    if len({p.code for p in plans}) != len(plans):
        problems.append("plan codes must be unique")
    if len({p.rank for p in plans}) != len(plans):
        problems.append("plan ranks must be unique")
    for plan in plans:
        if len({f.code for f in plan.features}) != len(plan.features):
            problems.append(f"{plan.code}: feature codes must be unique")
        for feature in plan.features:
            if feature.kind is FeatureKind.SUPPORT and not feature.details.get("channels"):
                problems.append(f"{plan.code}.{feature.code}: a support feature lists channels")
    if problems:
        raise DomainError(ErrorCode.CATALOG_INVALID, "invalid plans: " + "; ".join(problems))
    return tuple(plans)


async def load_plans(plans: tuple[PlanSpec, ...]) -> dict[str, int]:
    async with in_transaction():
        existing = {p.code: p for p in await Plan.all()}
        wanted_rank = {spec.code: spec.rank for spec in plans}
        # Ranks are unique: park the plans whose rank changes out of the way first.
        moving = [p for p in existing.values() if wanted_rank.get(p.code, p.rank) != p.rank]
        for offset, plan in enumerate(moving, start=1):
            plan.rank = 100_000 + offset
            await plan.save(update_fields=["rank"])
        for spec in plans:
            found = existing.get(spec.code)
            if found is None:
                found = await Plan.create(
                    code=spec.code, name=spec.name, rank=spec.rank, description=spec.description
                )
            else:
                found.name, found.rank, found.description = spec.name, spec.rank, spec.description
                await found.save()
            await _sync_features(found, spec.features)
    return {"plans": len(plans), "features": sum(len(p.features) for p in plans)}


async def _sync_features(plan: Plan, features: tuple[FeatureSpec, ...]) -> None:
    existing = {f.code: f for f in await PlanFeature.filter(plan_id=plan.id)}
    wanted = {f.code for f in features}
    stale = [code for code in existing if code not in wanted]
    if stale:
        await PlanFeature.filter(plan_id=plan.id, code__in=stale).delete()
    for spec in features:
        row = existing.get(spec.code)
        if row is None:
            await PlanFeature.create(
                plan_id=plan.id,
                code=spec.code,
                name=spec.name,
                kind=spec.kind,
                details=dict(spec.details),
            )
        elif (row.name, row.kind, row.details) != (spec.name, spec.kind, dict(spec.details)):
            row.name, row.kind, row.details = spec.name, spec.kind, dict(spec.details)
            await row.save()
