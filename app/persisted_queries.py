"""Persisted queries: the document a request runs, found by its text or its SHA-256.

- Automatic persisted queries (Apollo's protocol, version 1): a request may carry
  `extensions.persistedQuery = {"version": 1, "sha256Hash": "<64 lowercase hex>"}`. Without
  `query` it runs the document remembered under that hash, or answers the GraphQL error
  `PersistedQueryNotFound` (`extensions.code` `PERSISTED_QUERY_NOT_FOUND`, HTTP 200, never
  cached) so that the client sends the hash again with the text; with `query` the hash must
  be the text's (else 400 `PERSISTED_QUERY_HASH_MISMATCH`), and the document is remembered
  once it has parsed and validated. Where: each API process keeps `APQ_CACHE_SIZE`
  documents (least recently used first out), in front of Redis, which every process
  shares: `APQ_SHARED_SIZE` documents (oldest first out, and a week at most; 0 keeps
  them per process only). A document read from Redis is checked against its hash. A
  document over MAX_PERSISTED_BYTES runs but is not kept. Losing an entry (eviction,
  Redis away) costs the client one more round trip, no more.
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

import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

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
# Bytes of a document APQ keeps: the stores are bounded in entries, and this bounds each
# entry (a body may hold 256 KiB, most of it in one string literal).
MAX_PERSISTED_BYTES = 32 * 1024
# Redis: one key per document, and a sorted set of hashes by time of registration that
# bounds their number (the queue's Redis must not be filled: arq's jobs live there). The
# script stores, indexes and evicts in one step (ZPOPMIN answers hash, score, hash, ...).
REDIS_PREFIX = "apq:"
REDIS_INDEX = "apq:index"
REDIS_TTL_SECONDS = 7 * 24 * 3600
_STORE_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if excess > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #popped, 2 do redis.call('DEL', ARGV[6] .. popped[i]) end
end
"""

logger = logging.getLogger("seatwise.graphql")


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
    """The documents clients registered with APQ: this process's LRU, then Redis."""

    def __init__(self, size: int, shared_size: int) -> None:
        self.size = size
        self.shared_size = shared_size
        self._texts: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str, redis: Redis | None) -> str | None:
        text = self._texts.get(sha256)
        if text is not None:
            self._texts.move_to_end(sha256)
            return text
        if redis is None or not self.shared_size:
            return None
        try:
            raw: bytes | None = await redis.get(REDIS_PREFIX + sha256)
        except (RedisError, OSError) as exc:
            logger.warning("persisted queries: Redis unavailable (%s)", exc)
            return None
        if raw is None:
            return None
        text = raw.decode("utf-8", "replace")
        if sha256_of(text) != sha256:
            # Not what was stored (or not by us): never run a text under another's hash.
            logger.error("persisted queries: the Redis entry of %s is not its document", sha256)
            return None
        self._keep(sha256, text)
        return text

    async def put(self, sha256: str, text: str, redis: Redis | None) -> None:
        if len(text.encode("utf-8")) > MAX_PERSISTED_BYTES:
            return
        self._keep(sha256, text)
        if redis is None or not self.shared_size:
            return
        try:
            await redis.eval(  # type: ignore[misc]  # redis-py types sync and async at once
                _STORE_SCRIPT,
                2,
                REDIS_PREFIX + sha256,
                REDIS_INDEX,
                text,
                sha256,
                str(time.time()),
                str(REDIS_TTL_SECONDS),
                str(self.shared_size),
                REDIS_PREFIX,
            )
        except (RedisError, OSError) as exc:
            logger.warning("persisted queries: Redis unavailable (%s)", exc)

    def _keep(self, sha256: str, text: str) -> None:
        self._texts[sha256] = text
        self._texts.move_to_end(sha256)
        while len(self._texts) > self.size:
            self._texts.popitem(last=False)


class Documents:
    """Resolves a request's document (by text or hash) under the trusted-documents mode."""

    def __init__(self, mode: TrustedDocuments, registry: Registry, apq: ApqStore) -> None:
        self.mode = mode
        self.registry = registry
        self.apq = apq

    async def resolve(self, request: DocumentRequest, redis: Redis | None) -> Document:
        """The document to run, or ApiError (not found, not trusted)."""
        if request.query is None:
            assert request.sha256 is not None
            return await self._by_hash(request.sha256, redis)
        sha256 = request.sha256 or sha256_of(request.query)
        # Any text runs in `allow` mode: whether it is registered only decides whether its
        # parsed document is pinned, not worth a stat call per request.
        only = self.mode is TrustedDocuments.ONLY
        registered = self._registered(sha256, refresh=only) is not None
        if only and not registered:
            raise _not_trusted("this document is not registered")
        return Document(
            request.query,
            sha256,
            registered=registered,
            to_persist=request.sha256 is not None,
        )

    async def remember(self, document: Document, redis: Redis | None) -> None:
        """Keep an APQ document that parsed and validated (call after it ran)."""
        if document.to_persist:
            await self.apq.put(document.sha256, document.text, redis)

    async def _by_hash(self, sha256: str, redis: Redis | None) -> Document:
        only = self.mode is TrustedDocuments.ONLY
        text = self._registered(sha256, refresh=only)
        if text is not None:
            return Document(text, sha256, registered=True)
        if only:
            raise _not_trusted("no registered document has this hash")
        text = await self.apq.get(sha256, redis)
        if text is not None:
            return Document(text, sha256)
        # Before answering "not found": a document registered since the file was read.
        text = self._registered(sha256, refresh=True)
        if text is None:
            raise ApiError(200, PERSISTED_QUERY_NOT_FOUND, NOT_FOUND_MESSAGE)
        return Document(text, sha256, registered=True)

    def _registered(self, sha256: str, *, refresh: bool) -> str | None:
        if self.mode is TrustedDocuments.OFF:
            return None
        text = self.registry.get(sha256, refresh=refresh)
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
