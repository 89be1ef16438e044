"""What every value must be before it is written: text any database stores, numbers the column holds.

JSON can carry a lone surrogate (`"\\ud800"`) that no UTF-8 encoder accepts, and a NUL that PostgreSQL refuses
in text; integers in JSON have no size limit. Each of those used to fail at the INSERT, as a 500, after the
request was accepted. Checking first turns them into a clear refusal or a harmless replacement.
"""

import re

from sqlalchemy import BigInteger, SmallInteger

_SURROGATE = re.compile("[\ud800-\udfff]")

# Signed ranges of the integer types our columns use, the same on SQLite and PostgreSQL by design.
_INTEGER_MAX = {SmallInteger: 2**15 - 1, BigInteger: 2**63 - 1}
INTEGER_MAX = 2**31 - 1


def column_max(column):
    """The largest integer the mapped `column` holds on every database we support."""
    column_type = column.expression.type if hasattr(column, "expression") else column.type
    for kind, maximum in _INTEGER_MAX.items():
        if isinstance(column_type, kind):
            return maximum
    return INTEGER_MAX


def storable_text(value):
    """`value` as valid UTF-8 without NUL: lone surrogates become U+FFFD, NULs are dropped."""
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = _SURROGATE.sub("\ufffd", value)
    return value
