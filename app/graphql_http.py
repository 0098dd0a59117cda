"""GraphQL over HTTP, written out so every rule is ours and visible.

- POST with an `application/json` body; any other body is refused (415): a browser cannot
  send JSON across origins without a CORS preflight, which closes the CSRF hole that
  form-encoded or multipart GraphQL bodies open.
- GET for queries only; a mutation over GET answers 405 and changes nothing.
- One operation per request: a JSON array (HTTP batching) is refused.
- The document is the `query` text, or one found by its SHA-256 (automatic persisted
  queries and trusted documents: app/persisted_queries.py); a document not found or not
  trusted is answered with `Cache-Control: no-store`, so that no cache keeps the refusal.
- `Accept: application/graphql-response+json` is answered with that media type and the
  status codes of the GraphQL-over-HTTP spec (400 when the request never executed);
  `application/json` keeps the traditional 200.
- Before anything else reads the request: the method, then the budget of failed
  authentications of the client address (429 `THROTTLED` once spent, without reading the
  body or looking the token up), then the body (size, JSON nesting, shape).
- Authentication happens before parsing: without a valid credential the answer is 401
  with a GraphQL error whose `extensions.code` is `UNAUTHENTICATED`, and the failure is
  counted for the address. Then the caller's own budget (app/ratelimit.py).
- Errors the resolvers did not mean to show are masked as `INTERNAL_SERVER_ERROR` with the
  request id, and logged once with their traceback (here: schema/limits/seatwise_schema.py keeps
  strawberry from logging them again). Every response carries `X-Request-Id`: the
  client's when it sent a usable one, else a new one.
- A request refused before execution (parse, validation, limits, variables) has no `data`
  entry; once execution started, `data` is always there, null or not (GraphQL over HTTP:
  400 and 200 respectively with `application/graphql-response+json`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from graphql import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT, GraphQLError
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.admission import Admission
from app.auth import AuthenticationError
from app.errors import ApiError, error_code_of, masked_error
from app.graphiql import graphiql_page
from app.persisted_queries import ApqStore, Document, Documents, document_request
from app.ratelimit import RateDecision
from app.token_cache import TokenCache
from app.trusted_documents import Registry
from app.wiring import grace_policy
from domain.principals import PartnerPrincipal, Principal
from infra.one_connection import one_connection
from infra.settings import Settings
from models import OutboxMessage
from schema.compiled.schema import CompilingSchema
from schema.context import Context, build_context
from schema.limits.numbers import MAX_BODY_BYTES, MAX_JSON_DEPTH
from workers.enqueue import enqueue_after_commit, queue_client

logger = logging.getLogger("seatwise.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# A client's request id is echoed in headers, messages and logs: printable ASCII only,
# bounded, so that it cannot forge log lines or bloat responses.
_REQUEST_ID = re.compile(r"[!-~]{1,128}")
# The nesting of a JSON text is measured on its brackets outside strings (json_depth_exceeds).
_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_JSON_STRING = re.compile(rb'"[^"]*"')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_NESTING_STEP = [1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256)]
# graphql-core repeats an out-of-range Int in its message (a variable's cut at 240
# characters, a literal's in full), or Python's own words for a literal of more than 4,300
# digits: say what an Int is instead of echoing 10**300.
_INT_RANGE_ECHO = re.compile(
    r"Int cannot represent non 32-bit signed integer value: .*"
    r"|Expected value of type 'Int!?', but encountered error 'Exceeds the limit .*",
    re.DOTALL,
)
INT_RANGE = f"Int must be a 32-bit signed integer ({GRAPHQL_MIN_INT} to {GRAPHQL_MAX_INT})."
# Characters of an error message: graphql-core prints the offending input in some messages
# (a list literal nested 150 levels prints as 20 KB), and a response must not amplify a
# request.
MAX_MESSAGE_CHARS = 500


class GraphQLEndpoint:
    def __init__(
        self, schema: Any, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.grace = grace_policy(settings)
        self.documents = Documents(
            settings.trusted_documents,
            Registry(settings.trusted_documents_file),
            ApqStore(settings.apq_cache_size, settings.apq_shared_size),
        )
        # Connects on first use, and again after Redis comes back.
        self.queue = queue_client(settings)
        # Seconds since the epoch, read once per request: the rate-limit windows, the
        # token expiry and the request's context all use that one instant (and tests
        # move it instead of waiting for a minute to pass).
        self.clock = clock
        # API tokens' principals, kept TOKEN_CACHE_SECONDS by this process (0: not kept).
        self.tokens = (
            TokenCache(settings.token_cache_seconds) if settings.token_cache_seconds > 0 else None
        )
        # Compiled execution of queries (schema/compiled), unless the settings turn it off.
        self._execution_options: dict[str, Any] = (
            {"compiled": settings.compiled_execution} if isinstance(schema, CompilingSchema) else {}
        )

    async def _execute(
        self,
        document: Document,
        params: dict[str, Any],
        context: Context,
        allowed: set[OperationType],
    ) -> ExecutionResult:
        try:
            result: ExecutionResult = await self.schema.execute(
                document.text,
                variable_values=params.get("variables"),
                context_value=context,
                operation_name=params.get("operationName"),
                allowed_operation_types=allowed,
                **self._execution_options,
            )
        finally:
            # The answer holds plain values from here on (schema.loaders.registry).
            context.loaders.release()
        return result

    async def hand_over(self, messages: Sequence[OutboxMessage]) -> object:
        """Outbox rows of a committed mutation, to the queue now rather than at the next
        relay (best effort: when Redis is down they wait for the worker's relay)."""
        return await enqueue_after_commit(self.queue, messages)

    async def close(self) -> None:
        await self.queue.aclose()

    async def handle(self, request: Request) -> Response:
        client_id = request.headers.get("x-request-id", "")
        request_id = client_id if _REQUEST_ID.fullmatch(client_id) else uuid.uuid4().hex
        response = await self._handle(request, request_id)
        response.headers["X-Request-Id"] = request_id
        return response

    async def _handle(self, request: Request, request_id: str) -> Response:
        now = self.clock()
        media_type = _response_media_type(request.headers.get("accept", ""))
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.method not in ("GET", "POST"):
            # Starlette routes HEAD to GET handlers; a HEAD body must not run anything.
            api_error = ApiError(405, "METHOD_NOT_ALLOWED", "use POST, or GET for queries")
            response = _error_response(api_error, media_type, request_id)
            response.headers["Allow"] = "GET, POST"
            return response
        if request.method == "GET" and not _names_a_document(request) and wants_html:
            return graphiql_page()
        redis: Redis | None = getattr(request.app.state, "redis", None)
        host = request.client.host if request.client else None
        admission = Admission(self.settings, redis, host, self.tokens)
        check = await admission.address_refused(now)
        if check is not None:
            return _throttled(
                f"more than {check.limit} failed authentications a minute from this "
                f"address: retry in {check.retry_after} s",
                check,
                media_type,
                request_id,
            )
        try:
            params = await _read_params(request)
            principal = await admission.authenticate(request.headers.get("authorization"), now)
        except ApiError as error:
            return _error_response(error, media_type, request_id)
        except AuthenticationError as error:
            api_error = ApiError(401, "UNAUTHENTICATED", str(error))
            response = _error_response(api_error, media_type, request_id)
            response.headers["WWW-Authenticate"] = 'Bearer realm="seatwise"'
            return response
        decision = await admission.caller_budget(principal, now)
        if decision is not None and not decision.allowed:
            response = _throttled(
                f"more than {decision.limit} requests a minute for this {_caller(principal)}: "
                f"retry in {decision.retry_after} s",
                decision,
                media_type,
                request_id,
            )
            response.headers.update(decision.headers())
            return response
        document = await _resolve_document(self.documents, params, redis, media_type, request_id)
        if isinstance(document, Response):
            return document
        context = await build_context(
            principal,
            request_id,
            now=dt.datetime.fromtimestamp(now, dt.UTC),
            grace=self.grace,
            hand_over=self.hand_over,
            reads=one_connection,
        )
        allowed = (
            {OperationType.QUERY}
            if request.method == "GET"
            else {OperationType.QUERY, OperationType.MUTATION}
        )
        try:
            result = await self._execute(document, params, context, allowed)
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.MUTATION:
                api_error = ApiError(
                    405, "METHOD_NOT_ALLOWED", "mutations are not allowed over GET: use POST"
                )
                response = _error_response(api_error, media_type, request_id)
                response.headers["Allow"] = "POST"
                return response
            return _error_response(
                ApiError(400, "BAD_REQUEST", "subscriptions are served over WebSocket"),
                media_type,
                request_id,
            )
        except CannotGetOperationTypeError as error:
            return _error_response(
                ApiError(400, "BAD_REQUEST", error.as_http_error_reason()), media_type, request_id
            )
        if document.to_persist and _executed(result):
            await self.documents.remember(document, redis)
        response = _result_response(result, media_type, request_id)
        if decision is not None:
            response.headers.update(decision.headers())
        return response


async def _resolve_document(
    documents: Documents,
    params: dict[str, Any],
    redis: Redis | None,
    media_type: str,
    request_id: str,
) -> Document | Response:
    """The document to run, or the refusal to answer (never to be cached: the same URL
    may find the document a moment later)."""
    try:
        return await documents.resolve(params["document"], redis)
    except ApiError as error:
        response = _error_response(error, media_type, request_id)
        response.headers["Cache-Control"] = "no-store"
        return response


def _names_a_document(request: Request) -> bool:
    """Whether a GET names a document (by text or hash): else a browser gets GraphiQL."""
    return "query" in request.query_params or "extensions" in request.query_params


def _caller(principal: Principal) -> str:
    return "partner" if isinstance(principal, PartnerPrincipal) else "user"


def _throttled(message: str, decision: RateDecision, media_type: str, request_id: str) -> Response:
    response = _error_response(ApiError(429, "THROTTLED", message), media_type, request_id)
    response.headers["Retry-After"] = str(decision.retry_after)
    return response


async def _read_params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        for key in ("variables", "extensions"):
            if key in params:
                params[key] = _parse_json(params[key], f"the '{key}' query parameter")
    else:
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != JSON:
            raise ApiError(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "POST bodies must be application/json (other types are refused against CSRF)",
            )
        params = _parse_json((await _bounded_body(request)).decode("utf-8", "replace"), "the body")
        if isinstance(params, list):
            raise ApiError(400, "BAD_REQUEST", "batched requests are not supported: send one")
    if not isinstance(params, dict):
        raise ApiError(400, "BAD_REQUEST", "the request must be a JSON object")
    if params.get("variables") is not None and not isinstance(params["variables"], dict):
        raise ApiError(400, "BAD_REQUEST", "'variables' must be a JSON object")
    if params.get("operationName") is not None and not isinstance(params["operationName"], str):
        raise ApiError(400, "BAD_REQUEST", "'operationName' must be a string")
    if params.get("extensions") is not None and not isinstance(params["extensions"], dict):
        raise ApiError(400, "BAD_REQUEST", "'extensions' must be a JSON object")
    params["document"] = document_request(params)
    return params


async def _bounded_body(request: Request) -> bytes:
    """The body, refused with 413 past MAX_BODY_BYTES without reading the rest."""
    too_large = ApiError(
        413, "REQUEST_TOO_LARGE", f"the request body is larger than {MAX_BODY_BYTES} bytes"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    return bytes(body)


def _parse_json(text: str, what: str) -> Any:
    if json_depth_exceeds(text, MAX_JSON_DEPTH):
        raise ApiError(
            400, "BAD_REQUEST", f"the JSON in {what} is nested more than {MAX_JSON_DEPTH} levels"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "BAD_REQUEST", f"malformed JSON in {what}: {exc.msg}") from None
    except ValueError:
        # Python refuses to convert integers of more than 4,300 digits (a guard against
        # quadratic conversions): the only other ValueError json.loads raises.
        raise ApiError(400, "BAD_REQUEST", f"a number in {what} has too many digits") from None


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON `text` nests deeper than `limit`, found without decoding it, in
    linear time and without recursion: escapes go first (so a string holds no quote),
    then everything but brackets and quotes, then strings; the running sum of +1 for an
    opening bracket and -1 for a closing one is the depth. Each step is a C loop: 256 KiB
    of brackets cost about as much as json.loads. Malformed JSON may be miscounted, and
    json.loads refuses it anyway."""
    structure = _JSON_ESCAPE.sub(b"", text.encode()).translate(None, _NOT_STRUCTURE)
    brackets = _JSON_STRING.sub(b"", structure)
    return max(itertools.accumulate(map(_NESTING_STEP.__getitem__, brackets)), default=0) > limit


def _response_media_type(accept: str) -> str:
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else JSON


def _error_response(error: ApiError, media_type: str, request_id: str) -> Response:
    body = {"errors": [error.formatted(request_id)]}
    # The traditional media type keeps 200 for GraphQL errors, but not for failures of
    # HTTP itself (method, media type, authentication).
    status = error.status
    return json_response(body, status_code=status, media_type=media_type)


def _result_response(result: ExecutionResult, media_type: str, request_id: str) -> Response:
    errors = result.errors or []
    body: dict[str, Any] = {}
    if errors:
        body["errors"] = [format_error(error, request_id) for error in errors]
    executed = _executed(result)
    if executed:
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    status = 200
    if not executed:
        if any(e["extensions"]["code"] == "INTERNAL_SERVER_ERROR" for e in body["errors"]):
            status = 500  # a bug of ours before execution, not a bad request
        elif media_type == GRAPHQL_RESPONSE:
            status = 400
    return json_response(body, status_code=status, media_type=media_type)


# orjson writes what Starlette's JSONResponse wrote (`json.dumps(..., ensure_ascii=False,
# allow_nan=False, separators=(",", ":"))` in UTF-8): keys in insertion order, no spaces,
# characters unescaped, about 15 x faster on a users page. Where the two could differ it is
# made to refuse, and the standard encoder then answers exactly as before (the same bytes,
# or the same exception): integers beyond 64 bits, keys that are not strings, lone
# surrogates, and objects that are not JSON (datetimes, dataclasses and subclasses are
# passed through to the absent `default`, so they raise). Floats would be spelled
# differently in exponent form (1e-7 / 1e-07) and NaN or infinities would become null
# instead of an error, but the schema has no Float field (a test pins that), and
# graphql-core refuses non-finite floats anyway.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def encode_json(body: Any) -> bytes:
    """The bytes of a response body, identical to Starlette's JSONResponse rendering."""
    try:
        return orjson.dumps(body, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(
            body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("utf-8")


def json_response(body: Any, *, status_code: int, media_type: str) -> Response:
    return Response(encode_json(body), status_code=status_code, media_type=media_type)


def _executed(result: ExecutionResult) -> bool:
    """Whether execution started: errors of execution have a path; refusals before it
    (parse, validation, limits, variables) have none and leave no data."""
    errors = result.errors or []
    return result.data is not None or not errors or any(error.path for error in errors)


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    code = error_code_of(error)
    if code is None:
        path = ".".join(str(p) for p in error.path or ())
        logger.error(
            "unexpected error %s (request %s)",
            f"in {path}" if path else "before execution",
            request_id,
            exc_info=_root_cause(error),
        )
        return masked_error(error, request_id)
    formatted = dict(error.formatted)
    message = _INT_RANGE_ECHO.sub(INT_RANGE, error.message)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + "..."
    formatted["message"] = message
    formatted["extensions"] = {**(error.extensions or {}), "code": code}
    return formatted


def _root_cause(error: GraphQLError) -> BaseException:
    """The exception that started it all: graphql-core may wrap it in more than one
    GraphQLError, and only the innermost carries the traceback worth logging."""
    cause: BaseException = error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return cause
