"""Plans as data: parsing `data/plans.yaml` and loading it, keyed by plan code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from models import Plan, PlanFeature, PlanMove
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
    # The plans a contract on this plan may move to (`moves_to`), by code.
    moves_to: tuple[str, ...] = ()


def moves_of(moves: Iterable[tuple[UUID, UUID]], current: UUID) -> tuple[UUID, ...]:
    """The plans a contract on `current` may move to (the PlanMove rows as (from, to)), in
    a stable order. Nothing else is ever offered: not "the next rank"."""
    return tuple(sorted((to for frm, to in moves if frm == current), key=str))


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
                    moves_to=tuple(str(code) for code in raw.get("moves_to") or []),
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
    ranks = {p.code: p.rank for p in plans}
    for plan in plans:
        for target in plan.moves_to:
            if target not in ranks:
                problems.append(f"{plan.code}: moves to {target}, which is not a plan")
            elif ranks[target] <= plan.rank:
                problems.append(f"{plan.code}: moves to {target}, which is not a higher plan")
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
            existing[spec.code] = found
        await _sync_moves(existing, plans)
    return {
        "plans": len(plans),
        "features": sum(len(p.features) for p in plans),
        "moves": sum(len(p.moves_to) for p in plans),
    }


async def _sync_moves(plans_by_code: Mapping[str, Plan], specs: tuple[PlanSpec, ...]) -> None:
    """PlanMove rows exactly as `moves_to` says: missing ones made, stale ones removed."""
    code_of = {plan.id: code for code, plan in plans_by_code.items()}
    wanted = {(spec.code, target) for spec in specs for target in spec.moves_to}
    rows = await PlanMove.all().values_list("id", "from_plan_id", "to_plan_id")
    have: set[tuple[str, str]] = set()
    stale: list[UUID] = []
    for row_id, frm, to in rows:
        pair = (code_of.get(frm, ""), code_of.get(to, ""))
        if pair in wanted:
            have.add(pair)
        else:
            stale.append(row_id)
    if stale:
        await PlanMove.filter(id__in=stale).delete()
    for frm_code, to_code in sorted(wanted - have):
        await PlanMove.create(
            from_plan_id=plans_by_code[frm_code].id, to_plan_id=plans_by_code[to_code].id
        )


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
