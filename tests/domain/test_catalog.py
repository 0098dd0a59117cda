from __future__ import annotations

import pytest

from app.data_files import DATA_DIR, read_yaml
from domain.catalog import load_catalog, parse_catalog
from domain.errors import DomainError, ErrorCode
from domain.plans import load_plans, parse_plans
from models import (
    CollectionItem,
    Plan,
    PlanFeature,
    PlanMove,
    Product,
    SuiteItem,
    SuiteMigration,
)
from models.enums import Edition, ProductKind


def test_the_shipped_catalog_is_valid() -> None:
    catalog = parse_catalog(read_yaml(DATA_DIR / "catalog.yaml"))
    by_code = catalog.by_code()
    assert by_code["ACDLT"].edition is Edition.LT
    assert by_code["ACDLT"].full_version == "ACD"
    assert by_code["AECCOL"].kind is ProductKind.COLLECTION
    assert "RVT" in by_code["AECCOL"].includes
    assert by_code["BDSPRM"].migrates_to == ("AECCOL",)
    assert by_code["BDSPRM"].contains == ("ACD", "RVT", "3DSMAX", "NAVMAN")


def test_every_broken_rule_is_reported_at_once() -> None:
    # Given a catalog that breaks four rules
    data = {
        "products": [
            {"code": "XLT", "name": "X LT", "edition": "LT"},
            {"code": "Y", "name": "Y", "edition": "FULL", "full_version": "Y"},
            {"code": "Z", "name": "Z", "edition": "PRO"},
        ],
        "collections": [{"code": "COL", "name": "Col", "includes": ["SUITE"]}],
        "suites": [{"code": "SUITE", "name": "Suite", "contains": ["Y"], "migrates_to": ["Y"]}],
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


def test_what_a_suite_contained_must_be_products() -> None:
    # Given a suite that lists nothing, one that lists a collection and a suite, and a
    # collection that lists what it "contained"
    data = {
        "products": [{"code": "P", "name": "P", "edition": "FULL"}],
        "collections": [
            {"code": "COL", "name": "Col", "includes": ["P"], "contains": ["P"]},
        ],
        "suites": [
            {"code": "EMPTY", "name": "Empty", "migrates_to": ["COL"]},
            {
                "code": "MIXED",
                "name": "Mixed",
                "contains": ["P", "COL", "EMPTY", "NOPE"],
                "migrates_to": ["COL"],
            },
        ],
    }
    # When it is parsed
    with pytest.raises(DomainError) as raised:
        parse_catalog(data)
    # Then each broken rule is named
    assert raised.value.message == (
        "invalid catalog: COL: only suites list the products they contained; "
        "EMPTY: a suite contains at least one product; "
        "MIXED: contains COL, which is not a product; "
        "MIXED: contains EMPTY, which is not a product; "
        "MIXED: contains NOPE, which is not a product"
    )


async def _contained(suite_code: str) -> list[str]:
    suite = await Product.get(code=suite_code)
    codes = await SuiteItem.filter(suite_id=suite.id).values_list("product__code", flat=True)
    return sorted(map(str, codes))


async def test_suites_are_loaded_with_what_they_contained(db: str) -> None:
    # Given the database with the shipped catalog loaded (the fixture did)
    # Then every suite lists its products
    assert {code: await _contained(code) for code in ("BDSPRM", "PDSULT", "ECSCAD", "IDSPRM")} == {
        "BDSPRM": ["3DSMAX", "ACD", "NAVMAN", "RVT"],
        "PDSULT": ["3DSMAX", "ACD", "INVPROSA", "NAVMAN", "VAULTPRO"],
        "ECSCAD": ["3DSMAX", "MAYA", "MOTIONBUILDER"],
        "IDSPRM": ["3DSMAX", "ACD", "CIV3D", "INFRAWORKS", "NAVMAN"],
    }


async def test_reloading_a_suite_updates_what_it_contained_in_place(db: str) -> None:
    # Given the shipped catalog, with Building Design Suite Premium losing 3ds Max and
    # gaining Civil 3D
    data = read_yaml(DATA_DIR / "catalog.yaml")
    data["suites"][0]["contains"] = ["ACD", "RVT", "NAVMAN", "CIV3D"]
    untouched = await SuiteItem.filter(product__code="ACD", suite__code="BDSPRM").first()
    # When it is loaded again
    await load_catalog(parse_catalog(data))
    # Then the suite lists exactly the new products, the kept link is the same row, and
    # the other suites did not change
    assert await _contained("BDSPRM") == ["ACD", "CIV3D", "NAVMAN", "RVT"]
    kept = await SuiteItem.get(product__code="ACD", suite__code="BDSPRM")
    assert untouched is not None
    assert kept.id == untouched.id
    assert await SuiteItem.all().count() == 17


async def test_loading_twice_changes_nothing(db: str) -> None:
    # Given the database with the catalog and plans already loaded (the fixture did)
    catalog = parse_catalog(read_yaml(DATA_DIR / "catalog.yaml"))
    plans = parse_plans(read_yaml(DATA_DIR / "plans.yaml"))
    before = [
        await Product.all().count(),
        await CollectionItem.all().count(),
        await SuiteMigration.all().count(),
        await SuiteItem.all().count(),
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
        await SuiteItem.all().count(),
        await Plan.all().count(),
        await PlanFeature.all().count(),
        await PlanMove.all().count(),
    ]
    assert after == before == [22, 16, 4, 17, 2, 10, 1]


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
