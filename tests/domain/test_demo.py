from __future__ import annotations

import datetime as dt

from app.data_files import DATA_DIR, read_yaml
from app.seeding import seed_demo
from models import (
    Account,
    Contract,
    Membership,
    ProductSubscription,
    SeatAssignment,
    User,
)
from models.enums import Channel, LicenseModel, Role, SubscriptionStatus

NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


async def _counts() -> list[int]:
    return [
        await Account.all().count(),
        await User.all().count(),
        await Membership.all().count(),
        await Contract.all().count(),
        await ProductSubscription.all().count(),
        await SeatAssignment.all().count(),
    ]


async def test_seeding_twice_writes_once(db: str) -> None:
    data = read_yaml(DATA_DIR / "demo.yaml")
    assert await seed_demo(data, now=NOW) is True
    first = await _counts()
    assert await seed_demo(data, now=NOW) is False
    assert await _counts() == first == [2, 14, 14, 5, 9, 15]


async def test_the_demo_covers_every_case_of_the_domain(demo_db: str) -> None:
    async def subscription(contract: str, product: str) -> ProductSubscription:
        return await ProductSubscription.get(contract__number=contract, product__code=product)

    online = await Contract.get(number="110000001")
    reseller = await Contract.get(number="110000002").select_related("partner")
    sales = await Contract.get(number="110000003").select_related("partner")
    assert reseller.partner is not None
    assert sales.partner is not None
    assert online.channel is Channel.ONLINE
    assert online.partner_id is None
    assert reseller.channel is Channel.RESELLER
    assert reseller.partner.code == "NORTHWIND"
    assert sales.channel is Channel.SALES
    assert sales.partner.code == "SALES_DESK"

    lt_online = await subscription("110000001", "ACDLT")
    lt_reseller = await subscription("110000002", "RVTLT")
    assert (lt_online.status, lt_reseller.status) == (SubscriptionStatus.ACTIVE,) * 2

    standalone_2019 = await subscription("110000003", "INVPROSA")
    assert standalone_2019.license_model is LicenseModel.STANDALONE
    assert (standalone_2019.release_year, standalone_2019.serial_number) == (2019, "399-12345678")
    standalone_2021 = await subscription("110000003", "CIV3D")
    assert standalone_2021.release_year == 2021
    suite = await subscription("110000003", "BDSPRM")
    assert suite.status is SubscriptionStatus.EXPIRED

    acme = await Account.get(name="Acme Engineering")
    roles = dict(await Membership.filter(account_id=acme.id).values_list("user__email", "role"))
    assert roles["alice.martin@acme.example"] == Role.PRIMARY_ADMIN
    assert roles["bruno.leclerc@acme.example"] == Role.SECONDARY_ADMIN
    assert len(roles) == 12
    active = await SeatAssignment.filter(
        subscription__contract__account_id=acme.id, unassigned_at=None
    ).count()
    assert active == 12
