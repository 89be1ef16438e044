"""Knowledge editing: articles with preview (reindexed through the outbox), synonyms, canned replies, intents."""

import pytest

from portal.models import Article, AuditEntry, CannedReply, IntentAction, OutboxRow, Synonym, TriageExample
from tests.agent.helpers import sign_in_staff

ARTICLE = {"title": "Gift wrapping", "slug": "gift-wrapping", "locale": "en", "category": "orders-shipping",
           "scenario": "gift-wrap", "keywords": "gift, wrap", "body": "## Wrap it\n\nWe wrap **any** order.",
           "published": "1", "translation_of": ""}


@pytest.fixture
def signed_in(client, lead):
    sign_in_staff(client, lead)
    return client


def test_a_new_article_is_saved_and_queued_for_reindexing(signed_in, db):
    response = signed_in.post("/lead/articles/new", data=ARTICLE)
    assert response.status_code == 302
    article = db.session.query(Article).filter_by(slug="gift-wrapping").one()
    assert article.keywords == ["gift", "wrap"] and article.published
    rows = db.session.query(OutboxRow).filter_by(job_name="search.reindex_article").all()
    assert [row.args for row in rows] == [[article.id]]


def test_editing_an_article_reindexes_it_again(signed_in, db):
    signed_in.post("/lead/articles/new", data=ARTICLE)
    article = db.session.query(Article).one()
    signed_in.post(f"/lead/articles/{article.id}", data=dict(ARTICLE, title="Gift wrapping and cards"))
    db.session.expire_all()
    assert db.session.get(Article, article.id).title == "Gift wrapping and cards"
    assert db.session.query(OutboxRow).filter_by(job_name="search.reindex_article").count() == 2


def test_preview_renders_markdown_without_saving(signed_in, db):
    response = signed_in.post("/lead/articles/new", data=dict(ARTICLE, preview="1"))
    assert b"<strong>any</strong>" in response.data
    assert db.session.query(Article).count() == 0


def test_preview_for_htmx_is_the_fragment_and_strips_scripts(signed_in):
    body = "Hello <script>alert(1)</script> [x](javascript:alert(1))"
    fragment = signed_in.post("/lead/articles/preview", data={"body": body}, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.data and b"<script>" not in fragment.data and b"javascript:" not in fragment.data
    full = signed_in.post("/lead/articles/preview", data={"body": body})
    assert b"<html" in full.data
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize("field, value", [("slug", "Not A Slug"), ("slug", ""), ("title", ""),
                                          ("title", "t" * 300), ("locale", "fr"), ("category", "pets"),
                                          ("body", ""), ("scenario", "<script>")])
def test_a_bad_article_is_refused_with_the_field_marked_and_nothing_saved(signed_in, db, field, value):
    response = signed_in.post("/lead/articles/new", data=dict(ARTICLE, **{field: value}))
    assert response.status_code == 400
    assert b"field-error" in response.data
    assert db.session.query(Article).count() == 0


def test_two_articles_cannot_share_a_slug(signed_in, db):
    signed_in.post("/lead/articles/new", data=ARTICLE)
    assert signed_in.post("/lead/articles/new", data=ARTICLE).status_code == 400
    assert db.session.query(Article).count() == 1


def test_synonyms_are_added_changed_and_removed(signed_in, db):
    signed_in.post("/lead/synonyms", data={"locale": "en", "term": "Money Back", "expansions": "refund, repay"})
    synonym = db.session.query(Synonym).one()
    assert (synonym.term, synonym.expansions) == ("money back", ["refund", "repay"])
    signed_in.post("/lead/synonyms", data={"locale": "en", "term": "money back", "expansions": "refund"})
    db.session.expire_all()
    assert db.session.query(Synonym).one().expansions == ["refund"]
    signed_in.post(f"/lead/synonyms/{synonym.id}/delete")
    assert db.session.query(Synonym).count() == 0


@pytest.mark.parametrize("data", [{"locale": "en", "term": "", "expansions": "x"},
                                  {"locale": "xx", "term": "a", "expansions": "x"},
                                  {"locale": "en", "term": "a", "expansions": " , "}])
def test_a_bad_synonym_is_refused(signed_in, db, data):
    assert signed_in.post("/lead/synonyms", data=data).status_code == 400
    assert db.session.query(Synonym).count() == 0


def test_canned_replies_are_created_edited_and_deleted(signed_in, db):
    signed_in.post("/lead/canned/new", data={"title": "Hi", "locale": "zh", "body": "{first_name}您好", "empathy": "1"})
    reply = db.session.query(CannedReply).one()
    assert (reply.locale, reply.empathy) == ("zh", True)
    signed_in.post(f"/lead/canned/{reply.id}", data={"title": "Hi", "locale": "zh", "body": "您好"})
    db.session.expire_all()
    assert db.session.get(CannedReply, reply.id).empathy is False
    signed_in.post(f"/lead/canned/{reply.id}/delete")
    assert db.session.query(CannedReply).count() == 0


def test_a_bad_canned_reply_is_refused(signed_in, db):
    assert signed_in.post("/lead/canned/new", data={"title": "", "locale": "en", "body": ""}).status_code == 400
    assert db.session.query(CannedReply).count() == 0


def test_intent_mappings_are_added_and_removed(signed_in, db):
    signed_in.post("/lead/intents", data={"trigger_kind": "phrase", "trigger": "Gift Wrap", "action": "track_order",
                                          "position": "3"})
    intent = db.session.query(IntentAction).one()
    assert (intent.trigger, intent.position) == ("gift wrap", 3)
    assert signed_in.post("/lead/intents", data={"trigger_kind": "phrase", "trigger": "gift wrap",
                                                 "action": "track_order", "position": "3"}).status_code == 400
    signed_in.post(f"/lead/intents/{intent.id}/delete")
    assert db.session.query(IntentAction).count() == 0


@pytest.mark.parametrize("data", [{"trigger_kind": "regex", "trigger": "x", "action": "track_order"},
                                  {"trigger_kind": "phrase", "trigger": "x", "action": "launch_missiles"},
                                  {"trigger_kind": "phrase", "trigger": "x", "action": "track_order",
                                   "position": "-1"}])
def test_a_bad_mapping_is_refused(signed_in, db, data):
    assert signed_in.post("/lead/intents", data=data).status_code == 400
    assert db.session.query(IntentAction).count() == 0


def test_removing_a_triage_example_is_audited_with_what_it_said(signed_in, db, lead):
    example = TriageExample(text="The parcel was soaked and the box torn.", urgency="high")
    db.session.add(example)
    db.session.commit()

    assert signed_in.post(f"/lead/triage-examples/{example.id}/delete").status_code == 302

    assert db.session.query(TriageExample).count() == 0
    entry = db.session.query(AuditEntry).filter_by(action="triage_example.deleted").one()
    assert entry.actor_id == lead.id
    assert entry.detail["changes"]["text"] == ["The parcel was soaked and the box torn.", None]
