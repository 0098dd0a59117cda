from __future__ import annotations

from pathlib import Path

from resolvers.assembly import schema_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_sdl_matches_the_code() -> None:
    # When the schema is printed from the code, then it is the committed file (run
    # `make schema` after changing the API, and review the diff).
    assert (ROOT / "schema.graphql").read_text(encoding="utf-8") == schema_sdl()
