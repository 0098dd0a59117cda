"""The rule matrix through GraphQL: `upgradeOptions` and `subscriptionUpgrade(dryRun: true)`
on factories-built subscriptions, the app's clock fixed, each answer exact (the grace end
included). tests/domain/test_upgrade_matrix.py runs all 540 rows on the pure rules; here a
subset of 15 rows that still reaches every distinct outcome, each through the real catalog,
contracts and partners:

- every kind x status pair (12), so every eligibility answer: eligible, and refused for
  being in grace, expired (an expired suite is eligible) or replaced;
- every channel with each kind: self-service with a grace end exactly 30 days after the
  clock, a reseller request and a sales-desk request (with the partner, no grace end);
- a new serial number and none for each individual-product kind (stand-alone and network
  of 2017 and 2019 against named-user, 2020, 2021 and no year), and none for a suite
  whatever its license and year;
- a reinstall for each of its reasons (a partner channel; an expired suite online) and none
  online otherwise;
- every license model and every release year (None, 2017, 2019, 2020, 2021) at least once.

The other rows differ from these only in facts the rules ignore (the domain matrix checks
that they are ignored); each costs a database, an API server and two requests here."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from domain.upgrades import SERIAL_NOTICE
from models import Product
from models.enums import Channel, LicenseModel, PartnerKind, SubscriptionStatus
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data

# The API's clock: the grace end of a self-service upgrade is exactly 30 days after it.
GRACE_END = "2026-12-31T09:30:00+00:00"

PARTNER_NOTICE = (
    "This subscription was bought through a partner: the request goes to them, and the "
    "grace period starts when they fulfill it."
)
REINSTALL_NOTICE = "Users must reinstall the software from the new subscription."
SELF_SERVICE_NOTICES = [SERIAL_NOTICE]
REINSTALL_NOTICES = [SERIAL_NOTICE, REINSTALL_NOTICE]
PARTNER_NOTICES = [SERIAL_NOTICE, PARTNER_NOTICE, REINSTALL_NOTICE]

OPTIONS = """query($id: ID!) { node(id: $id) { ... on ProductSubscription {
  upgradeOptions { kind eligible refusal { code message } path graceEndsAt reinstallRequired
    serialNumberUpdateRequired notices targetProduct { code } partner { code } } } } }"""

DRY_RUN = """mutation($input: SubscriptionUpgradeInput!) {
  subscriptionUpgrade(input: $input) {
    tradeIn { id }
    preview {
      kind path graceEndsAt reinstallRequired serialNumberUpdateRequired notices
      partner { code }
      newSubscription { product { code } }
    }
    userErrors { code message field }
  }
}"""

_ONLY_ACTIVE = "only active subscriptions (and expired suites) can be upgraded."
NOT_ACTIVE = {
    "IN_GRACE": f"The subscription is in grace: {_ONLY_ACTIVE}",
    "EXPIRED": f"The subscription is expired: {_ONLY_ACTIVE}",
    "REPLACED": f"The subscription is replaced: {_ONLY_ACTIVE}",
}


@dataclass(frozen=True)
class Row:
    # The facts
    kind: str
    channel: Channel
    status: SubscriptionStatus
    license_model: LicenseModel
    year: int | None
    product: str
    target: str
    # The expected answers, written out
    eligible: bool
    path: str
    partner: str | None
    serial: bool
    reinstall: bool
    grace_end: str | None
    notices: list[str]


ON, RS, SL = Channel.ONLINE, Channel.RESELLER, Channel.SALES
ACTIVE, IN_GRACE = SubscriptionStatus.ACTIVE, SubscriptionStatus.IN_GRACE
EXPIRED, REPLACED = SubscriptionStatus.EXPIRED, SubscriptionStatus.REPLACED
NAMED, ALONE, NET = LicenseModel.NAMED_USER, LicenseModel.STANDALONE, LicenseModel.NETWORK
SELF, ASK = "SELF_SERVICE", "PARTNER_REQUEST"
LT, PC, SC = "LT_TO_FULL", "PRODUCT_TO_COLLECTION", "SUITE_TO_COLLECTION"
T, F = True, False

# fmt: off
ROWS = [
    # kind channel status license year product target | eligible path partner serial reinstall grace notices  # noqa: E501
    Row(LT, ON, ACTIVE, NAMED, None, "ACDLT", "ACD", T, SELF, None, F, F, GRACE_END, SELF_SERVICE_NOTICES),  # noqa: E501
    Row(LT, RS, ACTIVE, NAMED, None, "RVTLT", "RVT", T, ASK, "RESELLER", F, T, None, PARTNER_NOTICES),  # noqa: E501
    Row(LT, SL, IN_GRACE, ALONE, 2019, "INVLT", "INVPROSA", F, ASK, "SALESDESK", T, T, None, PARTNER_NOTICES),  # noqa: E501
    Row(LT, ON, EXPIRED, NET, 2017, "ACDLT", "ACD", F, SELF, None, T, F, GRACE_END, SELF_SERVICE_NOTICES),  # noqa: E501
    Row(LT, ON, REPLACED, ALONE, 2020, "ACDLT", "ACD", F, SELF, None, F, F, GRACE_END, SELF_SERVICE_NOTICES),  # noqa: E501
    Row(PC, ON, ACTIVE, ALONE, 2019, "INVPROSA", "PDMCOL", T, SELF, None, T, F, GRACE_END, SELF_SERVICE_NOTICES),  # noqa: E501
    Row(PC, SL, ACTIVE, NET, 2021, "CIV3D", "AECCOL", T, ASK, "SALESDESK", F, T, None, PARTNER_NOTICES),  # noqa: E501
    Row(PC, RS, EXPIRED, ALONE, 2017, "ACD", "AECCOL", F, ASK, "RESELLER", T, T, None, PARTNER_NOTICES),  # noqa: E501
    Row(PC, ON, IN_GRACE, NAMED, None, "ACD", "PDMCOL", F, SELF, None, F, F, GRACE_END, SELF_SERVICE_NOTICES),  # noqa: E501
    Row(PC, SL, REPLACED, NET, 2019, "RVT", "AECCOL", F, ASK, "SALESDESK", T, T, None, PARTNER_NOTICES),  # noqa: E501
    Row(SC, ON, EXPIRED, ALONE, 2017, "BDSPRM", "AECCOL", T, SELF, None, F, T, GRACE_END, REINSTALL_NOTICES),  # noqa: E501
    Row(SC, ON, ACTIVE, ALONE, 2019, "PDSULT", "PDMCOL", T, SELF, None, F, F, GRACE_END, SELF_SERVICE_NOTICES),  # noqa: E501
    Row(SC, RS, EXPIRED, NET, 2019, "IDSPRM", "AECCOL", T, ASK, "RESELLER", F, T, None, PARTNER_NOTICES),  # noqa: E501
    Row(SC, SL, IN_GRACE, NAMED, 2020, "BDSPRM", "AECCOL", F, ASK, "SALESDESK", F, T, None, PARTNER_NOTICES),  # noqa: E501
    Row(SC, ON, REPLACED, NET, 2021, "ECSCAD", "MECOL", F, SELF, None, F, F, GRACE_END, SELF_SERVICE_NOTICES),  # noqa: E501
]
# fmt: on


def _row_id(row: Row) -> str:
    year = row.year or "no-year"
    return f"{row.kind}-{row.channel.value}-{row.status.value}-{row.license_model.value}-{year}"


def test_the_subset_reaches_every_distinct_outcome() -> None:
    # Given the rows run through GraphQL
    # Then every kind x status pair, channel, license model and year is there, and every
    # answer takes each value it can take
    assert {(r.kind, r.status) for r in ROWS} == {
        (k, s) for k in (LT, PC, SC) for s in SubscriptionStatus
    }
    assert {(r.kind, r.channel) for r in ROWS} == {(k, c) for k in (LT, PC, SC) for c in Channel}
    assert {r.license_model for r in ROWS} == set(LicenseModel)
    assert {r.year for r in ROWS} == {None, 2017, 2019, 2020, 2021}
    assert {(r.kind, r.serial) for r in ROWS} == {(LT, T), (LT, F), (PC, T), (PC, F), (SC, F)}
    assert {(r.kind, r.channel is ON, r.reinstall) for r in ROWS} == {
        (LT, T, F),
        (LT, F, T),
        (PC, T, F),
        (PC, F, T),
        (SC, T, F),
        (SC, T, T),
        (SC, F, T),
    }
    assert {(r.eligible, r.status) for r in ROWS} == {
        (T, ACTIVE),
        (T, EXPIRED),
        (F, IN_GRACE),
        (F, EXPIRED),
        (F, REPLACED),
    }


async def _subscription_of(row: Row) -> tuple[str, str]:
    """The admin's token, and the global ID of a subscription with the row's facts."""
    team = await factories.team(name="Acme")
    if row.channel is ON:
        contract = await factories.contract(team.account)
    else:
        kind = PartnerKind.RESELLER if row.channel is RS else PartnerKind.SALES_DESK
        code = "RESELLER" if row.channel is RS else "SALESDESK"
        partner = await factories.partner(kind=kind, code=code)
        contract = await factories.contract(team.account, partner=partner)
    assert contract.channel is row.channel
    sub = await factories.subscription(
        contract,
        row.product,
        seats=2,
        status=row.status,
        license_model=row.license_model,
        release_year=row.year,
        serial_number=None if row.license_model is NAMED else "100-00000001",
    )
    return team.admin_token, to_global_id("ProductSubscription", sub.id)


@pytest.mark.parametrize("row", ROWS, ids=[_row_id(r) for r in ROWS])
async def test_a_row_through_upgrade_options_and_a_dry_run(
    row: Row, api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a subscription with the row's facts, its admin, and the API's clock at NOW
    token, subscription_id = await _subscription_of(row)
    target_id = to_global_id("Product", (await Product.get(code=row.target)).id)
    refusal = (
        None
        if row.eligible
        else {"code": "SUBSCRIPTION_NOT_ACTIVE", "message": NOT_ACTIVE[row.status.value]}
    )

    # When the admin reads its upgrade options
    node = (await data(api_at_now, token, OPTIONS, id=subscription_id))["node"]
    # Then the option for the row's target is exactly the row's answers
    [option] = [
        o
        for o in node["upgradeOptions"]
        if o["kind"] == row.kind and o["targetProduct"] == {"code": row.target}
    ]
    assert option == {
        "kind": row.kind,
        "eligible": row.eligible,
        "refusal": refusal,
        "path": row.path,
        "graceEndsAt": row.grace_end,
        "reinstallRequired": row.reinstall,
        "serialNumberUpdateRequired": row.serial,
        "notices": row.notices,
        "targetProduct": {"code": row.target},
        "partner": {"code": row.partner} if row.partner else None,
    }

    # When the admin dry-runs that upgrade
    body = {"subscriptionId": subscription_id, "targetProductId": target_id, "dryRun": True}
    result = (await data(api_at_now, token, DRY_RUN, input=body))["subscriptionUpgrade"]
    # Then it answers the same: the preview when eligible, the same refusal otherwise
    if row.eligible:
        assert result == {
            "tradeIn": None,
            "preview": {
                "kind": row.kind,
                "path": row.path,
                "graceEndsAt": row.grace_end,
                "reinstallRequired": row.reinstall,
                "serialNumberUpdateRequired": row.serial,
                "notices": row.notices,
                "partner": {"code": row.partner} if row.partner else None,
                "newSubscription": {"product": {"code": row.target}},
            },
            "userErrors": [],
        }
    else:
        assert result == {
            "tradeIn": None,
            "preview": None,
            "userErrors": [
                {
                    "code": "SUBSCRIPTION_NOT_ACTIVE",
                    "message": NOT_ACTIVE[row.status.value],
                    "field": ["input", "subscriptionId"],
                }
            ],
        }
