"""Property-based fuzz (Hypothesis) of every form and of the shop's webhook: no input gives a 5xx, and a
refused request leaves everything stored as it was.

Forms are found, not listed: each POST rule of the URL map is posted to with the fields that the app's own
pages show for it (read from the HTML of the pages the route walk opens), plus a stray field, filled with text
from the whole Unicode range, numbers at and past 64-bit bounds, huge and empty values. `make test` runs a few
examples per form; `make fuzz` (FUZZ_EXAMPLES) runs many more.
"""

import json
import os
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.orders.helpers import order_created, post_event, signed_headers
from tests.security.conftest import REQUESTS_SENT
from tests.security.test_route_walk import _argument, _client

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_SEED" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
NUMBERS = [0, 1, -1, 2**31 - 1, 2**31, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**100]
# Text a browser can send: any code point but a lone surrogate, which has no UTF-8 form to send it in.
BROWSER_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
# Text a JSON encoder can send: every code point, lone surrogates included (escaped as \udXXX).
JSON_TEXT = st.text(st.characters(), max_size=300)
FIELD_VALUES = st.one_of(
    BROWSER_TEXT,
    st.sampled_from(NUMBERS).map(str),
    st.sampled_from(["", " ", "²", "①", "١٢", "1e309", "NaN", "-0", "0x10", "<script>alert(1)</script>",
                     "=HYPERLINK(\"http://evil.example\")", "../../etc/passwd", "\x00", "/\t/evil.example"]),
    st.integers(min_value=1, max_value=60_000).map(lambda n: "x" * n),
)


class _Forms(HTMLParser):
    """{form action: field names} from a page: what a person can fill in and send."""

    def __init__(self):
        super().__init__()
        self.forms, self.current = {}, None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.current = (attributes.get("hx-post") or attributes.get("action") or "").split("?")[0]
            self.forms.setdefault(self.current, set())
        elif tag in ("input", "select", "textarea", "button") and attributes.get("name"):
            action = (attributes.get("formaction") or attributes.get("hx-post") or self.current)
            if action:
                self.forms.setdefault(action.split("?")[0], set()).add(attributes["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


# Tables that record attempts, refused ones included, by design (a failed staff sign-in is audited).
ATTEMPT_RECORDS = {"audit_log"}


def _stored(db):
    """How many rows each table holds: a refusal must leave every count as it was."""
    return {table.name: db.session.execute(select(func.count()).select_from(table)).scalar()
            for table in db.metadata.sorted_tables if table.name not in ATTEMPT_RECORDS}


def _changed(before, after):
    return ", ".join(sorted(name for name in before if before[name] != after[name]))


def _role_for(path):
    return "lead" if path.startswith("/lead") else "agent" if path.startswith("/agent") else "owner"


def _forms_and_clients(app, world):
    owner, other, values = world
    clients = {role: _client(app, role, owner, other) for role in ("owner", "agent", "lead")}
    adapter = app.url_map.bind("localhost")
    fields = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = adapter.build(rule.endpoint, {name: _argument(rule, name, values) for name in rule.arguments})
        for client in clients.values():
            page = client.get(url)
            if page.mimetype == "text/html":
                parser = _Forms()
                parser.feed(page.get_data(as_text=True))
                for action, names in parser.forms.items():
                    fields.setdefault(action, set()).update(names)
    forms = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = adapter.build(rule.endpoint, {name: _argument(rule, name, values) for name in rule.arguments},
                            method="POST")
        forms.append((url, sorted(fields.get(url, set()) | {"csrf_token", "unexpected"})))
    return forms, clients


def _form_fuzzer(db, url, names, client, failures, sent):
    @FUZZ
    @given(data=st.dictionaries(st.sampled_from(names), FIELD_VALUES, max_size=len(names)), htmx=st.booleans())
    def post_form(data, htmx):
        before = _stored(db)
        response = client.post(url, data=data, headers={"HX-Request": "true"} if htmx else {})
        sent.append(url)
        db.session.rollback()
        if response.status_code >= 500:
            failures.append(f"POST {url} {data!r}: {response.status_code}")
        elif 400 <= response.status_code < 500 and _stored(db) != before:
            failures.append(f"POST {url} {data!r}: refused ({response.status_code}) but changed "
                            f"{_changed(before, _stored(db))}")

    return post_form


def test_every_form_answers_any_input_without_a_server_error(app, db, demo_world):
    forms, clients = _forms_and_clients(app, demo_world)
    failures, sent = [], []
    for url, names in forms:
        _form_fuzzer(db, url, names, clients[_role_for(url)], failures, sent)()
    REQUESTS_SENT["form fuzz"] += len(sent)
    assert len(forms) >= 30, "the URL map has fewer POST routes than the portal offers"
    assert sum(len(names) > 2 for _url, names in forms) >= 20, "the pages showed too few of the forms' fields"
    assert not failures, "\n".join(failures[:20])


JSON_VALUES = st.one_of(JSON_TEXT, st.sampled_from(NUMBERS), st.floats(), st.none(), st.booleans(),
                        st.lists(st.integers(), max_size=3), st.dictionaries(JSON_TEXT, JSON_TEXT, max_size=2),
                        st.integers(min_value=1, max_value=200_000).map(lambda n: "y" * n))
ORDER_FIELDS = ["number", "status", "currency", "total_cents", "placed_at", "ship_by", "estimated_delivery",
                "carrier", "tracking_number", "cross_border"]
ITEM_FIELDS = ["sku", "name", "category", "price_cents", "qty", "returnable"]
CUSTOMER_FIELDS = ["email", "name", "phone", "locale", "timezone"]


@st.composite
def webhook_events(draw):
    """A valid order.created event with a few fields anywhere in it replaced by hostile values."""
    event = order_created(number=draw(st.from_regex(r"\AF[0-9]{1,6}\Z")),
                          event_id=f"evt-fuzz-{draw(st.integers(0, 10**9))}")
    data = event["data"]
    for _ in range(draw(st.integers(1, 3))):
        place = draw(st.sampled_from(["order", "item", "customer", "event"]))
        value = draw(JSON_VALUES)
        if place == "order":
            data[draw(st.sampled_from(ORDER_FIELDS))] = value
        elif place == "item":
            data["items"][0][draw(st.sampled_from(ITEM_FIELDS))] = value
        elif place == "customer":
            data["customer"][draw(st.sampled_from(CUSTOMER_FIELDS))] = value
        else:
            event[draw(st.sampled_from(["event_id", "type", "data"]))] = value
    return event


def test_the_webhook_answers_any_signed_event_without_a_server_error(client, db):
    failures, sent = [], 0

    @settings(FUZZ, max_examples=EXAMPLES * 8)
    @given(event=webhook_events())
    def deliver(event):
        nonlocal sent
        before = _stored(db)
        # ensure_ascii escapes lone surrogates as \udXXX, which is how they reach us from other encoders.
        body = json.dumps(event, ensure_ascii=True).encode()
        response = client.post("/api/webhooks/orders", data=body, headers=signed_headers(body))
        sent += 1
        db.session.rollback()
        if response.status_code >= 500:
            failures.append(f"{event!r}: {response.status_code}")
        elif response.status_code >= 400 and _stored(db) != before:
            failures.append(f"{event!r}: refused ({response.status_code}) but changed {_changed(before, _stored(db))}")

    deliver()
    REQUESTS_SENT["webhook fuzz"] += sent
    assert not failures, "\n".join(failures[:20])


def test_a_well_formed_event_still_goes_through_after_the_fuzz(client, db):
    assert post_event(client, order_created()).status_code == 200
