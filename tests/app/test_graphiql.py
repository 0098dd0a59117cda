"""The GraphiQL page over real HTTP: its security headers, its favicon, its same-origin
assets, the token field wired to every tab, and the README's examples in its tabs. The
token logic itself (seatwise-graphiql.js) is tested under node, when node is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from app.graphiql import EXAMPLES, STATIC_DIR

HTML = {"Accept": "text/html"}
NODE_TEST = Path(__file__).with_name("graphiql_token.test.js")


def _directives(policy: str) -> dict[str, str]:
    return dict(directive.split(" ", 1) for directive in policy.split("; "))


def _style_nonce(page: str) -> str:
    match = re.search(r'data-style-nonce="([^"]+)"', page)
    assert match is not None
    return match.group(1)


async def test_the_page_forbids_foreign_code_framing_sniffing_and_referrers(
    empty_api: httpx.AsyncClient,
) -> None:
    # When a browser opens /graphql
    response = await empty_api.get("/graphql", headers=HTML)
    # Then the CSP allows only the app's own files (and GraphiQL's data: fonts and images),
    # with no inline script and no eval, and styles injected at run time need the nonce
    assert response.status_code == 200
    nonce = _style_nonce(response.text)
    assert _directives(response.headers["content-security-policy"]) == {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "img-src": "'self' data:",
        "font-src": "data:",
        "connect-src": "'self'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    # and the page cannot be framed, sniffed, or leak its URL
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_every_page_gets_a_new_style_nonce(empty_api: httpx.AsyncClient) -> None:
    # When the page is loaded twice
    first = await empty_api.get("/graphql", headers=HTML)
    second = await empty_api.get("/graphql", headers=HTML)
    # Then each response has its own nonce, the same in its CSP and in its page
    nonces = [_style_nonce(first.text), _style_nonce(second.text)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip((first, second), nonces, strict=True):
        assert f"'nonce-{nonce}'" in response.headers["content-security-policy"]
        assert len(nonce) >= 22  # 16 random bytes


async def test_the_page_has_no_inline_script(empty_api: httpx.AsyncClient) -> None:
    # When a browser opens /graphql
    page = (await empty_api.get("/graphql", headers=HTML)).text
    # Then every <script> is a same-origin file, except the examples' JSON data block
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.DOTALL)
    assert [(attributes.split('"')[1], body == "") for attributes, body in scripts] == [
        ("application/json", False),
        ("/static/graphiql/react.production.min.js", True),
        ("/static/graphiql/react-dom.production.min.js", True),
        ("/static/graphiql/graphiql.min.js", True),
        ("/static/graphiql/seatwise-graphiql.js", True),
    ]
    assert "style=" not in page
    assert "<style" not in page


async def test_the_favicon_is_served_and_linked(empty_api: httpx.AsyncClient) -> None:
    # When a browser asks for the favicon, at the classic path and at the linked one
    page = (await empty_api.get("/graphql", headers=HTML)).text
    classic = await empty_api.get("/favicon.ico")
    linked = await empty_api.get("/static/graphiql/favicon.svg")
    # Then both answer the app's SVG, and the page links it
    svg = (STATIC_DIR / "graphiql" / "favicon.svg").read_bytes()
    for response in (classic, linked):
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.content == svg
    assert svg.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    assert '<link rel="icon" type="image/svg+xml" href="/static/graphiql/favicon.svg">' in page


async def test_one_token_field_serves_every_tab(empty_api: httpx.AsyncClient) -> None:
    # When a browser opens /graphql
    page = (await empty_api.get("/graphql", headers=HTML)).text
    script = await empty_api.get("/static/graphiql/seatwise-graphiql.js")
    # Then the page has a token field above GraphiQL and runs the script that reads it
    assert page.index('<input id="token" type="password"') < page.index('<div id="graphiql">')
    assert script.status_code == 200
    assert script.headers["content-type"].split(";")[0] == "text/javascript"
    # and that script sets Authorization in the one fetcher every tab uses, keeps the token
    # in localStorage, and renders GraphiQL without a schema (no introspection) until then
    for wiring in (
        'const TOKEN_KEY = "seatwise.graphiql.token";',
        "fetcher: makeFetcher(baseFetcher, token, openSocket),",
        "schema: token ? undefined : null,",
        'result.Authorization = "Bearer " + token;',
    ):
        assert wiring in script.text


async def test_the_tabs_are_the_readme_examples_without_per_tab_headers(
    empty_api: httpx.AsyncClient,
) -> None:
    # When a browser opens /graphql
    page = (await empty_api.get("/graphql", headers=HTML)).text
    # Then its tabs are the README's examples, in order, with no headers of their own (so
    # no placeholder Authorization shadows the token field)
    match = re.search(
        r'<script type="application/json" id="graphiql-examples">(.*?)</script>', page
    )
    assert match is not None
    assert json.loads(match.group(1)) == [
        {"query": example.query, "variables": example.variables or None} for example in EXAMPLES
    ]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_token_logic_under_node() -> None:
    # Given node's built-in test runner and the JS tests of seatwise-graphiql.js
    # When they run
    result = subprocess.run(
        ["node", "--test", str(NODE_TEST)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Then they all pass
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# pass 9\n# fail 0\n" in result.stdout
