"""The GraphiQL explorer, served by the app with its own copies of React and GraphiQL
(app/static/graphiql), so it works on closed networks."""

from __future__ import annotations

import json
from functools import lru_cache

from app.settings import ROOT

STATIC_DIR = ROOT / "app" / "static"
STATIC_PREFIX = "/static/graphiql"

DEFAULT_QUERY = """# Welcome to seatwise.
#
# Every request needs a token: open "Headers" below and paste
#   {"Authorization": "Bearer <token>"}
# using one of the tokens that `make run` printed.

query Viewer {
  viewer {
    user { name email }
    partner { name }
    memberships { role account { id name } }
  }
}
"""


@lru_cache(maxsize=1)
def graphiql_page() -> str:
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
      defaultQuery: {json.dumps(DEFAULT_QUERY)},
      defaultHeaders: {json.dumps(json.dumps({"Authorization": "Bearer <paste a token>"}))},
      shouldPersistHeaders: true,
    }}));
  </script>
</body>
</html>
"""
