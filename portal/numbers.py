"""The one way a whole number is read from a form field, a query string, a header or a URL.

Python's `str.isdigit()` and `int()` accept far more than people type into a number field: `isdigit()` is true
for "²" and "①", which `int()` then refuses (a 500), and `int()` takes "١٢", "1_000" and numbers no database
column holds (another 500 on insert or lookup). Here only ASCII digits pass, and only inside the range asked for.
"""

import re

from werkzeug.routing import IntegerConverter, UnicodeConverter

# Ids and counts live in 64-bit columns; 18 digits always fit, so nothing read here can overflow one.
MAX_DIGITS = 18
MAX_ID = 2**63 - 1
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def parse_int(raw, minimum=0, maximum=MAX_ID):
    """`raw` as an int when it is ASCII digits (spaces around allowed) within [minimum, maximum], else None."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip(" \t")
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: ASCII digits that fit a 64-bit column, so a hostile URL is a 404, never a 500."""

    regex = rf"[0-9]{{1,{MAX_DIGITS}}}"


class TextConverter(UnicodeConverter):
    """`<name>` in routes: one path segment without control characters, so `%00` in an order number or case
    reference is a 404 on every route rather than a database error (PostgreSQL refuses NUL in text)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)
