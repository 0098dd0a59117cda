"""The GraphiQL explorer, served by the app with its own copies of React and GraphiQL
(app/static/graphiql), so it works on closed networks. It opens with the example queries
of the README in tabs (a test keeps both the same and runs them on the demo data); a token
field above it sets the Authorization header of every tab (seatwise-graphiql.js)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from os import PathLike

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from infra.settings import ROOT

STATIC_DIR = ROOT / "app" / "static"
STATIC_PREFIX = "/static/graphiql"
FAVICON = STATIC_DIR / "graphiql" / "favicon.svg"


def content_security_policy(style_nonce: str) -> str:
    """Everything the page loads comes from the app itself, and its only script is a static
    file (no inline script; no 'unsafe-eval': the vendored bundles use neither eval nor
    new Function). GraphiQL's stylesheet embeds its fonts and a few images as data: URIs. Its
    dialogs (react-remove-scroll) add a <style> element, allowed by a nonce given to the
    bundle, not by 'unsafe-inline'. The page is never framed (clickjacking)."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{style_nonce}'",
            "img-src 'self' data:",
            "font-src data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


SECURITY_HEADERS = {
    # frame-ancestors (in the CSP) for current browsers, X-Frame-Options for older ones.
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The page's URL carries nothing secret today; no-referrer keeps it that way for links.
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Example:
    title: str
    query: str
    variables: str = ""


EXAMPLES = (
    Example(
        "Who am I",
        """# Every request needs a token: paste one of the tokens that `make run` printed
# in the Token field above (every tab sends it).
query Viewer {
  viewer {
    user { name email }
    partner { name }
    memberships { role account { id name } }
  }
}
""",
    ),
    Example(
        "Contracts of my accounts",
        """# Copy a contract id from here into the variables of the next tab.
query Contracts {
  viewer {
    memberships {
      account {
        name
        contracts(first: 20) {
          edges { node { id number channel partner { name } } }
        }
      }
    }
  }
}
""",
    ),
    Example(
        "Users of a contract",
        """# The users with a seat on a subscription of one contract, 20 at a time:
# pass pageInfo.endCursor as $after for the next page.
query UsersOfContract($account: ID!, $contract: ID!, $after: String) {
  account(id: $account) {
    users(first: 20, after: $after, filter: {contractId: $contract}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          name
          email
          role
          assignments { product { name } subscription { status } }
        }
      }
    }
  }
}
""",
        '{"account": "<account id>", "contract": "<contract id>"}',
    ),
    Example(
        "Subscriptions with upgrade options",
        """# Seats, and what each subscription can be upgraded to: whether you can ask for it
# now (and why not), self-service or through which partner, and what it changes.
# The upgrade tabs take a subscription's `id`, one of its options' `targetProduct { id }`
# and its `contract { id }`.
query Subscriptions($account: ID!) {
  account(id: $account) {
    subscriptions(first: 50) {
      edges {
        node {
          id
          product { name kind edition fullVersion { name } includedIn { name } }
          plan { name }
          contract { id number channel partner { name } }
          status
          seats
          seatsAssigned
          seatsAvailable
          licenseModel
          releaseYear
          serialNumber
          tradeIn { status graceEndsAt }
          upgradeOptions {
            kind
            targetProduct { id name }
            targetPlan { code name }
            eligible
            refusal { code message }
            path
            partner { name contactEmail }
            reinstallRequired
            serialNumberUpdateRequired
            graceEndsAt
            notices
          }
        }
      }
    }
  }
}
""",
        '{"account": "<account id>"}',
    ),
    Example(
        "Dry run an upgrade",
        """# With the admin's token. What an upgrade would do, changing nothing: the
# subscription id and the target product id come from the "Subscriptions with upgrade
# options" tab (a subscription's `id`, one of its upgradeOptions' `targetProduct { id }`).
mutation UpgradeDryRun($input: SubscriptionUpgradeInput!) {
  subscriptionUpgrade(input: $input) {
    preview {
      kind path graceEndsAt reinstallRequired serialNumberUpdateRequired notices
      partner { name contactEmail }
      newSubscription { seats termEndsOn product { name } plan { name } }
      keepingAccess { name }
      emails { kind recipients }
    }
    userErrors { code message field }
  }
}
""",
        '{"input": {"subscriptionId": "<subscription id>", "targetProductId": "<product id>", '
        '"dryRun": true}}',
    ),
    Example(
        "Upgrade a subscription",
        """# With the admin's token; the ids come from the "Subscriptions with upgrade options"
# tab, as for the dry run. An online subscription is upgraded at once (IN_GRACE: the old
# and the new subscription both work until graceEndsAt); one bought through a reseller or
# the sales team sends a request to its partner (AWAITING_PARTNER), who answers it.
mutation Upgrade($input: SubscriptionUpgradeInput!) {
  subscriptionUpgrade(input: $input) {
    tradeIn {
      id status kind graceEndsAt serialNumberUpdateRequired reinstallRequired
      partner { name contactEmail }
      source { status product { name } }
      target { status seats serialNumber product { name } plan { name } }
    }
    userErrors { code message field }
  }
}
""",
        '{"input": {"subscriptionId": "<subscription id>", "targetProductId": "<product id>", '
        '"idempotencyKey": "<any unique string>"}}',
    ),
    Example(
        "A partner's pending requests",
        """# With the partner's token: the upgrade requests (TradeIn) and plan changes
# (PlanChange) waiting for your answer, oldest first. Pass a TradeIn's id to the next tab
# (tradeInFulfill); a PlanChange's id to planChangeFulfill or planChangeDecline.
query PendingRequests($after: String) {
  viewer {
    partner {
      name
      pendingRequests(first: 20, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            __typename
            ... on TradeIn {
              id kind status reinstallRequired serialNumberUpdateRequired
              targetProduct { name }
              source { seats product { name } contract { number account { name } } }
            }
            ... on PlanChange {
              id planChangeStatus: status createdAt fromPlan { name } toPlan { name }
              contract { number account { name } }
            }
          }
        }
      }
    }
  }
}
""",
    ),
    Example(
        "A partner answers an upgrade request",
        """# With the partner's token: fulfill the request (its ID is in the partner's pending
# requests tab and in the request email). This is the order: the new subscription starts,
# the old one is in grace. tradeInDecline takes a `reason` too (emailed to the account's
# admins); an admin withdraws a request still awaiting its partner with tradeInCancel.
mutation Fulfill($input: TradeInFulfillInput!) {
  tradeInFulfill(input: $input) {
    tradeIn {
      status orderedAt graceEndsAt daysLeft newSerialNumber notices
      target { product { name } serialNumber }
      steps { number title optional done total remaining }
      progress { usersOnlyOnOld usersMoved daysLeft }
    }
    userErrors { code message field }
  }
}
""",
        '{"input": {"tradeInId": "<trade-in id>", "idempotencyKey": "<any unique string>"}}',
    ),
    Example(
        "Move a contract to Premium",
        """# With the admin's token; the contract id is a subscription's `contract { id }` in the
# "Subscriptions with upgrade options" tab (its STANDARD_TO_PREMIUM option says whether
# you may). Every active subscription of the contract moves. An online contract changes at
# once and the account has the new features; others send a request to their partner, who
# answers with planChangeFulfill or planChangeDecline. Add "dryRun": true to only preview.
mutation PlanChange($input: ContractPlanChangeInput!) {
  contractPlanChange(input: $input) {
    planChange {
      id status completedAt fromPlan { name } toPlan { name }
      partner { name }
      contract { number account { features { code name kind } } }
    }
    preview {
      path
      subscriptions { product { name } }
      featuresGained { code name }
    }
    userErrors { code message field }
  }
}
""",
        '{"input": {"contractId": "<contract id>", "planCode": "PREMIUM", '
        '"idempotencyKey": "<any unique string>"}}',
    ),
    Example(
        "Emails of my account",
        """# With the admin's token: the emails your account's changes caused (the upgrade
# confirmations, the request to the partner...), newest first, and how their delivery
# went. Add "status": "FAILED" to the variables to see only those that failed, with the
# mail server's answer in lastError; an operator sends them again with
# `python -m app outbox retry`.
query EmailDeliveries($account: ID!, $status: EmailDeliveryStatus, $after: String) {
  account(id: $account) {
    emailDeliveries(first: 20, after: $after, filter: {status: $status}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node { id template recipient status attempts lastError sentAt createdAt }
      }
    }
  }
}
""",
        '{"account": "<account id>"}',
    ),
    Example(
        "Move the users to the new subscription",
        """# With the admin's token, after an upgrade (the trade-in id is in the upgrade's
# answer): every user still only on the old subscription gets a seat on the new one and
# leaves the old one, in one step; each user who gains a product is emailed its download.
# Pass "userIds" to move some users only; seatAssign and seatUnassign take a subscription.
mutation Transfer($input: SeatTransferInput!) {
  seatTransfer(input: $input) {
    tradeIn {
      status
      progress { usersOnlyOnOld usersMoved daysLeft }
      target { seats seatsAssigned seatsAvailable }
    }
    assignments { user { name } }
    userErrors { code message field }
  }
}
""",
        '{"input": {"tradeInId": "<trade-in id>", "idempotencyKey": "<any unique string>"}}',
    ),
    Example(
        "Invite a colleague",
        """# With the admin's token: add a person to the account (created when new) and email
# them an invitation in their language. memberRoleChange promotes a member (to primary
# admin: the former primary becomes secondary); memberRemove takes a member's seats too.
mutation Invite($input: UserInviteInput!) {
  userInvite(input: $input) {
    user { id name email locale role }
    userErrors { code message field }
  }
}
""",
        '{"input": {"accountId": "<account id>", "email": "zoe.laurent@acme.example", '
        '"name": "Zoé Laurent", "locale": "fr", "role": "USER"}}',
    ),
    Example(
        "Import people",
        """# With the admin's token: many people at once (as `python -m app users import` does
# with a CSV file), each row applied whole or not at all, with a result per row. Set
# "dryRun": false to import for real.
mutation Import($input: UsersImportInput!) {
  usersImport(input: $input) {
    dryRun created alreadyMembers seatsAssigned refused
    rows {
      index email outcome assignedProductCodes
      error { code message field }
    }
    userErrors { code message field }
  }
}
""",
        '{"input": {"accountId": "<account id>", "dryRun": true, "rows": ['
        '{"firstName": "Yann", "lastName": "Morel", "email": "yann.morel@acme.example", '
        '"productCodes": ["ACD"]}, '
        '{"firstName": "Hugo", "lastName": "Bernard", "email": "hugo.bernard@acme.example"}, '
        '{"firstName": "Nobody", "lastName": "Here", "email": "not an email"}]}}',
    ),
)


def graphiql_page() -> HTMLResponse:
    """The explorer's page with its security headers (GET /graphql from a browser)."""
    # A nonce is only worth something if it is new for every response.
    nonce = secrets.token_urlsafe(16)
    headers = {"Content-Security-Policy": content_security_policy(nonce), **SECURITY_HEADERS}
    return HTMLResponse(graphiql_html(nonce), headers=headers)


async def favicon(request: Request) -> FileResponse:
    """/favicon.ico, which browsers ask for whatever the page links: the same SVG."""
    return FileResponse(FAVICON, media_type="image/svg+xml")


@lru_cache(maxsize=1)
def _tabs_json() -> str:
    # No per-tab headers: the token field of seatwise-graphiql.js sets Authorization for all.
    tabs = [{"query": e.query, "variables": e.variables or None} for e in EXAMPLES]
    # Read from a JSON data block, which the CSP does not apply to; "</" must not appear
    # literally inside <script> (it would end the element).
    return json.dumps(tabs).replace("</", "<\\/")


def graphiql_html(style_nonce: str) -> str:
    """The page; style_nonce is the one of its CSP, handed to GraphiQL's style injection."""
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>seatwise GraphiQL</title>
  <link rel="icon" type="image/svg+xml" href="{STATIC_PREFIX}/favicon.svg">
  <link rel="stylesheet" href="{STATIC_PREFIX}/graphiql.min.css">
  <link rel="stylesheet" href="{STATIC_PREFIX}/seatwise-graphiql.css">
</head>
<body>
  <form id="token-bar">
    <label for="token">Token</label>
    <input id="token" type="password" autocomplete="off" spellcheck="false"
           placeholder="paste a token from make run">
    <span id="token-status" data-state="missing"></span>
  </form>
  <div id="graphiql">Loading GraphiQL...</div>
  <script type="application/json" id="graphiql-examples">{_tabs_json()}</script>
  <script src="{STATIC_PREFIX}/react.production.min.js"></script>
  <script src="{STATIC_PREFIX}/react-dom.production.min.js"></script>
  <script src="{STATIC_PREFIX}/graphiql.min.js"></script>
  <script src="{STATIC_PREFIX}/seatwise-graphiql.js" data-style-nonce="{style_nonce}"></script>
</body>
</html>
"""


class StaticAssets(StaticFiles):
    """The explorer's own assets. Served with `nosniff`, so a browser never runs one of them
    as another type than the one it is served as."""

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
