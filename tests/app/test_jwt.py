"""JWT sign-in for single-page apps, over real HTTP: a shared HS256 secret, or keys published
by an identity provider as a JWKS document (served here by a real local HTTP server)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.asgi import create_app
from infra.net import free_port
from models import Account, User
from models.enums import Role
from schema.ids import to_global_id
from tests.conftest import make_settings
from tests.support import factories
from tests.support.services import ApiServer, RedisServer, start_api_server

SECRET = "a-test-secret-that-is-long-enough-for-hs256-and-for-hs512-as-well-0123"
ISSUER = "https://login.seatwise.test/"
ALICE = "alice.martin@acme.example"
VIEWER = "{ viewer { user { email } memberships { role accountName } } }"
REFUSED = [("invalid or expired token", "UNAUTHENTICATED")]


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims for Alice; an override of None removes the claim."""
    now = int(time.time())
    values: dict[str, Any] = {
        "email": ALICE,
        "aud": "seatwise",
        "iss": ISSUER,
        "iat": now,
        "exp": now + 300,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(payload: dict[str, Any]) -> str:
    """`alg: none`: a token anyone can forge."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}."


def hmac_token(payload: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HS256 token keyed with arbitrary bytes (PyJWT refuses to make one from a PEM key,
    which is exactly the algorithm-confusion attack we want to send)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = _b64(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 401
    assert "data" not in response.json()
    return [(e["message"], e["extensions"]["code"]) for e in response.json()["errors"]]


async def serve(settings_overrides: dict[str, Any], database_url: str, redis_url: str) -> ApiServer:
    settings = make_settings(database_url, redis_url=redis_url, **settings_overrides)
    return await start_api_server(create_app(settings, manage_database=False))


@dataclass(frozen=True)
class World:
    alice: User
    acme: Account
    globex: Account


@pytest.fixture
async def world(db: str) -> World:
    """Alice (ALICE), primary admin of Acme Engineering; and Globex Studio, an account she is
    not in."""
    acme = await factories.account(name="Acme Engineering")
    alice = await factories.user(email=ALICE, name="Alice Martin")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    globex = await factories.account(name="Globex Studio")
    return World(alice=alice, acme=acme, globex=globex)


@pytest.fixture
async def hs_api(
    db: str, world: World, redis_server: RedisServer
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with a shared HS256 secret and an issuer to check; Alice exists."""
    server = await serve({"jwt_secret": SECRET, "jwt_issuer": ISSUER}, db, redis_server.url)
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


# HS256 ----------------------------------------------------------------------------------


async def test_a_jwt_carries_every_membership_of_its_user(
    hs_api: httpx.AsyncClient, world: World
) -> None:
    # Given Alice, primary admin of Acme, is also a user in Globex
    await factories.member(world.globex, world.alice, role=Role.USER)
    # When she signs in with a JWT that names no account
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    response = await hs_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    # Then the session holds both accounts with her role in each
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "viewer": {
                "user": {"email": ALICE},
                "memberships": [
                    {"role": "PRIMARY_ADMIN", "accountName": "Acme Engineering"},
                    {"role": "USER", "accountName": "Globex Studio"},
                ],
            }
        }
    }


async def test_the_account_claim_narrows_the_session_to_one_account(
    hs_api: httpx.AsyncClient, world: World
) -> None:
    # Given Alice belongs to Acme and Globex
    globex = world.globex
    await factories.member(globex, world.alice, role=Role.USER)
    # When her token names Globex
    token = jwt.encode(claims(account=str(globex.id)), SECRET, algorithm="HS256")
    response = await hs_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    # Then the session holds Globex only
    assert response.json() == {
        "data": {
            "viewer": {
                "user": {"email": ALICE},
                "memberships": [{"role": "USER", "accountName": "Globex Studio"}],
            }
        }
    }


async def test_the_email_claim_is_matched_without_regard_to_case(
    hs_api: httpx.AsyncClient,
) -> None:
    # When Alice's email is spelled with capitals in her token, then she is signed in
    token = jwt.encode(claims(email="Alice.Martin@ACME.example"), SECRET, algorithm="HS256")
    response = await hs_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    assert response.json()["data"]["viewer"]["user"] == {"email": ALICE}


