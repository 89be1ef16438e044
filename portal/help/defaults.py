"""The self-service actions help pages can offer, and the default synonyms and intent mapping the demo seeds.

Which scenario or phrase leads to which action is data (the `intent_actions` table) that leads can change;
what an action is (where it links, what it says) is here, because it names pages in the code.
"""

from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.models import IntentAction, Synonym


@dataclass(frozen=True)
class Action:
    endpoint: str
    label: object
    text: object
    args: tuple = ()  # extra url_for arguments, e.g. (("reason", "quality"),)


ACTIONS = {
    "track_order": Action("orders.track", _l("Track your order"),
                          _l("See where your parcel is and when it should arrive.")),
    "start_quality_return": Action("returns.start", _l("Start a quality return"),
                                   _l("Send back a damaged or faulty item. Return shipping is free."),
                                   (("reason", "quality"),)),
    "start_return": Action("returns.start", _l("Start a return"),
                           _l("Return, exchange or repair an item. You see the refund before you submit.")),
    "file_complaint": Action("complaints.new", _l("File a complaint"),
                             _l("Tell us what went wrong. Urgent problems reach a person fast.")),
    "refund_status": Action("cases.index", _l("See your refund status"),
                            _l("Follow your return or complaint and see when your refund is paid.")),
}

DEFAULT_SYNONYMS = {
    "en": {
        "money back": ["refund"],
        "reimburse": ["refund"],
        "reimbursement": ["refund"],
        "parcel": ["package"],
        "package": ["parcel"],
        "broken": ["damaged"],
        "smashed": ["damaged"],
        "late": ["delayed"],
        "stuck": ["delayed"],
        "exchange": ["swap"],
        "charged twice": ["duplicate charge"],
        "log in": ["sign in"],
        "rash": ["allergic reaction"],
    },
    "zh": {
        "快递": ["物流"],
        "包裹": ["物流"],
        "退钱": ["退款"],
        "坏了": ["破损"],
        "扣了两次": ["重复扣款"],
        "过敏": ["不良反应"],
    },
}

# (trigger kind, trigger, action): phrases are matched in the query, scenarios on articles.
DEFAULT_INTENTS = [
    ("scenario", "damaged-on-arrival", "start_quality_return"),
    ("scenario", "damaged-on-arrival", "file_complaint"),
    ("scenario", "return-quality-issue", "start_quality_return"),
    ("scenario", "allergy-reaction", "file_complaint"),
    ("scenario", "allergy-reaction", "start_quality_return"),
    ("scenario", "product-safety", "file_complaint"),
    ("scenario", "order-tracking", "track_order"),
    ("scenario", "order-delayed", "track_order"),
    ("scenario", "tracking-stalled", "track_order"),
    ("scenario", "order-lost", "track_order"),
    ("scenario", "order-not-shipped", "track_order"),
    ("scenario", "delivered-not-received", "track_order"),
    ("scenario", "return-how-to", "start_return"),
    ("scenario", "return-7day-no-reason", "start_return"),
    ("scenario", "exchange-size", "start_return"),
    ("scenario", "refund-timing", "refund_status"),
    ("scenario", "refund-partial", "refund_status"),
    ("scenario", "complaint-filing", "file_complaint"),
    ("scenario", "complaint-escalation", "file_complaint"),
    ("phrase", "damaged", "start_quality_return"),
    ("phrase", "broken", "start_quality_return"),
    ("phrase", "破损", "start_quality_return"),
    ("phrase", "坏了", "start_quality_return"),
    ("phrase", "allergy", "file_complaint"),
    ("phrase", "allergic", "file_complaint"),
    ("phrase", "过敏", "file_complaint"),
    ("phrase", "where is my parcel", "track_order"),
    ("phrase", "where is my order", "track_order"),
    ("phrase", "tracking", "track_order"),
    ("phrase", "快递不动", "track_order"),
    ("phrase", "快递一直不动", "track_order"),
    ("phrase", "物流", "track_order"),
    ("phrase", "refund late", "refund_status"),
    ("phrase", "refund not received", "refund_status"),
    ("phrase", "退款没到", "refund_status"),
    ("phrase", "complaint", "file_complaint"),
    ("phrase", "投诉", "file_complaint"),
]


def seed_defaults():
    """Add the default synonyms and intent actions that are missing; edits leads made are kept."""
    added = 0
    for locale, table in DEFAULT_SYNONYMS.items():
        for term, expansions in table.items():
            exists = db.session.scalar(select(Synonym.id).where(Synonym.locale == locale, Synonym.term == term))
            if exists is None:
                db.session.add(Synonym(locale=locale, term=term, expansions=expansions))
                added += 1
    for position, (kind, trigger, action) in enumerate(DEFAULT_INTENTS):
        exists = db.session.scalar(select(IntentAction.id).where(
            IntentAction.trigger_kind == kind, IntentAction.trigger == trigger, IntentAction.action == action))
        if exists is None:
            db.session.add(IntentAction(trigger_kind=kind, trigger=trigger, action=action, position=position))
            added += 1
    db.session.flush()
    return added
