"""Who the customer is: the signed-in customer for this request, and signing in and out.

A customer is signed in when the session holds their id; an account that was deleted (anonymised)
signs nobody in. Staff sign-in lives beside this module and never shares its session key.
"""

import secrets
import time
from functools import wraps

import pytz
from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import schedule
from portal.models import Customer
from portal.redirects import safe_next
from portal.web import rotate_session

SESSION_KEY = "customer_id"
SIGNED_IN_KEY = "customer_signed_in_at"
SEEN_KEY = "customer_seen_at"
# How stale the last-seen time may get before a page rewrites it: a new cookie per page would be a waste.
SEEN_PRECISION_SECONDS = 300
CACHE_ATTRIBUTE = "portal_customer"


def normalise_email(raw):
    return (raw or "").strip().lower()


def current_customer_id():
    """The id the session claims, without loading the customer (who may since have been anonymised).

    A sign-in ends 14 days after it began, or sooner when no page was opened for CUSTOMER_IDLE_TIMEOUT.
    The cookie's own expiry cannot say either: it moves whenever the session changes.
    """
    customer_id = session.get(SESSION_KEY)
    if not isinstance(customer_id, int):
        return None
    now = time.time()
    signed_in_at, seen_at = session.get(SIGNED_IN_KEY), session.get(SEEN_KEY)
    config = current_app.config
    if not isinstance(signed_in_at, int | float) or not isinstance(seen_at, int | float) \
            or now - signed_in_at > config["PERMANENT_SESSION_LIFETIME"].total_seconds() \
            or now - seen_at > config["CUSTOMER_IDLE_TIMEOUT"].total_seconds():
        sign_out()
        return None
    if now - seen_at > SEEN_PRECISION_SECONDS:
        session[SEEN_KEY] = int(now)
    return customer_id


def current_customer():
    """The signed-in customer, or None; loaded once per request."""
    # Cached on the request, not on g: g outlives a request when an app context is already pushed.
    if not hasattr(request, CACHE_ATTRIBUTE):
        customer = None
        customer_id = current_customer_id()
        if customer_id is not None:
            customer = db.session.get(Customer, customer_id)
            if customer is not None and customer.anonymised_at is not None:
                customer = None
        _remember(customer)
        if customer is not None:
            g.timezone = customer.timezone if customer.timezone in pytz.all_timezones_set else "UTC"
    return getattr(request, CACHE_ATTRIBUTE)


def _remember(customer):
    setattr(request, CACHE_ATTRIBUTE, customer)


def customer_required(view):
    """Send visitors who are not signed in to the sign-in page, and back here afterwards."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_customer() is None:
            return redirect(url_for("auth.signin", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def sign_in(customer):
    """Start a fresh session for the customer: a new visitor id, so an old cookie grants nothing."""
    rotate_session()
    session[SESSION_KEY] = customer.id
    session[SIGNED_IN_KEY] = session[SEEN_KEY] = int(time.time())
    session.setdefault("locale", customer.locale)
    session.permanent = True
    _remember(customer)


def sign_out():
    rotate_session()
    _remember(None)


def find_customer_by_email(email):
    return db.session.scalar(select(Customer).where(func.lower(Customer.email) == normalise_email(email),
                                                    Customer.anonymised_at.is_(None)))


def request_signin_link(email, next_path=""):
    """Schedule a sign-in link if the address belongs to a customer; the caller answers the same either way."""
    customer = find_customer_by_email(email)
    if customer is None:
        return False
    # The worker makes the token, so the raw link never sits in the outbox table.
    schedule("mail.signin_link", customer.id, safe_next(next_path, ""),
             key=f"signin:{customer.id}:{secrets.token_hex(8)}")
    return True

