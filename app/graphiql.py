"""The GraphiQL explorer, served by the app with its own copies of React and GraphiQL
(app/static/graphiql), so it works on closed networks. It opens with the example queries
of the README in tabs (a test keeps both the same and runs them on the demo data)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from infra.settings import ROOT

STATIC_DIR = ROOT / "app" / "static"
STATIC_PREFIX = "/static/graphiql"


@dataclass(frozen=True)
class Example:
    title: str
    query: str
    variables: str = ""


EXAMPLES = (
    Example(
        "Who am I",
        """# Every request needs a token: open "Headers" below and paste
#   {"Authorization": "Bearer <token>"}
# with one of the tokens that `make run` printed.
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
query Subscriptions($account: ID!) {
  account(id: $account) {
    subscriptions(first: 50) {
      edges {
        node {
          product { name kind edition fullVersion { name } includedIn { name } }
          plan { name }
          contract { number channel partner { name } }
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
            targetProduct { name }
            targetPlan { name }
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
)


@lru_cache(maxsize=1)
def graphiql_page() -> str:
    tabs = [
        {"query": e.query, "variables": e.variables or None, "headers": _HEADERS} for e in EXAMPLES
    ]
    # Inside <script>, "</" must not appear literally.
    tabs_json = json.dumps(tabs).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>seatwise GraphiQL</title>
  <link rel="stylesheet" href="{STATIC_PREFIX}/graphiql.min.css">
  <style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL...</div>
  <script src="{STATIC_PREFIX}/react.production.min.js"></script>
  <script src="{STATIC_PREFIX}/react-dom.production.min.js"></script>
  <script src="{STATIC_PREFIX}/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({{ url: window.location.pathname }});
    const root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(React.createElement(GraphiQL, {{
      fetcher,
      defaultTabs: {tabs_json},
      shouldPersistHeaders: true,
    }}));
  </script>
</body>
</html>
"""


_HEADERS = json.dumps({"Authorization": "Bearer <paste a token from make run>"}, indent=2)
