"""Who reaches which staff route: anonymous, customer, agent, lead; every route, exports included."""

import pytest

from portal.models import Callback, CannedReply, IntentAction, Synonym, TriageExample, utcnow
from tests.agent.helpers import make_case, sign_in_customer, sign_in_staff

STAFF_BLUEPRINTS = ("agent", "lead")


@pytest.fixture
def world(db, customer, make_order, make_staff):
    """One of everything a staff route can point at."""
    from portal.models import Article

    order = make_order(customer=customer)
    case = make_case(customer, order)
    callback = Callback(case_id=case.id, customer_id=customer.id, reason="unhappy rating", phone="+1 555",
                        due_at=utcnow())
    article = Article(slug="a-test-article", locale="en", title="A test", body="Body", category="orders-shipping")
    reply = CannedReply(title="Hello", locale="en", body="Hi {first_name}")
    synonym = Synonym(locale="en", term="parcel", expansions=["package"])
    intent = IntentAction(trigger_kind="phrase", trigger="where", action="track_order")
    example = TriageExample(text="the lamp flickers", urgency="medium", vector=b"")
    db.session.add_all([callback, article, reply, synonym, intent, example])
    db.session.commit()
    return {"reference": case.reference, "callback_id": callback.id, "article_id": article.id,
            "reply_id": reply.id, "synonym_id": synonym.id, "intent_id": intent.id, "name": "csat_daily",
            "slug": article.slug, "number": order.number, "example_id": example.id}


def staff_routes(app, world):
    """(method, url, blueprint) for every rule of the staff blueprints."""
    routes = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint not in STAFF_BLUEPRINTS:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", str(world[argument])).replace(f"<{argument}>", str(world[argument]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, url, blueprint))
    return routes


def test_every_staff_route_is_covered(app, world):
    routes = staff_routes(app, world)
    assert len(routes) >= 30
    assert ("GET", "/lead/export/csat_daily.csv", "lead") in routes


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={})


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(app, client, world):
    for method, url, _blueprint in staff_routes(app, world):
        response = _call(client, method, url)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/staff/signin"), (method, url)
        assert response.headers["Cache-Control"] == "private, no-store"


def test_signed_in_customers_get_403_everywhere(app, client, world, customer):
    sign_in_customer(client, customer)
    for method, url, _blueprint in staff_routes(app, world):
        assert _call(client, method, url).status_code == 403, (method, url)


def test_agents_reach_agent_pages_but_never_lead_pages_or_exports(app, client, world, agent):
    sign_in_staff(client, agent)
    for method, url, blueprint in staff_routes(app, world):
        response = _call(client, method, url)
        if blueprint == "lead":
            assert response.status_code == 403, (method, url)
        else:
            assert response.status_code != 403, (method, url)
            assert not response.headers.get("Location", "").startswith("/staff/signin"), (method, url)
            assert response.status_code < 500, (method, url)
        assert response.headers["Cache-Control"] == "private, no-store", (method, url)


def test_leads_reach_every_staff_page(app, client, world, lead):
    sign_in_staff(client, lead)
    for method, url, _blueprint in staff_routes(app, world):
        response = _call(client, method, url)
        assert response.status_code != 403, (method, url)
        assert not response.headers.get("Location", "").startswith("/staff/signin"), (method, url)
        assert response.status_code < 500, (method, url)
        if method == "GET":
            assert response.status_code == 200 or response.status_code == 302, (method, url)


def test_lead_exports_follow_the_same_rules(client, world, customer, agent, lead):
    url = "/lead/export/survey_comments.csv"
    assert client.get(url).status_code == 302
    sign_in_customer(client, customer)
    assert client.get(url).status_code == 403
    sign_in_staff(client, agent)
    assert client.get(url).status_code == 403
    sign_in_staff(client, lead)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"


def test_a_revoked_lead_cannot_export(client, world, lead, db):
    sign_in_staff(client, lead)
    lead.session_version += 1
    db.session.commit()
    assert client.get("/lead/export/csat_daily.csv").status_code == 302
