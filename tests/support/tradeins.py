"""Trade-in rows for read tests, written directly (the upgrade commands come later)."""

from __future__ import annotations

import datetime as dt

from models import Product, ProductSubscription, TradeIn
from models.enums import TradeInStatus, UpgradeKind


async def declined_trade_ins(count: int) -> list[TradeIn]:
    """`count` declined requests on Acme's Revit LT, one day apart, oldest first."""
    source = await ProductSubscription.get(contract__number="110000002", product__code="RVTLT")
    target = await Product.get(code="RVT")
    rows = []
    for day in range(count):
        row = await TradeIn.create(
            kind=UpgradeKind.LT_TO_FULL,
            status=TradeInStatus.DECLINED,
            source_id=source.id,
            target_product_id=target.id,
        )
        created = dt.datetime(2026, 11, 1 + day, 12, 0, tzinfo=dt.UTC)
        await TradeIn.filter(id=row.id).update(created_at=created)
        rows.append(row)
    return rows
