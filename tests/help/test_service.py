"""Help-center service rules: attribution, escalations, flagging, deflection, intents, reindex scheduling."""

from datetime import timedelta

from sqlalchemy import select

from portal.help import service
from portal.help.defaults import seed_defaults
from portal.models import Article, ArticleView, OutboxRow, SearchLog, utcnow


def _article(db, slug="how-to", **overrides):
    values = {"slug": slug, "locale": "en", "title": "How to", "body": "Body text", "category": "orders-shipping",
              "scenario": "order-tracking", "keywords": ["k"]}
    values.update(overrides)
    article = Article(**values)
    db.session.add(article)
    db.session.commit()
    return article


def _reindex_rows(db):
    return db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == "search.reindex_article")).all()


def test_creating_editing_and_deleting_an_article_each_schedule_its_reindexing(db):
    article = _article(db)
    assert [row.args for row in _reindex_rows(db)] == [[article.id]]

    article.title = "How to, revised"
    db.session.commit()
    db.session.delete(article)
    db.session.commit()

    assert len(_reindex_rows(db)) == 3


def test_counting_views_and_votes_does_not_reindex(db):
    article = _article(db)
    service.record_view(article, "visitor-1")
    service.vote(article, "visitor-1", True)
    db.session.commit()

    assert len(_reindex_rows(db)) == 1


def test_last_viewed_article_is_the_latest_within_the_window(db):
    first, second = _article(db, "first"), _article(db, "second")
    now = utcnow()
    service.record_view(first, "v", now=now - timedelta(minutes=50))
    service.record_view(second, "v", now=now - timedelta(minutes=10))
    db.session.commit()

    assert service.last_viewed_article("v", now=now) == second
    assert service.last_viewed_article("v", within=timedelta(minutes=5), now=now) is None
    assert service.last_viewed_article("someone-else", now=now) is None
    assert service.last_viewed_article("", now=now) is None


def test_rereading_an_article_moves_it_to_last_viewed(db):
    first, second = _article(db, "first"), _article(db, "second")
    now = utcnow()
    service.record_view(first, "v", now=now - timedelta(minutes=20))
    service.record_view(second, "v", now=now - timedelta(minutes=10))
    service.record_view(first, "v", now=now - timedelta(minutes=5))
    db.session.commit()

    assert service.last_viewed_article("v", now=now) == first
    assert db.session.get(Article, first.id).view_count == 1


def test_record_escalation_counts_and_ignores_unknown_articles(db):
    article = _article(db)

    assert service.record_escalation(article.id)
    assert not service.record_escalation(999_999)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Article, article.id).escalation_count == 1


def _readers(db, article, count):
    for n in range(count):
        db.session.add(ArticleView(article_id=article.id, visitor_id=f"{article.slug}-{n}", viewed_at=utcnow()))


def test_an_article_is_flagged_above_30_percent_escalations_over_20_readers(db):
    weak = _article(db, "weak", escalation_count=7)  # 7 / 20 = 35 %
    fine = _article(db, "fine", escalation_count=6)  # 6 / 20 = 30 %, not above
    few = _article(db, "few", escalation_count=10)  # 10 / 19 readers: too few readers to judge
    for article, readers in [(weak, 20), (fine, 20), (few, 19)]:
        _readers(db, article, readers)
    db.session.commit()

    flagged = service.articles_flagged_for_revision(utcnow())

    assert [(f.article.slug, f.readers, f.escalations) for f in flagged] == [("weak", 20, 7)]
    assert flagged[0].rate == 0.35


def test_repeat_views_by_one_visitor_are_one_reader_for_flagging(db):
    article = _article(db, "repeat", escalation_count=7)
    for _ in range(40):
        db.session.add(ArticleView(article_id=article.id, visitor_id="same", viewed_at=utcnow()))
    db.session.commit()

    assert service.articles_flagged_for_revision(utcnow()) == []


def test_record_deflection_marks_the_visitors_latest_search(db):
    service.log_search("refund", "en", 3, "sess")
    db.session.commit()

    assert service.record_deflection("sess", "refund-timing")
    assert not service.record_deflection("other")
    assert not service.record_deflection("")
    entry = db.session.scalar(select(SearchLog))
    assert entry.deflected and entry.clicked_slug == "refund-timing"


def test_a_helpful_vote_counts_as_a_deflection(db):
    article = _article(db)
    service.log_search("how to", "en", 1, "sess")
    service.vote(article, "sess", True)
    db.session.commit()

    assert db.session.scalar(select(SearchLog)).deflected


def test_a_new_search_after_a_pause_is_a_new_log_row(db):
    now = utcnow()
    service.log_search("refund", "en", 3, "sess", now=now - timedelta(minutes=5))
    service.log_search("refund", "en", 3, "sess", now=now)
    service.log_search("parcel", "en", 3, "sess", now=now)
    db.session.commit()

    assert [e.query for e in db.session.scalars(select(SearchLog).order_by(SearchLog.id))] == [
        "refund", "refund", "parcel"]


def test_intent_actions_come_from_phrases_and_scenarios_in_order(db):
    seed_defaults()
    db.session.commit()

    assert service.intent_actions("My parcel arrived DAMAGED") == ["start_quality_return"]
    assert service.intent_actions("快递一直不动了") == ["track_order"]
    assert service.intent_actions("", scenarios=["allergy-reaction"]) == ["file_complaint", "start_quality_return"]
    assert service.intent_actions("undamagedness") == []
    assert service.intent_actions("") == []


def test_seeding_defaults_twice_adds_nothing_and_keeps_lead_edits(db):
    seed_defaults()
    service.save_synonym("en", "parcel", ["box"])
    db.session.commit()

    assert seed_defaults() == 0
    from portal.models import Synonym
    assert db.session.scalar(select(Synonym.expansions).where(Synonym.term == "parcel")) == ["box"]
