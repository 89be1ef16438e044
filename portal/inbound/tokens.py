"""Reply addresses that prove the case: support+<token>@<MAIL_REPLY_DOMAIN>.

The token is `<case id>-<day issued>-<mac>`, numbers in base 36 and the MAC (HMAC-SHA256 over case, customer and
day, 80 bits) in lower-case base 32: mail servers may fold the case of a local part, and no other character
would survive every client. Changing any part breaks the MAC; a token names one case of one customer.
"""

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from email.utils import formataddr, parseaddr

from flask import current_app

from portal.extensions import db
from portal.models import Case

TOKEN = re.compile(r"^([0-9a-z]{1,12})-([0-9a-z]{1,6})-([a-z2-7]{16})$")
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _base36(number):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def _mac(case_id, customer_id, day):
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"reply:{case_id}:{customer_id}:{day}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def _day(now):
    return (now - EPOCH).days


def reply_token(case, now):
    day = _day(now)
    return f"{_base36(case.id)}-{_base36(day)}-{_mac(case.id, case.customer_id, day)}"


def reply_address(case, now):
    config = current_app.config
    return f"{config['MAIL_REPLY_LOCAL_PART']}+{reply_token(case, now)}@{config['MAIL_REPLY_DOMAIN']}"


def reply_to_header(case, now):
    """The Reply-To value: our display name from MAIL_FROM, the case's reply address."""
    name = parseaddr(current_app.config["MAIL_FROM"])[0]
    return formataddr((name, reply_address(case, now)), charset="utf-8")


def case_headers(case, now):
    """Reply-To with the case's signed reply address, and references to the case's thread so mail clients
    show every e-mail about one case as one conversation."""
    thread = f"<case.{case.reference}@{current_app.config['MAIL_REPLY_DOMAIN']}>"
    return {"Reply-To": reply_to_header(case, now), "In-Reply-To": thread, "References": thread}


def is_ours(address):
    """Whether an address is the plain support address or one of its reply addresses."""
    local, _, domain = address.lower().rpartition("@")
    config = current_app.config
    return domain == config["MAIL_REPLY_DOMAIN"].lower() and \
        local.split("+", 1)[0] == config["MAIL_REPLY_LOCAL_PART"].lower()


def token_in(address):
    """The token of a reply address (`support+<token>@domain`), "" for the plain address, None if not ours."""
    if not is_ours(address):
        return None
    local = address.rpartition("@")[0]
    return local.split("+", 1)[1].lower() if "+" in local else ""


def case_for(token, now):
    """(case, None) when the token is the case's and its customer's and still valid, else (None, reason)."""
    match = TOKEN.match(token)
    if not match:
        return None, "forged_token"
    case_id, day = int(match.group(1), 36), int(match.group(2), 36)
    case = db.session.get(Case, case_id) if case_id < 2**31 and day <= _day(now) + 1 else None
    if case is None or not hmac.compare_digest(_mac(case.id, case.customer_id, day), match.group(3)):
        return None, "forged_token"
    if now - (EPOCH + timedelta(days=day)) > timedelta(days=current_app.config["MAIL_REPLY_TOKEN_DAYS"]):
        return None, "expired_token"
    return case, None
