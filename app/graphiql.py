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
