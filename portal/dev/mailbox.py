"""Reading the .eml files the file mail sink wrote (MAIL_URL=file://...)."""

import email
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markupsafe import Markup, escape

MESSAGE_ID = re.compile(r"^[A-Za-z0-9._=-]{1,200}$")
URL = re.compile(r"https?://[^\s<>\"']+")
LIMIT = 200


@dataclass
class Summary:
    id: str
    to: str
    subject: str
    sent_at: datetime


def directory(mail_url):
    """The sink's folder, or None when mail goes to an SMTP server."""
    parts = urlsplit(mail_url)
    return Path(unquote(parts.path)) if parts.scheme == "file" else None


def _parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def newest(folder, limit=LIMIT):
    """Summaries of the newest messages, newest first."""
    if folder is None or not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns, reverse=True)[:limit]
    return [Summary(id=p.stem, to=str(m["To"] or ""), subject=str(m["Subject"] or ""),
                    sent_at=datetime.fromtimestamp(p.stat().st_mtime, UTC))
            for p, m in ((p, _parse(p)) for p in paths)]


def load(folder, message_id):
    """The parsed message, or None for an unknown or malformed id (never a path outside the folder)."""
    if folder is None or not MESSAGE_ID.match(message_id or ""):
        return None
    path = folder / f"{message_id}.eml"
    return _parse(path) if path.is_file() else None


def part(message, subtype):
    body = message.get_body((subtype,))
    return body.get_content() if body is not None else ""


def linkify(text):
    """Plain text as HTML with its URLs made into links; everything else escaped."""
    pieces, last = [], 0
    for match in URL.finditer(text):
        pieces.append(escape(text[last:match.start()]))
        url = match.group(0)
        pieces.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def framed_html(html):
    """The message's HTML with links opening in the whole window, not in the sandboxed frame."""
    base = '<base target="_top">'
    match = re.search(r"<head[^>]*>", html, flags=re.IGNORECASE)
    if match:
        return html[:match.end()] + base + html[match.end():]
    return base + html
