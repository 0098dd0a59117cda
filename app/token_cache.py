"""API tokens' principals kept for a few seconds by each API process.

Every request authenticates, and an API token costs one statement (domain.tokens: the
token and its member's role). A script or a single-page app sends many requests a second
with one token, so each API process keeps what a valid token granted for
`TOKEN_CACHE_SECONDS` (5 by default; 0 turns the cache off), counted from the statement
that read it: a token revoked, or a member removed or given another role, is honoured by
every process within that time, and at once where nothing is cached. A token's own expiry
is checked on every request, cached or not. Unknown and refused tokens are never kept (a
token just made works at once, and refused guesses cannot fill the cache), and the cache
holds at most `size` tokens, the least recently used going first.

It serves /graphql over HTTP, where every request authenticates. The WebSocket's
`connection_init` and its periodic re-check, and the CSV export, read the database each
time.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from domain.principals import Principal
from domain.tokens import TokenGrant, grant_for_token, hash_token

# Tokens kept per process (each a digest, a principal and two instants: about 1 KB).
TOKEN_CACHE_SIZE = 10_000


class TokenCache:
    def __init__(self, seconds: float, size: int = TOKEN_CACHE_SIZE) -> None:
        self.ttl = dt.timedelta(seconds=seconds)
        self.size = size
        # Digest of the token -> its grant and when the database said so.
        self._grants: OrderedDict[str, tuple[TokenGrant, dt.datetime]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._grants)

    async def principal(self, token: str, *, now: dt.datetime) -> Principal | None:
        """The principal of a valid token, read at most `seconds` before `now`."""
        digest = hash_token(token)
        kept = self._grants.get(digest)
        if kept is not None:
            grant, read_at = kept
            # A clock that went back counts as stale too: read again.
            fresh = read_at <= now < read_at + self.ttl
            if fresh and (grant.expires_at is None or now < grant.expires_at):
                self._grants.move_to_end(digest)
                return grant.principal
            del self._grants[digest]
        found = await grant_for_token(digest, now=now)
        if found is None:
            return None
        self._grants[digest] = (found, now)
        if len(self._grants) > self.size:
            self._grants.popitem(last=False)
        return found.principal


__all__ = ["TOKEN_CACHE_SIZE", "TokenCache"]
