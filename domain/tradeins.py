"""Trade-ins: which states count as open (the upgrade rules)."""

from __future__ import annotations

from models.enums import TradeInStatus

# A subscription in one of these trade-ins cannot start another: the request waits for its
# partner, or the grace period runs.
OPEN_STATUSES = (TradeInStatus.AWAITING_PARTNER, TradeInStatus.IN_GRACE)
