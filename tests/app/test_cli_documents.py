"""`python -m app documents add|list` through the real command line, and the registry it
writes served by the real app with TRUSTED_DOCUMENTS=only."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import httpx
import pytest

from app.asgi import create_app
from app.trusted_documents import DocumentFileError, read_document_file, sha256_of
from infra.settings import Settings, TrustedDocuments
from tests.app.test_cli import run_cli
from tests.support import factories
from tests.support.services import start_api_server
from tests.support.tokens import bearer

ME = "query Me { viewer { user { name } } }"
ACCOUNT = "query Account { viewer { memberships { account { name } } } }"
TWO = "query A { viewer { user { name } } }\nquery B { viewer { memberships { role } } }"


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The registry file the CLI writes (TRUSTED_DOCUMENTS_FILE, in the environment the
    subprocess inherits)."""
    path = tmp_path / "registry" / "trusted-documents.json"
    monkeypatch.setenv("TRUSTED_DOCUMENTS_FILE", str(path))
    return path


def documents(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("documents", *args)


@pytest.mark.parametrize("command", [["documents"], ["documents", "add"], ["documents", "list"]])
def test_the_commands_have_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m app documents")


def test_add_reads_graphql_files_and_the_common_manifests(tmp_path: Path, registry: Path) -> None:
    # Given a .graphql file, an Apollo manifest and a Codegen/Relay map
    graphql = tmp_path / "me.graphql"
    graphql.write_text(ME, encoding="utf-8")
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": sha256_of(ACCOUNT), "body": ACCOUNT, "name": "Account", "type": "query"}
                ],
            }
        ),
        encoding="utf-8",
    )
    codegen = tmp_path / "persisted-documents.json"
    codegen.write_text(json.dumps({sha256_of(TWO): TWO, sha256_of(ME): ME}), encoding="utf-8")
    # When they are added
    result = documents("add", str(graphql), str(apollo), str(codegen))
    # Then each document is registered once, under its SHA-256, and the hashes printed
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"{sha256_of(ME)}  Me  added",
        f"{sha256_of(ACCOUNT)}  Account  added",
        f"{sha256_of(TWO)}  A,B  added",
        f"{sha256_of(ME)}  Me  already registered",
        f"3 added, 1 already registered in {registry}",
    ]
    assert json.loads(registry.read_text(encoding="utf-8")) == {
        sha256_of(ME): ME,
        sha256_of(ACCOUNT): ACCOUNT,
        sha256_of(TWO): TWO,
    }
    # And the list shows them, sorted by hash
    listed = documents("list")
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == sorted(
        [f"{sha256_of(ME)}  Me", f"{sha256_of(ACCOUNT)}  Account", f"{sha256_of(TWO)}  A,B"]
    )
    # And adding the same file again adds nothing
    again = documents("add", str(graphql))
    assert again.stdout.splitlines()[-1] == f"0 added, 1 already registered in {registry}"


def test_list_of_an_empty_registry_prints_nothing(registry: Path) -> None:
    result = documents("list")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def _refused(tmp_path: Path, registry: Path, name: str, content: str) -> str:
    """Adds a good document and then `content`; returns the error line, after checking
    that the refusal wrote nothing (not even the good document of the same call)."""
    good = tmp_path / "good.graphql"
    good.write_text(ME, encoding="utf-8")
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    result = documents("add", str(good), str(bad))
    assert (result.returncode, result.stdout) == (1, "")
    assert not registry.exists()
    return result.stderr


def test_a_document_that_does_not_validate_is_refused(tmp_path: Path, registry: Path) -> None:
    error = _refused(tmp_path, registry, "bad.graphql", "query Bad { viewer { nope } }")
    assert error == (
        f"error: {tmp_path / 'bad.graphql'}: document "
        f"{sha256_of('query Bad { viewer { nope } }')} (Bad) is refused: "
        "Cannot query field 'nope' on type 'Viewer'.\n"
    )


