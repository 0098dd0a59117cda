"""Free text that a caller sends to the read API (a search, a plan or catalog code): bounded
and without control characters, refused as BAD_USER_INPUT before it reaches the database.

Without the bound, SQLite answers a long `search` with "LIKE or GLOB pattern too complex"
(an internal error) and every request pays for comparing megabytes. Control characters
never occur in a name, an email or a code; a NUL would end the pattern early in SQLite (so
it matched everyone) and PostgreSQL refuses it in text, so they are refused rather than
matched. The messages name the argument and the limit, never the value (it may be huge).
"""

from __future__ import annotations

import unicodedata

from schema.errors import TopLevelError
from schema.limits.numbers import MAX_TEXT_LENGTH

# Unicode categories refused: controls (C0, DEL, C1; tab and newline included) and lone
# surrogates, which JSON can carry (`"\ud800"`) but UTF-8 cannot encode.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})


def checked_text(value: str, argument: str) -> str:
    """`value` unchanged when it is acceptable free text for `argument` (named as the
    caller spells it, e.g. `filter.search`); BAD_USER_INPUT otherwise."""
    if len(value) > MAX_TEXT_LENGTH:
        raise TopLevelError(
            "BAD_USER_INPUT",
            f"`{argument}` must be at most {MAX_TEXT_LENGTH} characters long, not {len(value)}",
        )
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in value):
        raise TopLevelError("BAD_USER_INPUT", f"`{argument}` must not contain control characters")
    return value


def checked_optional_text(value: str | None, argument: str) -> str | None:
    """`checked_text` for an optional argument: null stays null."""
    return None if value is None else checked_text(value, argument)