async def test_an_account_claim_for_an_account_the_user_is_not_in_is_refused(
    hs_api: httpx.AsyncClient, world: World
) -> None:
    # Given Alice is not a member of Globex
    globex = world.globex
    # When her token names Globex
    token = jwt.encode(claims(account=str(globex.id)), SECRET, algorithm="HS256")
    response = await hs_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    # Then she is not signed in at all (not signed in with fewer accounts)
    assert refused(response) == REFUSED


def _hs(payload: dict[str, Any], *, key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: _hs(claims(exp=int(time.time()) - 60)), id="expired"),
        pytest.param(lambda: _hs(claims(exp=None)), id="no-expiry"),
        pytest.param(lambda: _hs(claims(aud="another-api")), id="wrong-audience"),
        pytest.param(lambda: _hs(claims(aud=None)), id="no-audience"),
        pytest.param(lambda: _hs(claims(iss="https://evil.example/")), id="wrong-issuer"),
        pytest.param(lambda: _hs(claims(iss=None)), id="no-issuer"),
        pytest.param(lambda: _hs(claims(), key=SECRET + "-not"), id="bad-signature"),
        pytest.param(lambda: _hs(claims(), algorithm="HS512"), id="other-algorithm"),
        pytest.param(lambda: _hs(claims(email="nobody@acme.example")), id="unknown-email"),
        pytest.param(lambda: _hs(claims(email=None)), id="no-email"),
        pytest.param(lambda: _hs(claims(account="not-an-id")), id="malformed-account"),
        pytest.param(lambda: _hs(claims(account=str(uuid.uuid4()))), id="unknown-account"),
        pytest.param(lambda: unsigned_token(claims()), id="alg-none"),
        pytest.param(lambda: _hs(claims())[:-4] + "AAAA", id="tampered-signature"),
        pytest.param(lambda: "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", id="garbage-payload"),
    ],
)
async def test_a_bad_jwt_is_unauthenticated_never_a_crash(
    hs_api: httpx.AsyncClient, make_token: Callable[[], str]
) -> None:
    # When a request carries a token that fails one check
    response = await hs_api.post("/graphql", json={"query": VIEWER}, headers=bearer(make_token()))
    # Then it is refused with 401 UNAUTHENTICATED and the same message, whatever the reason
    assert refused(response) == REFUSED
    assert response.headers["www-authenticate"] == 'Bearer realm="seatwise"'


async def test_jwts_are_refused_when_no_secret_or_key_set_is_configured(
    empty_api: httpx.AsyncClient, world: World
) -> None:
    # Given the default app (no JWT_SECRET, no JWT_JWKS_URL), and a token for Alice
    token = jwt.encode(claims(), SECRET, algorithm="HS256")
    # When she uses it, then she is refused
    response = await empty_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    assert refused(response) == REFUSED


# JWKS -----------------------------------------------------------------------------------


@dataclass
class IdentityProvider:
    """A JWKS endpoint on a real local HTTP server. `gate` holds answers back while clear."""

    keys: list[dict[str, Any]]
    url: str = ""
    requests: int = 0
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> Starlette:
        async def jwks(request: Request) -> JSONResponse:
            self.requests += 1
            await self.gate.wait()
            return JSONResponse({"keys": self.keys})

        return Starlette(routes=[Route("/.well-known/jwks.json", jwks)])


@dataclass
class SigningKeys:
    rsa: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey

    def jwks(self) -> list[dict[str, Any]]:
        rsa_jwk = RSAAlgorithm.to_jwk(self.rsa.public_key(), as_dict=True)
        ec_jwk = ECAlgorithm.to_jwk(self.ec.public_key(), as_dict=True)
        return [
            {**rsa_jwk, "kid": "rsa-1", "use": "sig", "alg": "RS256"},
            {**ec_jwk, "kid": "ec-1", "use": "sig", "alg": "ES256"},
        ]


@pytest.fixture(scope="module")
def signing_keys() -> SigningKeys:
    return SigningKeys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec=ec.generate_private_key(ec.SECP256R1()),
    )


@pytest.fixture
async def idp(signing_keys: SigningKeys) -> AsyncIterator[IdentityProvider]:
    provider = IdentityProvider(keys=signing_keys.jwks())
    provider.gate.set()
    server = await start_api_server(provider.app())
    provider.url = f"{server.url}/.well-known/jwks.json"
    yield provider
    provider.gate.set()
    await server.stop()


