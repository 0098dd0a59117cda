from __future__ import annotations

import pytest

from app.data_files import DATA_DIR, read_yaml
from domain.catalog import load_catalog, parse_catalog
from domain.errors import DomainError, ErrorCode
from domain.plans import load_plans, parse_plans
from models import CollectionItem, Plan, PlanFeature, PlanMove, Product, SuiteMigration
from models.enums import Edition, ProductKind


def test_the_shipped_catalog_is_valid() -> None:
    catalog = parse_catalog(read_yaml(DATA_DIR / "catalog.yaml"))
    by_code = catalog.by_code()
    assert by_code["ACDLT"].edition is Edition.LT
    assert by_code["ACDLT"].full_version == "ACD"
    assert by_code["AECCOL"].kind is ProductKind.COLLECTION
    assert "RVT" in by_code["AECCOL"].includes
    assert by_code["BDSPRM"].migrates_to == ("AECCOL",)


def test_every_broken_rule_is_reported_at_once() -> None:
    # Given a catalog that breaks four rules
    data = {
        "products": [
            {"code": "XLT", "name": "X LT", "edition": "LT"},
            {"code": "Y", "name": "Y", "edition": "FULL", "full_version": "Y"},
            {"code": "Z", "name": "Z", "edition": "PRO"},
        ],
        "collections": [{"code": "COL", "name": "Col", "includes": ["SUITE"]}],
        "suites": [{"code": "SUITE", "name": "Suite", "migrates_to": ["Y"]}],
    }
    # When it is parsed
    with pytest.raises(DomainError) as raised:
        parse_catalog(data)
    # Then the error lists each of them
    assert raised.value.code is ErrorCode.CATALOG_INVALID
    assert raised.value.message == (
        "invalid catalog: products[2] (Z): edition must be LT or FULL; "
        "XLT: an LT product must name its full version; "
        "Y: only LT products name a full version; "
        "COL: includes SUITE, which is not a product; "
        "SUITE: migrates to Y, which is not a collection"
    )


async def test_loading_twice_changes_nothing(db: str) -> None:
    # Given the database with the catalog and plans already loaded (the fixture did)
    catalog = parse_catalog(read_yaml(DATA_DIR / "catalog.yaml"))
    plans = parse_plans(read_yaml(DATA_DIR / "plans.yaml"))
    before = [
        await Product.all().count(),
        await CollectionItem.all().count(),
        await SuiteMigration.all().count(),
        await Plan.all().count(),
        await PlanFeature.all().count(),
        await PlanMove.all().count(),
    ]
    # When both are loaded again
    counts = await load_catalog(catalog)
    await load_plans(plans)
    # Then nothing was created
    assert counts["created"] == 0
    after = [
        await Product.all().count(),
        await CollectionItem.all().count(),
        await SuiteMigration.all().count(),
        await Plan.all().count(),
        await PlanFeature.all().count(),
        await PlanMove.all().count(),
    ]
    assert after == before == [22, 16, 4, 2, 10, 1]


async def test_reloading_an_edited_catalog_updates_in_place(db: str) -> None:
    data = read_yaml(DATA_DIR / "catalog.yaml")
    data["products"][1]["name"] = "AutoCAD 2027"
    data["collections"][0]["includes"] = ["ACD", "RVT"]
    await load_catalog(parse_catalog(data))
    acd = await Product.get(code="ACD")
    assert acd.name == "AutoCAD 2027"
    aec = await Product.get(code="AECCOL")
    included = await CollectionItem.filter(collection_id=aec.id).values_list(
        "product__code", flat=True
    )
    assert sorted(map(str, included)) == ["ACD", "RVT"]


async def test_plans_carry_their_features(db: str) -> None:
    premium = await Plan.get(code="PREMIUM")
    codes = (
        await PlanFeature.filter(plan_id=premium.id).order_by("code").values_list("code", flat=True)
    )
    assert list(map(str, codes)) == [
        "AUDIT_LOG",
        "AUDIT_LOG_EXPORT",
        "DOWNLOAD_RESTRICTION",
        "SEAT_MANAGEMENT",
        "SINGLE_SIGN_ON",
        "SUPPORT_LIVE_24_7",
        "SUPPORT_WEB",
        "USAGE_REPORTING",
    ]
    live = await PlanFeature.get(plan_id=premium.id, code="SUPPORT_LIVE_24_7")
    assert live.details == {
        "channels": ["CHAT", "PHONE"],
        "hours": "ALWAYS",
        "response_target_hours": 1,
    }


def test_plans_with_duplicate_ranks_are_refused() -> None:
    data = {
        "plans": [
            {"code": "A", "name": "A", "rank": 1},
            {"code": "B", "name": "B", "rank": 1},
        ]
    }
    with pytest.raises(DomainError) as raised:
        parse_plans(data)
    assert raised.value.message == "invalid plans: plan ranks must be unique"


async def test_moves_follow_plans_yaml(db: str) -> None:
    # Given the shipped plans: Standard moves to Premium
    moves = await PlanMove.all().values_list("from_plan__code", "to_plan__code")
    assert [tuple(map(str, m)) for m in moves] == [("STANDARD", "PREMIUM")]
    # When an Enterprise plan (sales only) is added and Standard's move is removed
    data = read_yaml(DATA_DIR / "plans.yaml")
    data["plans"].append({"code": "ENTERPRISE", "name": "Enterprise", "rank": 3})
    data["plans"][0]["moves_to"] = []
    data["plans"][1]["moves_to"] = ["ENTERPRISE"]
    await load_plans(parse_plans(data))
    # Then the moves are exactly the new ones
    moves = await PlanMove.all().values_list("from_plan__code", "to_plan__code")
    assert [tuple(map(str, m)) for m in moves] == [("PREMIUM", "ENTERPRISE")]


@pytest.mark.parametrize(
    ("moves_to", "problem"),
    [
        (["GOLD"], "A: moves to GOLD, which is not a plan"),
        (["A"], "B: moves to A, which is not a higher plan"),
    ],
)
def test_a_move_names_a_higher_plan(moves_to: list[str], problem: str) -> None:
    data = {
        "plans": [
            {"code": "A", "name": "A", "rank": 1, "moves_to": ["B"]},
            {"code": "B", "name": "B", "rank": 2, "moves_to": moves_to},
        ]
    }
    if moves_to == ["GOLD"]:
        data["plans"][0]["moves_to"] = ["GOLD"]
        data["plans"][1]["moves_to"] = []
    with pytest.raises(DomainError) as raised:
        parse_plans(data)
    assert raised.value.message == f"invalid plans: {problem}"
