"""One complaint per sending: the same form sent twice (a double click without JavaScript, a browser's retry
after a slow answer) files one case, and the second sending is shown the first one's case.

The first sending claims a Redis key named after the customer and what they wrote, and writes its case's
reference there once filed; a second sending within WINDOW_SECONDS finds the claim and waits briefly for that
reference. Without Redis nothing is claimed and every sending files, as before.
"""

import contextlib
import hashlib
import time

from redis.exceptions import RedisError

from portal.extensions import redis_connection

WINDOW_SECONDS = 120
# How long a second sending waits for the first one to finish filing: triage and photos take well under this.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.1


def key_for(customer_id, *parts):
    digest = hashlib.sha256("\x1f".join([str(customer_id), *(str(p or "").strip() for p in parts)]).encode())
    return f"complaint-sent:{digest.hexdigest()[:32]}"


def claim(key):
    """True when this is the first sending of its content in the window (or Redis cannot tell)."""
    try:
        return bool(redis_connection().set(key, "", nx=True, ex=WINDOW_SECONDS))
    except (RedisError, OSError):
        return True


def filed(key, reference):
    """The first sending's case, for a second sending to find."""
    with contextlib.suppress(RedisError, OSError):
        redis_connection().set(key, reference, xx=True, keepttl=True)


def release(key):
    """The first sending failed: the next one files."""
    with contextlib.suppress(RedisError, OSError):
        redis_connection().delete(key)


def earlier_case(key):
    """The first sending's case reference, waiting up to WAIT_SECONDS while it is being filed; None if it
    never came (that sending failed, or Redis went away)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            value = redis_connection().get(key)
        except (RedisError, OSError):
            return None
        if value is None:
            return None  # released: the first sending failed
        if value:
            return value.decode() if isinstance(value, bytes) else value
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_SECONDS)
