"""The signed-in route walk: every rule in the URL map x every role x with and without HX-Request, over the
demo data, answers without a 5xx and without showing one customer's data to anyone who may not see it.

Arguments are filled from the demo world by name and converter (an order number the owner has, a case of
theirs, an article...), anything unknown gets a placeholder: a route added tomorrow joins the walk as it is.
"""

from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from portal.extensions import db as _db
from portal.models import Staff
from tests.agent.helpers import sign_in_staff
from tests.conftest import make_app
from tests.orders.helpers import sign_in_as
from tests.security.conftest import REQUESTS_SENT

ROLES = ("anonymous", "owner", "other customer", "agent", "lead")
# /healthz answers 503 by design while the worker or search index is down, as they are here.
MAY_BE_UNAVAILABLE = {"home.healthz"}
# Who may get a 200 from a staff area; everyone else is sent to sign in (3xx) or refused (4xx).
STAFF_AREAS = {"/agent": {"agent", "lead"}, "/lead": {"lead"}}
def _argument(rule, name, values):
    if name in values:
        return values[name]
    return 1 if isinstance(rule._converters[name], IntegerConverter) else "test"


def _client(app, role, owner, other):
    client = app.test_client()
    if role == "owner":
        sign_in_as(client, owner)
    elif role == "other customer":
        sign_in_as(client, other)
    elif role in ("agent", "lead"):
        sign_in_staff(client, _db.session.scalar(select(Staff).where(Staff.role == role).order_by(Staff.id)))
    return client


def _problems(rule, role, response, owner):
    status = response.status_code
    if status >= 500 and rule.endpoint not in MAY_BE_UNAVAILABLE:
        return [f"status {status}"]
    problems = []
    for prefix, allowed in STAFF_AREAS.items():
        in_area = rule.rule.startswith(prefix + "/") or rule.rule == prefix
        if in_area and status == 200 and role not in allowed:
            problems.append(f"{role} got 200 in {prefix}")
    if role in ("anonymous", "other customer") and owner.email in response.get_data(as_text=True):
        problems.append("shows the owner's e-mail address")
    return problems


def test_every_route_for_every_role_with_and_without_htmx(test_environ, demo_world):
    owner, other, values = demo_world
    # POSTs go through with CSRF on, as in production: without a token they must be refused, never run.
    walk_app = make_app(test_environ, WTF_CSRF_ENABLED=True)
    failures, sent, statuses = [], 0, {}
    rules = sorted(walk_app.url_map.iter_rules(), key=lambda r: (r.rule, sorted(r.methods)))
    for role in ROLES:
        client = _client(walk_app, role, owner, other)
        for rule in rules:
            url = walk_app.url_map.bind("localhost").build(
                rule.endpoint, {name: _argument(rule, name, values) for name in rule.arguments},
                method=next(iter(rule.methods - {"HEAD", "OPTIONS"})))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for headers in ({}, {"HX-Request": "true"}):
                    response = client.open(url, method=method, headers=headers)
                    sent += 1
                    statuses[role, method, rule.endpoint, bool(headers)] = response.status_code
                    failures += [f"{role} {method} {url} {headers}: {problem}"
                                 for problem in _problems(rule, role, response, owner)]
    REQUESTS_SENT["route walk"] += sent
    assert sent >= len(rules) * len(ROLES) * 2
    assert not failures, "\n".join(failures)
    # The walk reached the pages it means to: the owner's case and order, the staff areas for staff.
    assert statuses["owner", "GET", "cases.detail", False] == statuses["owner", "GET", "orders.detail", False] == 200
    assert statuses["other customer", "GET", "cases.detail", False] == 404
    assert statuses["agent", "GET", "agent.workspace", False] == statuses["lead", "GET", "lead.dashboard", False] == 200
    assert statuses["agent", "GET", "lead.dashboard", False] == 403
