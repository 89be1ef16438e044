"""Cases made directly with the models, as the cases journey would leave them, for the worker's tests."""

import itertools
from datetime import timedelta

from portal.extensions import db
from portal.models import Case, CaseEvent, utcnow

_numbers = itertools.count(1)


def make_case(customer, status="resolved", kind="return", urgency="low", **overrides):
    now = utcnow()
    values = {"reference": f"C-{next(_numbers):06d}", "kind": kind, "status": status, "customer_id": customer.id,
              "urgency": urgency, "created_at": now - timedelta(days=2),
              "resolved_at": now - timedelta(hours=2) if status in ("resolved", "refunded", "rejected") else None}
    values.update(overrides)
    case = Case(**values)
    db.session.add(case)
    db.session.commit()
    return case


def status_event(case, old, new, actor_type="staff"):
    event = CaseEvent(case_id=case.id, actor_type=actor_type, field="status", old_value=old, new_value=new)
    db.session.add(event)
    db.session.commit()
    return event
