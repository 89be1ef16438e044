"""The one check for every redirect that takes a `next`: only paths on this site pass.

An open redirect lets a phishing link go through our real sign-in page and land somewhere else. Browsers
read a URL more loosely than a string check does: they drop tabs and newlines anywhere (`/\t/evil` becomes
`//evil`), strip leading control characters and spaces, and treat `\\` like `/`. So the test is on what a
browser would make of the target, and anything doubtful falls back rather than being repaired.
"""

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 500


def _looks_local(path):
    if not path.startswith("/") or path.startswith(("//", "/\\")) or "\\" in path:
        return False
    # Controls (tab, newline, NUL...), format characters and any kind of space: browsers drop or rewrite some
    # of them, and none belongs in a path we built.
    if any(unicodedata.category(char)[0] in "CZ" for char in path):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


def safe_next(target, fallback):
    """`target` if it is a path on this site (as browsers read it, even once percent-decoded), else `fallback`."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return fallback
    # `%09` or `%5C` survive one decoding (a redirect target that was escaped twice, or a server that
    # decodes the path) and turn into the characters above.
    if _looks_local(target) and _looks_local(unquote(target)):
        return target
    return fallback
