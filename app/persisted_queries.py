"""Persisted queries: the document a request runs, found by its text or its SHA-256.

- Automatic persisted queries (Apollo's protocol, version 1): a request may carry
  `extensions.persistedQuery = {"version": 1, "sha256Hash": "<64 lowercase hex>"}`. Without
  `query` it runs the document remembered under that hash, or answers the GraphQL error
  `PersistedQueryNotFound` (`extensions.code` `PERSISTED_QUERY_NOT_FOUND`, HTTP 200, never
  cached) so that the client sends the hash again with the text; with `query` the hash must
  be the text's (else 400 `PERSISTED_QUERY_HASH_MISMATCH`), and the document is remembered
  once it has parsed and validated. Each API process remembers `APQ_CACHE_SIZE` documents
  (least recently used first out): a miss costs the client one more round trip, no more.
- Trusted documents (`TRUSTED_DOCUMENTS`, app/trusted_documents.py holds the registry):
  `allow` also finds registered documents by hash; `only` runs registered documents and
  nothing else (403 `DOCUMENT_NOT_TRUSTED` for another text or hash, and APQ cannot
  register one); `off` never reads the registry.

The shape of the extension is checked before authentication (no lookup for a malformed
request); the lookups happen after it, so an anonymous client can neither probe nor fill
the store. The resolved `Document` carries the text and its SHA-256, the key of every cache
below the endpoint.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from app.errors import ApiError
from app.trusted_documents import Registry, sha256_of
from infra.settings import TrustedDocuments
from schema.limits.document_cache import DOCUMENTS

APQ_VERSION = 1
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
DOCUMENT_NOT_TRUSTED = "DOCUMENT_NOT_TRUSTED"
# Apollo Client's link recognises a miss by this message or by the code.
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Document:
    """The document a request runs: its text, the SHA-256 of that text, whether it is in
    the registry of trusted documents, and whether the client asked to persist it."""

    text: str
    sha256: str
    registered: bool = False
    to_persist: bool = False


@dataclass(frozen=True, slots=True)
class DocumentRequest:
    """What the request names: a text, a hash (APQ), or both (then they agree)."""

    query: str | None
    sha256: str | None


def document_request(params: dict[str, Any]) -> DocumentRequest:
    """The `query` and `extensions.persistedQuery` of a request's parameters, checked for
    shape only (no lookup): raises ApiError 400 for anything malformed. Hostile values are
    described, never echoed."""
    extensions = params.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    query = params.get("query")
    if query is not None and (not isinstance(query, str) or not query.strip()):
        raise ApiError(400, "BAD_REQUEST", "the request has no 'query' string")
    if persisted is None:
        if query is None:
            raise ApiError(400, "BAD_REQUEST", "the request has no 'query' string")
        return DocumentRequest(query=query, sha256=None)
    if not isinstance(persisted, dict):
        raise ApiError(400, "BAD_REQUEST", "'extensions.persistedQuery' must be a JSON object")
    version = persisted.get("version")
    if type(version) is not int or version != APQ_VERSION:
        raise ApiError(
            400,
            "BAD_REQUEST",
            f"unsupported persisted query version: 'extensions.persistedQuery.version' "
            f"must be {APQ_VERSION}",
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or len(sha256) != 64 or not _SHA256_HEX.fullmatch(sha256):
        raise ApiError(
            400,
            "BAD_REQUEST",
            "'extensions.persistedQuery.sha256Hash' must be 64 lowercase hexadecimal "
            "characters: the SHA-256 of the document's UTF-8 text",
        )
    if query is not None and sha256_of(query) != sha256:
        raise ApiError(
            400,
            PERSISTED_QUERY_HASH_MISMATCH,
            "'extensions.persistedQuery.sha256Hash' is not the SHA-256 of 'query'",
        )
    return DocumentRequest(query=query, sha256=sha256)


class ApqStore:
    """The documents clients registered with APQ, least recently used evicted first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._texts: OrderedDict[str, str] = OrderedDict()

    def get(self, sha256: str) -> str | None:
        text = self._texts.get(sha256)
        if text is not None:
            self._texts.move_to_end(sha256)
        return text

    def put(self, sha256: str, text: str) -> None:
        self._texts[sha256] = text
        self._texts.move_to_end(sha256)
        while len(self._texts) > self.size:
            self._texts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._texts)


class Documents:
    """Resolves a request's document (by text or hash) under the trusted-documents mode."""

    def __init__(self, mode: TrustedDocuments, registry: Registry, apq: ApqStore) -> None:
        self.mode = mode
        self.registry = registry
        self.apq = apq

    def resolve(self, request: DocumentRequest) -> Document:
        """The document to run, or ApiError (not found, not trusted)."""
        if request.query is None:
            assert request.sha256 is not None
            return self._by_hash(request.sha256)
        sha256 = request.sha256 or sha256_of(request.query)
        registered = self._registered(sha256) is not None
        if self.mode is TrustedDocuments.ONLY and not registered:
            raise _not_trusted("this document is not registered")
        return Document(
            request.query,
            sha256,
            registered=registered,
            to_persist=request.sha256 is not None and not registered,
        )

    def remember(self, document: Document) -> None:
        """Keep an APQ document that parsed and validated (call after it ran)."""
        if document.to_persist:
            self.apq.put(document.sha256, document.text)

    def _by_hash(self, sha256: str) -> Document:
        text = self._registered(sha256)
        if text is not None:
            return Document(text, sha256, registered=True)
        if self.mode is TrustedDocuments.ONLY:
            raise _not_trusted("no registered document has this hash")
        text = self.apq.get(sha256)
        if text is None:
            raise ApiError(200, PERSISTED_QUERY_NOT_FOUND, NOT_FOUND_MESSAGE)
        return Document(text, sha256)

    def _registered(self, sha256: str) -> str | None:
        if self.mode is TrustedDocuments.OFF:
            return None
        text = self.registry.get(sha256)
        if text is not None:
            # Parsed and validated once per process, never evicted by other texts.
            DOCUMENTS.pin(text)
        return text


def _not_trusted(why: str) -> ApiError:
    return ApiError(
        403,
        DOCUMENT_NOT_TRUSTED,
        f"only trusted documents run here, and {why} (see `python -m app documents add`)",
    )
