"""Single-use links sent by e-mail (sign-in, confirming an account deletion).

The raw token exists only in the e-mail; the database keeps its SHA-256, so a copy of the database
signs nobody in. A token is redeemed with one conditional UPDATE, so two clicks cannot both win.
"""

import hashlib
import secrets

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import LoginToken, utcnow

PURPOSES = ("signin", "delete_account")


class LinkRefused(Exception):
    """The link cannot be used; `reason` is 'unknown', 'used' or 'expired'."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def token_hash(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue(customer_id, purpose, lifetime):
    """Store a new token for the customer and return the raw value for the e-mail."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(LoginToken(token_hash=token_hash(raw), customer_id=customer_id, purpose=purpose,
                              created_at=now, expires_at=now + lifetime))
    return raw


def check(raw, purpose, now=None):
    """The token's row if the link is still good, else LinkRefused with the reason; changes nothing."""
    now = now or utcnow()
    if not raw or len(raw) > 100:
        raise LinkRefused("unknown")
    token = db.session.scalar(select(LoginToken).where(LoginToken.token_hash == token_hash(raw),
                                                       LoginToken.purpose == purpose))
    if token is None:
        raise LinkRefused("unknown")
    if token.used_at is not None:
        raise LinkRefused("used")
    if token.expires_at <= now:
        raise LinkRefused("expired")
    return token


def redeem(raw, purpose, now=None):
    """Mark the token used and return its customer id; LinkRefused when it is not (or no longer) good."""
    now = now or utcnow()
    token = check(raw, purpose, now)
    claimed = db.session.execute(
        update(LoginToken)
        .where(LoginToken.id == token.id, LoginToken.used_at.is_(None), LoginToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise LinkRefused("used")
    return token.customer_id
