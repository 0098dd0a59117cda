"""What a suite-to-collection migration brings to a user: the products new to them."""

from __future__ import annotations

from app.data_files import DATA_DIR, read_yaml
from domain.catalog import parse_catalog
from domain.suites import products_gained


def test_a_suite_user_gains_the_collections_products_the_suite_lacked() -> None:
    # Given Building Design Suite Premium and the AEC Collection it migrates to, as shipped
    catalog = parse_catalog(read_yaml(DATA_DIR / "catalog.yaml")).by_code()
    suite, collection = catalog["BDSPRM"], catalog["AECCOL"]
    # When a user who has only the suite migrates
    gained = products_gained(suite.contains, collection.includes)
    # Then Civil 3D and InfraWorks are new to them, in the collection's order
    assert gained == ("CIV3D", "INFRAWORKS")


def test_what_the_user_already_has_elsewhere_is_not_gained() -> None:
    # Given a suite with AutoCAD and Revit, a collection adding Civil 3D and InfraWorks,
    # and a user who already has Civil 3D on another subscription
    # When they migrate
    gained = products_gained(
        ["ACD", "RVT"], ["ACD", "RVT", "CIV3D", "INFRAWORKS"], already_has=["CIV3D", "MAYA"]
    )
    # Then only InfraWorks is new
    assert gained == ("INFRAWORKS",)


def test_an_lt_edition_does_not_count_as_the_full_product() -> None:
    # Given a user who has AutoCAD LT, migrating from a suite without AutoCAD
    # When the collection includes AutoCAD
    gained = products_gained(["RVT"], ["ACD", "RVT"], already_has=["ACDLT"])
    # Then AutoCAD is new to them
    assert gained == ("ACD",)


def test_nothing_is_gained_when_the_suite_had_everything() -> None:
    # Given the Entertainment Creation Suite's users who also have Arnold
    # When they migrate to a collection of Maya, 3ds Max, MotionBuilder and Arnold
    gained = products_gained(
        ["MAYA", "3DSMAX", "MOTIONBUILDER"],
        ["MAYA", "3DSMAX", "MOTIONBUILDER", "ARNOLD"],
        already_has=["ARNOLD"],
    )
    # Then nothing is new
    assert gained == ()


def test_a_product_listed_twice_in_the_collection_is_gained_once() -> None:
    # Given a collection listing Fusion twice
    # When a suite user without it migrates
    gained = products_gained(["ACD"], ["FUSION", "ACD", "FUSION"])
    # Then Fusion is gained once
    assert gained == ("FUSION",)
