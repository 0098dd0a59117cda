"""The schema built from the code breaks no client of the schema of the last commit
(removing a field or an enum value is allowed once the last commit had it deprecated)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from resolvers.assembly import schema
from tests.support.schema_compat import breaking_changes

ROOT = Path(__file__).resolve().parents[2]


def baseline_sdl() -> str:
    """`schema.graphql` as of the last commit; the file itself outside a git checkout (an
    exported tree, a checkout without git), where there is no last commit to read."""
    try:
        shown = subprocess.run(
            ["git", "show", "HEAD:schema.graphql"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except FileNotFoundError:  # no git on this machine
        shown = None
    if shown is not None and shown.returncode == 0:
        return shown.stdout
    return (ROOT / "schema.graphql").read_text(encoding="utf-8")


def test_the_schema_breaks_no_client_of_the_last_commit() -> None:
    # Given the SDL of the last commit, when it is compared with the schema of the code,
    # then nothing a client relies on has gone or changed kind
    assert breaking_changes(baseline_sdl(), schema._schema) == []


def test_the_baseline_is_an_sdl_document() -> None:
    # The comparison above would be empty for an empty baseline: make sure it is not
    assert "type Query" in baseline_sdl()
