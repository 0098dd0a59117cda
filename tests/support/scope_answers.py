"""The GraphQL selections of the read-scope tests and the exact answers each principal gets
for the world of tests/support/scope_world.py."""

from __future__ import annotations

from typing import Any

# What a member of an account looks like: their seats and the products they can use.
MEMBER = "fragment Member on User { name assignments { product { code } } products { code } }"

# A subscription with its seats (a list) and its open trade-in.
SUB = """fragment Sub on ProductSubscription {
  product { code } contract { number } seatsAssigned tradeIn { targetProduct { code } }
  assignments(first: 10) { totalCount edges { node { user { name } } } }
}"""

# Every list of an account.
LISTS = """fragment Lists on Account {
  name
  features { code }
  contracts(first: 10) { totalCount edges { node { number } } }
  subscriptions(first: 10) { totalCount edges { node { ...Sub } } }
  users(first: 10) { totalCount edges { node { ...Member } } }
  tradeIns(first: 10) { totalCount edges { node {
    targetProduct { code } source { product { code } } target { product { code } } } } }
}"""

FRAGMENTS = "\n".join((MEMBER, SUB, LISTS))
# For selections without an account's lists.
NODE_FRAGMENTS = "\n".join((MEMBER, SUB))


def conn(*nodes: Any) -> dict[str, Any]:
    return {"totalCount": len(nodes), "edges": [{"node": node} for node in nodes]}


def codes(*values: str) -> list[dict[str, str]]:
    return [{"code": value} for value in values]


def member(name: str, seats: tuple[str, ...] = (), products: tuple[str, ...] = ()) -> Any:
    return {
        "name": name,
        "assignments": [{"product": {"code": code}} for code in seats],
        "products": codes(*products),
    }


def sub(product: str, contract: str, holders: tuple[str, ...], trade_in: str | None) -> Any:
    return {
        "product": {"code": product},
        "contract": {"number": contract},
        "seatsAssigned": len(holders),
        "tradeIn": {"targetProduct": {"code": trade_in}} if trade_in else None,
        "assignments": conn(*({"user": {"name": holder}} for holder in holders)),
    }


def trade(target_product: str, source: str, target: str | None = None) -> Any:
    return {
        "targetProduct": {"code": target_product},
        "source": {"product": {"code": source}},
        "target": {"product": {"code": target}} if target else None,
    }


def lists(
    name: str,
    *,
    features: tuple[str, ...] = (),
    contracts: tuple[str, ...] = (),
    subscriptions: tuple[Any, ...] = (),
    users: tuple[Any, ...] = (),
    trade_ins: tuple[Any, ...] = (),
) -> dict[str, Any]:
    return {
        "name": name,
        "features": codes(*features),
        "contracts": conn(*({"number": n} for n in contracts)),
        "subscriptions": conn(*subscriptions),
        "users": conn(*users),
        "tradeIns": conn(*trade_ins),
    }


# Acme's subscriptions, as an admin sees them.
ONLINE_SUB = sub("ACDLT", "A-ONLINE", ("Chloé Dubois", "Hugo Bernard"), "ACD")
RESOLD_SUB = sub("RVTLT", "B-RESOLD", ("Hugo Bernard",), "RVT")
RESOLD_TARGET = sub("RVT", "B-RESOLD", (), None)
DESK_SUB = sub("ACD", "C-DESK", ("Sam Roy",), "AECCOL")
GLOBEX_SUB = sub("MECOL", "G-RESOLD", ("Mia Rossi",), None)

ALICE = member("Alice Martin")
CHLOE = member("Chloé Dubois", ("ACDLT",), ("ACDLT",))
HUGO = member("Hugo Bernard", ("ACDLT", "RVTLT"), ("ACDLT", "RVTLT"))
# Hugo as Northwind sees him: only the seat on the contract it sells, and its product.
HUGO_FOR_PARTNER = member("Hugo Bernard", ("RVTLT",), ("RVTLT",))
SAM = member("Sam Roy", ("ACD",), ("ACD",))
# The Media & Entertainment Collection counts as the products it includes, by name.
MIA = member("Mia Rossi", ("MECOL",), ("3DSMAX", "ARNOLD", "MAYA", "MOTIONBUILDER"))

ONLINE_TRADE = trade("ACD", "ACDLT")
RESOLD_TRADE = trade("RVT", "RVTLT", "RVT")
DESK_TRADE = trade("AECCOL", "ACD")

STANDARD_FEATURES = ("SEAT_MANAGEMENT", "SUPPORT_WEB")
PREMIUM_FEATURES = (
    "AUDIT_LOG",
    "AUDIT_LOG_EXPORT",
    "DOWNLOAD_RESTRICTION",
    "SEAT_MANAGEMENT",
    "SINGLE_SIGN_ON",
    "SUPPORT_LIVE_24_7",
    "SUPPORT_WEB",
    "USAGE_REPORTING",
)

ACME_FULL = lists(
    "Acme Engineering",
    features=STANDARD_FEATURES,
    contracts=("A-ONLINE", "B-RESOLD", "C-DESK"),
    subscriptions=(ONLINE_SUB, RESOLD_SUB, RESOLD_TARGET, DESK_SUB),
    users=(ALICE, CHLOE, HUGO, SAM),
    trade_ins=(DESK_TRADE, RESOLD_TRADE, ONLINE_TRADE),
)
# Northwind: the account's name, its own contract and what is on it; no features.
ACME_FOR_PARTNER = lists(
    "Acme Engineering",
    contracts=("B-RESOLD",),
    subscriptions=(RESOLD_SUB, RESOLD_TARGET),
    users=(HUGO_FOR_PARTNER,),
    trade_ins=(RESOLD_TRADE,),
)
# The lists of an account the caller may not read, should a path ever hand it the account.
ACME_EMPTY = lists("Acme Engineering")

GLOBEX_FULL = lists(
    "Globex Studio",
    features=PREMIUM_FEATURES,
    contracts=("G-RESOLD",),
    subscriptions=(GLOBEX_SUB,),
    users=(MIA,),
)
# Contoso sells Globex's only contract: everything but the features.
GLOBEX_FOR_PARTNER = lists(
    "Globex Studio",
    contracts=("G-RESOLD",),
    subscriptions=(GLOBEX_SUB,),
    users=(MIA,),
)
GLOBEX_EMPTY = lists("Globex Studio")

# What each principal reads of each account through a path that checks the scope.
ACME: dict[str, Any] = {
    "member": None,
    "admin": ACME_FULL,
    "other_admin": None,
    "partner": ACME_FOR_PARTNER,
    "other_partner": None,
}
GLOBEX: dict[str, Any] = {
    "member": None,
    "admin": None,
    "other_admin": GLOBEX_FULL,
    "partner": None,
    "other_partner": GLOBEX_FOR_PARTNER,
}
