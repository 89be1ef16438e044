"""Who has a case open and who is typing a reply: short-lived reports kept in Redis, never in the database.

Each open workspace reports every PRESENCE_POLL_SECONDS; a report lasts PRESENCE_TTL_SECONDS, so a closed tab
drops out on its own. Two sorted sets per case (members: staff ids, scores: when the report expires) with a
key expiry, so an abandoned case leaves nothing behind. Redis being away hides presence; it never fails a page.
"""

import re
import time
from dataclasses import dataclass, field

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select

from portal.extensions import db, redis_connection
from portal.models import CaseMessage, Staff

MESSAGE_ID = re.compile(r"[0-9]{1,10}")
MAX_MESSAGE_ID = 2**31 - 1


@dataclass(frozen=True)
class Presence:
    viewers: list = field(default_factory=list)  # colleagues with the case open (Staff), me excluded
    typing: list = field(default_factory=list)  # those of them typing a reply


def _keys(case_id):
    return f"presence:case:{case_id}:open", f"presence:case:{case_id}:typing"


def report(case_id, staff_id, typing=False, now=None):
    """Record that `staff_id` has the case open (and is typing); returns who else is there."""
    config = current_app.config
    now = time.time() if now is None else now
    open_key, typing_key = _keys(case_id)
    try:
        with redis_connection().pipeline() as pipe:
            pipe.zadd(open_key, {staff_id: now + config["PRESENCE_TTL_SECONDS"]})
            pipe.expire(open_key, config["PRESENCE_TTL_SECONDS"])
            if typing:
                pipe.zadd(typing_key, {staff_id: now + config["PRESENCE_TYPING_SECONDS"]})
                pipe.expire(typing_key, config["PRESENCE_TYPING_SECONDS"])
            _read(pipe, open_key, typing_key, now)
            replies = pipe.execute()
    except (RedisError, OSError):
        return Presence()
    return _presence(replies[-2:], staff_id)


def others(case_id, staff_id, now=None):
    """Who else has the case open, without reporting (the first render of the page)."""
    now = time.time() if now is None else now
    try:
        with redis_connection().pipeline() as pipe:
            _read(pipe, *_keys(case_id), now)
            replies = pipe.execute()
    except (RedisError, OSError):
        return Presence()
    return _presence(replies, staff_id)


def _read(pipe, open_key, typing_key, now):
    pipe.zrangebyscore(open_key, now, "+inf")
    pipe.zrangebyscore(typing_key, now, "+inf")


def _presence(replies, my_id):
    open_ids, typing_ids = ({int(member) for member in members} - {my_id} for members in replies)
    if not open_ids:
        return Presence()
    staff = db.session.scalars(select(Staff).where(Staff.id.in_(open_ids), Staff.active.is_(True))
                               .order_by(Staff.name)).all()
    return Presence(viewers=staff, typing=[person for person in staff if person.id in typing_ids])


def messages_after(case, message_id):
    """The case's messages newer than the one the page shows last, oldest first."""
    return db.session.scalars(select(CaseMessage).where(CaseMessage.case_id == case.id, CaseMessage.id > message_id)
                              .order_by(CaseMessage.id)).all()


def replied_meanwhile(case, staff, seen_message_id):
    """Replies the agent has not seen: the customer's, or a colleague's to the customer, since the page was drawn."""
    return [message for message in messages_after(case, seen_message_id)
            if not message.internal and not (message.author_type == "agent" and message.staff_id == staff.id)]


def message_id(raw):
    """A message id as a page sends it back, or None when it is not one."""
    return int(raw) if MESSAGE_ID.fullmatch(raw or "") and int(raw) <= MAX_MESSAGE_ID else None


def last_message_id(case):
    return max((message.id for message in case.messages), default=0)