@pytest.fixture
async def jwks_api(
    db: str, world: World, redis_server: RedisServer, idp: IdentityProvider
) -> AsyncIterator[httpx.AsyncClient]:
    """The API trusting the keys the identity provider publishes (no shared secret); Alice
    exists."""
    server = await serve({"jwt_jwks_url": idp.url}, db, redis_server.url)
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


async def _poll(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("algorithm", "kid"), [pytest.param("RS256", "rsa-1", id="RS256"), ("ES256", "ec-1")]
)
async def test_a_token_signed_with_a_published_key_signs_in(
    jwks_api: httpx.AsyncClient,
    idp: IdentityProvider,
    signing_keys: SigningKeys,
    algorithm: str,
    kid: str,
) -> None:
    # Given a token signed by the identity provider's private key
    private_key = signing_keys.rsa if algorithm == "RS256" else signing_keys.ec
    token = jwt.encode(claims(iss=None), private_key, algorithm=algorithm, headers={"kid": kid})
    # When it is used twice
    first = await jwks_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    second = await jwks_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    # Then both requests are Alice's
    for response in (first, second):
        assert response.status_code == 200
        assert response.json()["data"]["viewer"]["user"] == {"email": ALICE}
    # and the key set was fetched once (cached)
    assert idp.requests == 1


async def test_a_token_signed_by_another_key_is_refused(
    jwks_api: httpx.AsyncClient, signing_keys: SigningKeys
) -> None:
    # Given a key the identity provider never published
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # When it signs a token that claims a published key id, or an unknown one
    forged = jwt.encode(claims(iss=None), stranger, algorithm="RS256", headers={"kid": "rsa-1"})
    unknown = jwt.encode(claims(iss=None), stranger, algorithm="RS256", headers={"kid": "rsa-9"})
    # Then both are refused
    for token in (forged, unknown):
        response = await jwks_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
        assert refused(response) == REFUSED


async def test_an_hmac_token_keyed_with_the_public_key_is_refused(
    jwks_api: httpx.AsyncClient, signing_keys: SigningKeys
) -> None:
    # Given the public key, which anyone can download
    public_pem = signing_keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # When an attacker uses it as an HS256 secret (algorithm confusion)
    token = hmac_token(claims(iss=None), public_pem, kid="rsa-1")
    response = await jwks_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    # Then the token is refused
    assert refused(response) == REFUSED


async def test_an_unreachable_identity_provider_is_unauthenticated_not_a_crash(
    db: str, world: World, redis_server: RedisServer, signing_keys: SigningKeys
) -> None:
    # Given a JWKS URL where nothing listens, and Alice's token signed by a published key
    url = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"
    server = await serve({"jwt_jwks_url": url}, db, redis_server.url)
    token = jwt.encode(
        claims(iss=None), signing_keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"}
    )
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
            response = await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    finally:
        await server.stop()
    # Then the request is refused as unauthenticated (401, not 500)
    assert refused(response) == REFUSED


async def test_fetching_the_key_set_does_not_block_other_requests(
    jwks_api: httpx.AsyncClient, idp: IdentityProvider, signing_keys: SigningKeys
) -> None:
    # Given an identity provider that holds its answer back
    idp.gate.clear()
    token = jwt.encode(
        claims(iss=None), signing_keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"}
    )
    # When a signed-in request waits for the key set
    pending = asyncio.create_task(
        jwks_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    )
    await _poll(lambda: idp.requests == 1)
    # Then the API (same event loop) still answers other requests meanwhile
    health = await asyncio.wait_for(jwks_api.get("/healthz"), timeout=5)
    assert health.status_code == 200
    assert not pending.done()
    # and the waiting request completes once the key set arrives
    idp.gate.set()
    response = await asyncio.wait_for(pending, timeout=10)
    assert response.json()["data"]["viewer"]["user"] == {"email": ALICE}


async def test_the_account_claim_may_be_the_global_id_the_api_shows(
    hs_api: httpx.AsyncClient, world: World
) -> None:
    # Given Alice and the global ID of Acme as a single-page app reads it from the API
    acme = world.acme
    token = jwt.encode(claims(account=to_global_id("Account", acme.id)), SECRET, algorithm="HS256")
    # When she signs in with it
    response = await hs_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    # Then the session is narrowed to Acme
    assert response.json() == {
        "data": {
            "viewer": {
                "user": {"email": ALICE},
                "memberships": [{"role": "PRIMARY_ADMIN", "accountName": "Acme Engineering"}],
            }
        }
    }
