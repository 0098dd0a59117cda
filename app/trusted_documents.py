"""The registry of trusted GraphQL documents: a JSON file mapping each document's SHA-256
(64 lowercase hex characters of its UTF-8 text) to its text, the format GraphQL Codegen's
persisted documents and Relay's SHA-256 query maps use.

The file, not a table: documents are build artifacts of the clients, shipped with a
deploy, read by every API process without a query, and readable in a code review.
`python -m app documents add` writes it (atomically, keeping what it holds); each API
process reads it on the first lookup, and again (when the file changed: one stat call)
before it refuses a document or answers PersistedQueryNotFound, so an added document is
served without a restart.

`documents add` reads, besides that map, Apollo's persisted query manifests
(`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body",
...}]}`) and plain `.graphql` files (one document each). A document must parse, validate
against the schema and stay within the request limits that do not depend on variables; a
hash given in a manifest must be the document's own (a client sends that hash).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, parse, specified_rules
from strawberry.schema.schema import validate_document

from schema.limits.numbers import MAX_TOKENS
from schema.limits.rules import with_limit_rules

logger = logging.getLogger("seatwise.documents")

APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"


class DocumentFileError(Exception):
    """A manifest or document file that cannot be registered; the message says why."""


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    sha256: str
    text: str

    @property
    def operations(self) -> str:
        """The names of the document's operations, for people ("-" when anonymous)."""
        try:
            document = parse(self.text, no_location=True)
        except GraphQLError:
            return "?"
        names = [
            d.name.value if d.name else "-"
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ]
        return ",".join(names) or "-"


def sha256_of(text: str) -> str:
    """The key of a document everywhere: the SHA-256 of its UTF-8 text, in lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Registry:
    """The registry file as one API process sees it (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._documents: dict[str, str] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._read = False

    def get(self, sha256: str, *, refresh: bool = True) -> str | None:
        """The registered text of `sha256`. A miss reads the file again if it changed
        (a stat call); `refresh=False` answers from memory after the first read, for the
        lookups that do not decide whether a request runs."""
        text = self._documents.get(sha256)
        if text is None and (refresh or not self._read) and self._reload():
            text = self._documents.get(sha256)
        return text

    def _reload(self) -> bool:
        """Read the file again if it changed since the last read; whether it was read."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            stamp = None
        else:
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._read and stamp == self._stamp:
            return False
        self._read = True
        self._stamp = stamp
        if stamp is None:
            self._documents = {}
            return True
        try:
            self._documents = read_registry(self.path)
        except DocumentFileError as exc:
            # Keep serving what was read before: a broken file must not refuse every
            # request (documents add never writes one).
            logger.error("trusted documents not reloaded: %s", exc)
            return False
        return True


def read_registry(path: Path) -> dict[str, str]:
    """The registry file's documents (empty when there is no file)."""
    if not path.exists():
        return {}
    return {doc.sha256: doc.text for doc in read_document_file(path)}


def read_document_file(path: Path) -> list[TrustedDocument]:
    """The documents of a registry file, a manifest or a .graphql file (unchecked against
    the schema)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentFileError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DocumentFileError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() in {".graphql", ".gql"}:
        return [TrustedDocument(sha256_of(raw), raw)]
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DocumentFileError(f"{path}: malformed JSON ({exc.msg}, line {exc.lineno})") from None
    return _documents_of(path, data)


def _documents_of(path: Path, data: Any) -> list[TrustedDocument]:
    if isinstance(data, dict) and data.get("format") == APOLLO_MANIFEST_FORMAT:
        if data.get("version") != 1:
            raise DocumentFileError(f"{path}: only version 1 of Apollo's manifest is read")
        operations = data.get("operations")
        if not isinstance(operations, list):
            raise DocumentFileError(f"{path}: 'operations' must be a list")
        pairs: list[tuple[object, object]] = []
        for index, operation in enumerate(operations):
            if not isinstance(operation, dict):
                raise DocumentFileError(f"{path}: operations[{index}] must be an object")
            pairs.append((operation.get("id"), operation.get("body")))
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise DocumentFileError(
            f"{path}: expected a JSON object mapping SHA-256 hashes to documents, or an "
            "Apollo persisted query manifest"
        )
    documents = []
    for key, text in pairs:
        if not isinstance(text, str) or not text.strip():
            raise DocumentFileError(f"{path}: the document of {str(key)[:80]!r} is not a text")
        sha256 = sha256_of(text)
        if key != sha256:
            raise DocumentFileError(
                f"{path}: {str(key)[:80]!r} is not the SHA-256 of its document ({sha256}); "
                "clients send that hash (Relay: persistConfig algorithm SHA256)"
            )
        documents.append(TrustedDocument(sha256, text))
    return documents


def check_document(schema: GraphQLSchema, document: TrustedDocument) -> list[str]:
    """Why the document would be refused whatever its variables (empty when it is fine)."""
    try:
        parsed = parse(document.text, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return [error.message]
    errors = validate_document(schema, parsed, with_limit_rules(tuple(specified_rules)))
    return [error.message for error in errors]


def add_documents(
    path: Path, documents: Iterable[TrustedDocument]
) -> tuple[list[TrustedDocument], list[TrustedDocument]]:
    """Write `documents` into the registry file; returns (added, already registered)."""
    registry = read_registry(path)
    added, known = [], []
    for document in documents:
        if document.sha256 in registry:
            known.append(document)
        else:
            registry[document.sha256] = document.text
            added.append(document)
    if added:
        _write_atomically(path, json.dumps(registry, indent=2, sort_keys=True) + "\n")
    return added, known


def _write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