def test_a_document_over_the_request_limits_is_refused(tmp_path: Path, registry: Path) -> None:
    many = "{ " + " ".join(f"v{i}: viewer {{ user {{ name }} }}" for i in range(31)) + " }"
    error = _refused(tmp_path, registry, "many.graphql", many)
    assert error.endswith("the limit is 30.\n")


def test_a_document_that_does_not_parse_is_refused(tmp_path: Path, registry: Path) -> None:
    error = _refused(tmp_path, registry, "broken.graphql", "query {")
    assert error.endswith("is refused: Syntax Error: Expected Name, found <EOF>.\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "malformed JSON (Expecting property name enclosed in double quotes, line 1)"),
        ("[]", "expected a JSON object mapping SHA-256 hashes to documents, or an Apollo "
         "persisted query manifest"),
        (json.dumps({"abc": ME}), f"'abc' is not the SHA-256 of its document ({sha256_of(ME)}); "
         "clients send that hash (Relay: persistConfig algorithm SHA256)"),
        (json.dumps({sha256_of(ME).upper(): ME}), f"{sha256_of(ME).upper()!r} is not the SHA-256 "
         f"of its document ({sha256_of(ME)}); clients send that hash (Relay: persistConfig "
         "algorithm SHA256)"),
        (json.dumps({sha256_of(ME): 5}), f"the document of {sha256_of(ME)!r} is not a text"),
        (json.dumps({"format": "apollo-persisted-query-manifest", "version": 2}),
         "only version 1 of Apollo's manifest is read"),
        (json.dumps({"format": "apollo-persisted-query-manifest", "version": 1}),
         "'operations' must be a list"),
        (json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                     "operations": ["x"]}), "operations[0] must be an object"),
        (json.dumps({"format": "apollo-persisted-query-manifest", "version": 1,
                     "operations": [{"id": "1", "body": ME}]}),
         f"'1' is not the SHA-256 of its document ({sha256_of(ME)}); clients send that hash "
         "(Relay: persistConfig algorithm SHA256)"),
    ],
)  # fmt: skip
def test_malformed_manifests_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DocumentFileError) as raised:
        read_document_file(path)
    assert str(raised.value) == f"{path}: {message}"


def test_the_cli_refuses_a_malformed_manifest(tmp_path: Path, registry: Path) -> None:
    error = _refused(tmp_path, registry, "manifest.json", json.dumps({"abc": ME}))
    assert error == (
        f"error: {tmp_path / 'manifest.json'}: 'abc' is not the SHA-256 of its document "
        f"({sha256_of(ME)}); clients send that hash (Relay: persistConfig algorithm SHA256)\n"
    )


def test_a_missing_file_is_refused(tmp_path: Path, registry: Path) -> None:
    result = documents("add", str(tmp_path / "nowhere.json"))
    assert result.returncode == 1
    assert (
        result.stderr
        == f"error: cannot read {tmp_path / 'nowhere.json'}: No such file or directory\n"
    )


async def test_documents_added_by_the_cli_are_served_in_only_mode(
    tmp_path: Path, registry: Path, settings_empty: Settings, admin: factories.Team
) -> None:
    # Given a document registered through the command line
    source = tmp_path / "me.graphql"
    source.write_text(ME, encoding="utf-8")
    added = await asyncio.to_thread(documents, "add", str(source))
    assert added.returncode == 0
    # And the real app and schema, accepting trusted documents only
    settings = settings_empty.model_copy(
        update={"trusted_documents": TrustedDocuments.ONLY, "trusted_documents_file": registry}
    )
    server = await start_api_server(create_app(settings, manage_database=False))
    async with httpx.AsyncClient(
        base_url=server.url, headers=bearer(admin.admin_token), timeout=15
    ) as api:
        persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(ME)}}
        by_hash = await api.get("/graphql", params={"extensions": json.dumps(persisted)})
        other = await api.post("/graphql", json={"query": ACCOUNT})
    await server.stop()
    # Then it runs by its hash, and another document is refused
    assert by_hash.json() == {"data": {"viewer": {"user": {"name": "Alice Martin"}}}}
    assert (other.status_code, other.json()["errors"][0]["extensions"]["code"]) == (
        403,
        "DOCUMENT_NOT_TRUSTED",
    )
