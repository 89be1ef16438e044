"""Help-center rules: what readers did (views, votes, escalations), the search log, intent actions."""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.help import search
from portal.help.defaults import ACTIONS
from portal.jobs import schedule
from portal.models import Article, ArticleFeedback, ArticleView, IntentAction, SearchLog, Synonym, utcnow
from portal.web import has_endpoint

# Changing any of these changes what search finds, so the index entry must be rebuilt.
INDEXED_FIELDS = ("slug", "locale", "title", "body", "category", "scenario", "keywords", "published")
MAX_COMMENT_CHARS = 2000
# A visitor typing "r", "re", "ret"... is one search: the row is updated while the text grows or shrinks.
SEARCH_SESSION_GAP = timedelta(seconds=60)
VIEW_GAP = timedelta(minutes=30)


# ---- Keeping the index in step with the articles ------------------------------------------------------

def schedule_reindex(article_id):
    """Queue the index update for one article, in the caller's transaction."""
    return schedule("search.reindex_article", article_id,
                    key=f"search.reindex:{article_id}:{utcnow().timestamp():.6f}")


def _articles_to_reindex(session):
    ids = set()
    for instance in list(session.new) + list(session.deleted):
        if isinstance(instance, Article) and instance.id is not None:
            ids.add(instance.id)
    for instance in session.dirty:
        if isinstance(instance, Article) and session.is_modified(instance) and any(
            db.inspect(instance).attrs[name].history.has_changes() for name in INDEXED_FIELDS
        ):
            ids.add(instance.id)
    return ids


def _after_flush(session, _context):
    for article_id in sorted(_articles_to_reindex(session)):
        schedule_reindex(article_id)


def install_reindex_listener():
    """Every create, edit or delete of an article, whoever makes it, schedules its reindexing."""
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)


# ---- Browsing -----------------------------------------------------------------------------------------

def published(locale=None):
    statement = select(Article).where(Article.published.is_(True))
    return statement.where(Article.locale == locale) if locale else statement


def article_by_slug(slug):
    return db.session.scalar(published().where(Article.slug == slug))


def categories_with_counts(locale):
    rows = db.session.execute(
        select(Article.category, func.count()).where(Article.published.is_(True), Article.locale == locale)
        .group_by(Article.category)
    ).all()
    return dict(rows)


def popular_articles(locale, limit=5):
    return db.session.scalars(
        published(locale).order_by(Article.view_count.desc(), Article.title).limit(limit)
    ).all()


def articles_in_category(category, locale):
    return db.session.scalars(published(locale).where(Article.category == category).order_by(Article.title)).all()


def related_articles(article, limit=5):
    """Other articles of the same scenario in the reader's language, most read first."""
    if not article.scenario:
        return []
    return db.session.scalars(
        published(article.locale).where(Article.scenario == article.scenario, Article.id != article.id)
        .order_by(Article.view_count.desc(), Article.title).limit(limit)
    ).all()


def slugs_by_title(locale):
    """{casefolded title: slug} of the published articles in one language, for "see *Title*" links."""
    rows = db.session.execute(select(Article.title, Article.slug)
                              .where(Article.published.is_(True), Article.locale == locale)).all()
    return {title.strip().casefold(): slug for title, slug in rows}


def translation_of(article):
    """The same article in the other language, linked either way by `translation_of`."""
    if article.translation_of:
        return article_by_slug(article.translation_of)
    return db.session.scalar(published().where(Article.translation_of == article.slug))


def same_topic_in(article, locale):
    """For an article with no translation: the article in `locale` about the same scenario (of the same category
    first, then the most read), so a reader of the other language is not left with the help center's front page."""
    if not article.scenario:
        return None
    return db.session.scalars(
        published(locale).where(Article.scenario == article.scenario, Article.id != article.id)
        .order_by((Article.category == article.category).desc(), Article.view_count.desc(), Article.title).limit(1)
    ).first()


