"""The probes' demo world, and their request counts, said at the end of the run (`make test` prints them)."""

import collections

import pytest
from sqlalchemy import select

from portal import demo
from portal.extensions import db as _db
from portal.models import (
    Article,
    Callback,
    CannedReply,
    Case,
    CaseAttachment,
    Customer,
    IntentAction,
    Order,
    Synonym,
)
from portal.surveys import service as surveys

REQUESTS_SENT = collections.Counter()


def pytest_terminal_summary(terminalreporter):
    for probe, count in sorted(REQUESTS_SENT.items()):
        terminalreporter.write_line(f"{probe}: {count} requests sent")


# Model rows for integer arguments, by argument name.
ID_SOURCES = {"article_id": Article, "reply_id": CannedReply, "synonym_id": Synonym, "intent_id": IntentAction,
              "callback_id": Callback, "photo_id": CaseAttachment}


def owner_world():
    """The customer with an escalated case on an order (the richest pages), and what is theirs."""
    case = _db.session.scalar(select(Case).where(Case.order_id.is_not(None), Case.escalated_at.is_not(None))
                              .order_by(Case.id))
    owner = _db.session.get(Customer, case.customer_id)
    other = _db.session.scalar(select(Customer).where(Customer.id != owner.id).order_by(Customer.id))
    article = _db.session.scalar(select(Article).where(Article.published.is_(True)).order_by(Article.id))
    values = {
        "number": _db.session.get(Order, case.order_id).number,
        "reference": case.reference,
        "token": surveys.token_for(case, surveys.survey_for(case)),
        "slug": article.slug,
        "category": article.category,
        "name": "survey_summary",
        "filename": "css/portal.css",
        "step": 1,
    }
    for name, model in ID_SOURCES.items():
        values[name] = _db.session.scalar(select(model.id).order_by(model.id)) or 1
    return owner, other, values


@pytest.fixture
def demo_world(app, db):
    """(owner, other customer, URL argument values) over the demo data."""
    demo.seed_demo()
    db.session.commit()
    return owner_world()
