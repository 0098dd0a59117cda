"""The explorer's static assets are served with `nosniff`."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/static/graphiql/graphiql.min.js", "text/javascript; charset=utf-8"),
        ("/static/graphiql/graphiql.min.css", "text/css; charset=utf-8"),
    ],
)
async def test_assets_are_served_with_nosniff(
    empty_api: httpx.AsyncClient, path: str, media_type: str
) -> None:
    # When an asset of the explorer is fetched
    response = await empty_api.get(path)
    # Then it comes with its own type and the browser is told not to guess another
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