def scenario_titles(scenarios, locale):
    """{scenario: a name a person reads}: the title of its most read article in `locale`, published ones first,
    else its article in another language, else the scenario's words without hyphens."""
    scenarios = set(scenarios)
    rows = db.session.execute(
        select(Article.scenario, Article.title).where(Article.scenario.in_(scenarios))
        .order_by((Article.locale == locale).desc(), Article.published.desc(), Article.view_count.desc(),
                  Article.title)
    ).all() if scenarios else []
    titles = {}
    for scenario, title in rows:
        titles.setdefault(scenario, title)
    return {scenario: titles.get(scenario) or scenario.replace("-", " ").capitalize() for scenario in scenarios}


# ---- Readers: views, votes, escalations -----------------------------------------------------------------

def record_view(article, visitor, now=None):
    """Count a reader once per visit (30 minutes); keeps when they last read it, for case attribution."""
    now = now or utcnow()
    recent = db.session.scalar(
        select(ArticleView).where(ArticleView.article_id == article.id, ArticleView.visitor_id == visitor,
                                  ArticleView.viewed_at >= now - VIEW_GAP)
        .order_by(ArticleView.viewed_at.desc()).limit(1)
    )
    if recent is not None:
        recent.viewed_at = now
        return False
    db.session.add(ArticleView(article_id=article.id, visitor_id=visitor, viewed_at=now))
    db.session.execute(update(Article).where(Article.id == article.id)
                       .values(view_count=Article.view_count + 1).execution_options(synchronize_session=False))
    return True


def feedback_of(article, visitor):
    return db.session.scalar(select(ArticleFeedback).where(
        ArticleFeedback.article_id == article.id, ArticleFeedback.visitor_id == visitor))


def vote(article, visitor, helpful, session_id=""):
    """Record a visitor's one vote on an article; returns (feedback, counted) where counted is False for a repeat."""
    existing = feedback_of(article, visitor)
    if existing is not None:
        return existing, False
    feedback = ArticleFeedback(article_id=article.id, visitor_id=visitor, helpful=bool(helpful), comment="")
    try:
        with db.session.begin_nested():
            db.session.add(feedback)
    except IntegrityError:
        # Two clicks raced; the other one counted.
        return feedback_of(article, visitor), False
    column = Article.helpful_count if helpful else Article.unhelpful_count
    db.session.execute(update(Article).where(Article.id == article.id).values({column: column + 1})
                       .execution_options(synchronize_session=False))
    if helpful:
        record_deflection(session_id or visitor, article.slug)
    return feedback, True


class CommentError(ValueError):
    pass


def save_comment(article, visitor, comment):
    """Keep what a reader who voted No says is missing."""
    feedback = feedback_of(article, visitor)
    if feedback is None or feedback.helpful:
        raise CommentError("vote first")
    comment = (comment or "").strip()
    if not comment:
        raise CommentError("empty")
    if len(comment) > MAX_COMMENT_CHARS:
        raise CommentError("too long")
    feedback.comment = comment
    return feedback


def record_escalation(article_id):
    """A case was filed after reading this article (the cases journey calls this)."""
    return db.session.execute(update(Article).where(Article.id == article_id)
                              .values(escalation_count=Article.escalation_count + 1)
                              .execution_options(synchronize_session=False)).rowcount == 1


