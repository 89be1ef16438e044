"""Leads' knowledge edits leave audit rows; customer sign-ins expire when idle and after 14 days; HSTS over HTTPS."""

import time

import pytest
from sqlalchemy import select

from portal.models import Article, AuditEntry, CannedReply, IntentAction, Synonym
from tests.agent.helpers import sign_in_staff
from tests.conftest import make_app
from tests.lead.test_knowledge import ARTICLE
from tests.orders.helpers import sign_in_as


def audit_rows(db):
    db.session.expire_all()
    return [(row.actor_id, row.action, row.target_type, row.target_id, row.detail)
            for row in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def signed_in(client, lead):
    sign_in_staff(client, lead)
    return client


def test_creating_and_editing_an_article_is_audited_field_by_field(signed_in, db, lead):
    signed_in.post("/lead/articles/new", data=ARTICLE)
    article = db.session.scalar(select(Article))
    signed_in.post(f"/lead/articles/{article.id}", data=dict(ARTICLE, title="Gift wrapping and cards"))
    signed_in.post(f"/lead/articles/{article.id}", data=dict(ARTICLE, title="Gift wrapping and cards"))

    created, changed = audit_rows(db)  # saving without a change writes no row
    assert created[:4] == (lead.id, "article.created", "articles", article.id)
    assert created[4]["changes"]["title"] == [None, "Gift wrapping"]
    assert changed[:4] == (lead.id, "article.changed", "articles", article.id)
    assert changed[4] == {"changes": {"title": ["Gift wrapping", "Gift wrapping and cards"]}}


def test_a_refused_article_writes_no_audit_row(signed_in, db):
    assert signed_in.post("/lead/articles/new", data=dict(ARTICLE, slug="Not A Slug")).status_code == 400
    assert audit_rows(db) == []


def test_synonym_canned_reply_and_intent_edits_are_audited(signed_in, db, lead):
    signed_in.post("/lead/synonyms", data={"locale": "en", "term": "money back", "expansions": "refund"})
    signed_in.post("/lead/synonyms", data={"locale": "en", "term": "money back", "expansions": "refund, repay"})
    synonym = db.session.scalar(select(Synonym))
    signed_in.post(f"/lead/synonyms/{synonym.id}/delete")
    signed_in.post("/lead/canned/new", data={"title": "Hi", "locale": "en", "body": "Hello {first_name}"})
    reply = db.session.scalar(select(CannedReply))
    signed_in.post(f"/lead/canned/{reply.id}", data={"title": "Hi", "locale": "en", "body": "Hello"})
    signed_in.post(f"/lead/canned/{reply.id}/delete")
    signed_in.post("/lead/intents", data={"trigger_kind": "phrase", "trigger": "gift wrap", "action": "track_order",
                                          "position": "1"})
    intent = db.session.scalar(select(IntentAction))
    signed_in.post(f"/lead/intents/{intent.id}/delete")

    rows = audit_rows(db)
    assert [action for _actor, action, *_rest in rows] == [
        "synonym.created", "synonym.changed", "synonym.deleted", "canned_reply.created", "canned_reply.changed",
        "canned_reply.deleted", "intent.created", "intent.deleted"]
    assert {actor for actor, *_rest in rows} == {lead.id}
    assert rows[1][4] == {"changes": {"expansions": [["refund"], ["refund", "repay"]]}}
    assert rows[2][4]["changes"]["term"] == ["money back", None]
    assert rows[4][4]["changes"]["body"][1].startswith("5 characters, sha256 ")


def _age_session(client, **seconds_ago):
    now = time.time()
    with client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = now - ago


def test_a_customer_idle_past_the_limit_is_signed_out(app, client, customer):
    sign_in_as(client, customer)
    idle = app.config["CUSTOMER_IDLE_TIMEOUT"].total_seconds()
    _age_session(client, customer_seen_at=idle + 60)

    assert client.get("/account").status_code == 302
    with client.session_transaction() as session:
        assert "customer_id" not in session


def test_a_customer_active_within_the_limit_stays_signed_in_and_is_seen_again(app, client, customer):
    sign_in_as(client, customer)
    idle = app.config["CUSTOMER_IDLE_TIMEOUT"].total_seconds()
    _age_session(client, customer_seen_at=idle - 60)

    assert client.get("/account").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["customer_seen_at"] < 60


def test_a_busy_customer_is_still_signed_out_fourteen_days_after_signing_in(client, customer):
    sign_in_as(client, customer)
    _age_session(client, customer_signed_in_at=14 * 86400 + 60, customer_seen_at=10)

    assert client.get("/account").status_code == 302


def test_a_session_without_sign_in_times_is_not_signed_in(client, customer):
    with client.session_transaction() as session:
        session["customer_id"] = customer.id

    assert client.get("/account").status_code == 302


def test_the_idle_limit_is_a_setting(test_environ):
    app = make_app(dict(test_environ, CUSTOMER_IDLE_HOURS="2"))
    assert app.config["CUSTOMER_IDLE_TIMEOUT"].total_seconds() == 7200


def test_hsts_is_sent_over_https_in_production_and_never_over_http(client):
    assert client.get("/", base_url="https://portal.test").headers["Strict-Transport-Security"] \
        == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_behind_a_trusted_tls_proxy(test_environ):
    app = make_app(dict(test_environ, TRUSTED_PROXIES="1"))
    client = app.test_client()

    behind_proxy = client.get("/", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" in behind_proxy.headers


def test_no_hsts_for_a_developer_on_plain_http_or_an_untrusted_forwarded_header(test_environ, client):
    dev = make_app(dict(test_environ, PORTAL_ENV="development")).test_client()

    assert "Strict-Transport-Security" not in dev.get("/", base_url="https://127.0.0.1").headers
    assert "Strict-Transport-Security" not in client.get("/", headers={"X-Forwarded-Proto": "https"}).headers
