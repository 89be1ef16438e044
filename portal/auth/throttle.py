"""Growing delays after failed staff sign-ins, per account and per source, kept in Redis.

A fixed lockout lets anyone lock a lead out by typing five wrong passwords. Here each bucket allows a few
free failures, then makes the next attempt wait 1 s, 2 s, 4 s ... up to a cap; an attempt made while a bucket
waits is refused without checking the password and without counting. A browser that signed in to the account
before carries a device cookie (OWASP's "device cookies"): its failures count in a bucket of its own, and the
account's and source's buckets do not apply to it, so strangers' failures never delay the owner's own device.

Counts fade after STAFF_SIGNIN_FAILURE_WINDOW without a failure. When Redis cannot be reached the attempt
goes ahead unthrottled (the password is still checked): an outage must not lock every agent out.
"""

import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from redis.exceptions import RedisError

from portal.extensions import redis_connection

log = logging.getLogger(__name__)

DEVICE_COOKIE = "staff_device"
UNTIL_KEY_SLACK_SECONDS = 60


@dataclass(frozen=True)
class Bucket:
    key: str
    free_failures: int


def _digest(value):
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _device_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff-device")


def new_device_cookie(staff):
    """A signed value naming this staff member and a fresh device id, set after a good sign-in."""
    return _device_serializer().dumps({"staff": staff.id, "device": secrets.token_urlsafe(16)})


def trusted_device(cookie, staff):
    """The device id when `cookie` was issued to `staff` by an earlier good sign-in, else None."""
    if not cookie or staff is None or len(cookie) > 200:
        return None
    try:
        value = _device_serializer().loads(cookie, max_age=current_app.config["STAFF_DEVICE_LIFETIME"]
                                           .total_seconds())
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("staff") != staff.id or not isinstance(value.get("device"), str):
        return None
    return value["device"]


def buckets(email, source, device):
    """The buckets an attempt counts in: its device's alone when trusted, else the account's and the source's."""
    config = current_app.config
    if device is not None:
        return [Bucket(f"staff-throttle:device:{_digest(device)}", config["STAFF_SIGNIN_FREE_FAILURES"])]
    return [Bucket(f"staff-throttle:account:{_digest(email)}", config["STAFF_SIGNIN_FREE_FAILURES"]),
            Bucket(f"staff-throttle:source:{_digest(source)}", config["STAFF_SIGNIN_FREE_FAILURES_PER_SOURCE"])]


def _enabled():
    # The shared test app turns rate limits off; the throttle follows the same switch.
    return current_app.config.get("RATELIMIT_ENABLED", True)


def wait_seconds(attempt_buckets, now=None):
    """Whole seconds until an attempt may be made in all of these buckets; 0 when it may be made now."""
    if not _enabled():
        return 0
    now = time.time() if now is None else now
    try:
        untils = redis_connection().mget([f"{b.key}:until" for b in attempt_buckets])
    except RedisError:
        log.warning("staff sign-in throttle: Redis unreachable, attempt not throttled")
        return 0
    latest = max((float(u) for u in untils if u is not None), default=0)
    return max(0, math.ceil(latest - now))


def record_failure(attempt_buckets, now=None):
    """Count a failure in each bucket and set its next wait; the account bucket's count is returned (or 0)."""
    if not _enabled():
        return 0
    config = current_app.config
    now = time.time() if now is None else now
    window = int(config["STAFF_SIGNIN_FAILURE_WINDOW"].total_seconds())
    cap = config["STAFF_SIGNIN_MAX_DELAY"].total_seconds()
    counts = []
    try:
        redis = redis_connection()
        for bucket in attempt_buckets:
            failures = redis.incr(bucket.key)
            redis.expire(bucket.key, window)
            counts.append(failures)
            if failures > bucket.free_failures:
                delay = min(2 ** (failures - bucket.free_failures - 1), cap)
                # The stored time decides when the wait ends; the key only has to outlive it to be cleaned up.
                redis.set(f"{bucket.key}:until", now + delay, ex=math.ceil(delay) + UNTIL_KEY_SLACK_SECONDS)
    except RedisError:
        log.warning("staff sign-in throttle: Redis unreachable, failure not counted")
    return counts[0] if counts else 0


def clear(attempt_buckets):
    """A good sign-in clears the buckets it was counted in (never the source's: one known password must not
    buy a source fresh guesses at other accounts)."""
    if not _enabled():
        return
    keys = [b.key for b in attempt_buckets if ":source:" not in b.key]
    try:
        redis = redis_connection()
        redis.delete(*keys, *(f"{key}:until" for key in keys))
    except RedisError:
        log.warning("staff sign-in throttle: Redis unreachable, counts not cleared")