def last_viewed_article(visitor, within=None, now=None):
    """The article this visitor read last, if within the attribution window; for `Case.source_article_id`."""
    if not visitor:
        return None
    now = now or utcnow()
    within = within if within is not None else current_app.config["ARTICLE_ATTRIBUTION_WINDOW"]
    return db.session.scalar(
        select(Article).join(ArticleView, ArticleView.article_id == Article.id)
        .where(ArticleView.visitor_id == visitor, ArticleView.viewed_at >= now - within,
               ArticleView.viewed_at <= now)
        .order_by(ArticleView.viewed_at.desc(), ArticleView.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class FlaggedArticle:
    article: Article
    readers: int
    escalations: int

    @property
    def rate(self):
        return self.escalations / self.readers if self.readers else 0.0


def articles_flagged_for_revision(now=None):
    """Articles whose readers escalate too often: rate above ARTICLE_FLAG_RATE over at least MIN_READERS readers."""
    now = now or utcnow()
    config = current_app.config
    readers = (
        select(ArticleView.article_id, func.count(func.distinct(ArticleView.visitor_id)).label("readers"))
        .where(ArticleView.viewed_at <= now).group_by(ArticleView.article_id).subquery()
    )
    rows = db.session.execute(
        select(Article, readers.c.readers).join(readers, readers.c.article_id == Article.id)
        .where(readers.c.readers >= config["ARTICLE_FLAG_MIN_READERS"],
               Article.escalation_count > readers.c.readers * config["ARTICLE_FLAG_RATE"])
    ).all()
    flagged = [FlaggedArticle(article, count, article.escalation_count) for article, count in rows]
    return sorted(flagged, key=lambda f: -f.rate)


# ---- The search log ----------------------------------------------------------------------------------

def log_search(query, locale, hits, session_id, now=None):
    """Log a search; while one visitor keeps typing the same search, its row is updated rather than added."""
    query = search.clean_query(query)
    if not query:
        return None
    now = now or utcnow()
    last = None
    if session_id:
        last = db.session.scalar(
            select(SearchLog).where(SearchLog.session_id == session_id, SearchLog.clicked_slug.is_(None),
                                    SearchLog.deflected.is_(False), SearchLog.created_at >= now - SEARCH_SESSION_GAP)
            .order_by(SearchLog.id.desc()).limit(1)
        )
    if last is not None and (query.startswith(last.query) or last.query.startswith(query)):
        last.query, last.locale, last.hits, last.created_at = query, locale, hits, now
        db.session.flush()
        return last
    entry = SearchLog(query=query, locale=locale, hits=hits, session_id=session_id or "", created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def record_click(search_id, session_id, slug):
    """Note which result a visitor opened, only for their own search."""
    return db.session.execute(
        update(SearchLog).where(SearchLog.id == search_id, SearchLog.session_id == session_id,
                                SearchLog.clicked_slug.is_(None))
        .values(clicked_slug=slug).execution_options(synchronize_session=False)
    ).rowcount == 1


def record_deflection(session_id, slug=None, now=None):
    """The visitor's problem was solved without a case ("this solved it"): mark their latest search."""
    if not session_id:
        return False
    now = now or utcnow()
    entry = db.session.scalar(
        select(SearchLog).where(SearchLog.session_id == session_id, SearchLog.created_at >= now - timedelta(hours=2))
        .order_by(SearchLog.id.desc()).limit(1)
    )
    if entry is None:
        return False
    entry.deflected = True
    if slug and not entry.clicked_slug:
        entry.clicked_slug = slug
    return True


# ---- Intent actions and synonyms -------------------------------------------------------------------------

def _phrase_in(query, phrase):
    if not phrase.isascii():
        return phrase in query
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", query) is not None


def intent_actions(query="", scenarios=()):
    """Action names for a query's phrases and the given scenarios, best first, without repeats."""
    lowered = search.clean_query(query).lower()
    rows = db.session.scalars(select(IntentAction).order_by(IntentAction.position, IntentAction.id)).all()
    chosen = []
    for row in rows:
        matched = (row.trigger_kind == "phrase" and lowered and _phrase_in(lowered, row.trigger.lower())) or (
            row.trigger_kind == "scenario" and row.trigger in scenarios)
        if matched and row.action not in chosen:
            chosen.append(row.action)
    return chosen


def action_cards(names, limit=2):
    """The actions a visitor can take today: links only to journeys this portal has."""
    cards = []
    for name in names:
        action = ACTIONS.get(name)
        if action is None or not has_endpoint(action.endpoint):
            continue
        cards.append({"name": name, "label": action.label, "text": action.text,
                      "url": url_for(action.endpoint, **dict(action.args))})
        if len(cards) == limit:
            break
    return cards


def save_synonym(locale, term, expansions):
    """Create or change a synonym and make searches use it at once in this process."""
    term = " ".join(term.lower().split())
    synonym = db.session.scalar(select(Synonym).where(Synonym.locale == locale, Synonym.term == term))
    if synonym is None:
        synonym = Synonym(locale=locale, term=term)
        db.session.add(synonym)
    synonym.expansions = [e.strip() for e in expansions if e.strip()]
    db.session.flush()
    search.clear_caches()
    return synonym


def clean_query(text):
    """What a visitor typed, as the search reads it (pages outside the help centre reach the index here)."""
    return search.clean_query(text)


def search_articles(query, locale, limit):
    """Articles for a query, best first, for pages outside the help centre."""
    return search.search(query, locale, limit=limit)
