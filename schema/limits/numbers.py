"""Every number of the request limits, in one place.

They bound what one request can make the server do before any resolver runs. Change them
here only; the error messages and the tests read them from this module.
"""

from __future__ import annotations

from schema.pagination import MAX_CURSOR_LENGTH as CURSOR_LENGTH_BOUND
from schema.pagination import MAX_PAGE_SIZE as PAGE_SIZE_BOUND

# Levels of fields, a root field being level 1: `{ viewer { user { id } } }` is 3 deep.
# A Relay connection costs two levels (`edges { node }`), so 12 leaves room for a root
# field, three nested connections and their leaves. Introspection (`__schema`, `__type`)
# is bounded by graphql-core's MaxIntrospectionDepthRule instead: GraphiQL's own query
# nests 15 levels through nine one-to-one `ofType`s.
MAX_DEPTH = 12

# Aliased fields in the operation, fragments expanded where they are spread: aliases are
# how one request asks for the same expensive field many times.
MAX_ALIASES = 30

# Lexical tokens of the document, comments included (graphql-core's `max_tokens` parse
# option): parsing runs before every other check, so its cost needs its own bound.
MAX_TOKENS = 2000

# Bounds of `first` / `last` on every connection (the API promises at most 100); the resolvers
# check the same number (schema/pagination.py), which owns it.
MAX_PAGE_SIZE = PAGE_SIZE_BOUND

# Characters of an `after` / `before` cursor; longer ones are refused (INVALID_CURSOR)
# before decoding. schema/pagination.py owns it, beside the format it bounds.
MAX_CURSOR_LENGTH = CURSOR_LENGTH_BOUND

# Characters of any free-text argument or input field of the read API (`search`,
# `planCode`, `Catalog.product(code:)`): the longest value any of them can match is an
# email (254 characters), and SQLite refuses a LIKE pattern over 50,000 bytes with an
# internal error. Checked by schema/text_input.py (BAD_USER_INPUT).
MAX_TEXT_LENGTH = 256

# GitHub-style node limit: a connection costs its page size times the page sizes of the
# connections above it, summed over the operation. 50,000 allows two nested full pages
# (100 + 100 x 100) with room to spare, and refuses a third full page below them.
MAX_COST = 50_000

# Bytes of a POST body: read before authentication, so it needs a bound of its own. A
# query of MAX_TOKENS tokens with generous variables fits many times over.
MAX_BODY_BYTES = 256 * 1024

# Levels of JSON nesting in a request (body, `variables`, `extensions`), the request's own
# object being level 1. Python's json module recurses once per level and fails with a
# RecursionError near 1,000 levels, which 2 KB of `[` reach, and so would every walk of
# the value after it; inputs of our schema nest a few levels, so 64 is plenty. Checked
# before the JSON is decoded and before authentication.
MAX_JSON_DEPTH = 64

# Parsed and validated documents kept per process (document_cache.py): an LRU of distinct
# query texts, bounded so that unique texts cannot grow the memory without limit, and the
# trusted documents pinned apart from it (registered by people, so few; bounded anyway).
DOCUMENT_CACHE_SIZE = 512
PINNED_DOCUMENTS = 2_000
