"""Help articles, what readers did with them, and the search log."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

from .types import UTCDateTime, utcnow

CATEGORIES = (
    "orders-shipping", "returns-exchanges", "refunds-payments",
    "complaints-service", "account-membership", "product-warranty",
)
LOCALES = ("en", "zh")


class Article(db.Model):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_locale_category", "locale", "category"),
        Index("ix_articles_scenario", "scenario"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40))
    scenario: Mapped[str] = mapped_column(String(80), default="")
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    translation_of: Mapped[str | None] = mapped_column(String(120))
    published: Mapped[bool] = mapped_column(default=True)
    view_count: Mapped[int] = mapped_column(default=0)
    helpful_count: Mapped[int] = mapped_column(default=0)
    unhelpful_count: Mapped[int] = mapped_column(default=0)
    escalation_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self):
        return f"<Article {self.slug}>"


class ArticleView(db.Model):
    """One visitor reading one article; readers are distinct visitors."""

    __tablename__ = "article_views"
    __table_args__ = (Index("ix_article_views_visitor_time", "visitor_id", "viewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    visitor_id: Mapped[str] = mapped_column(String(64))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleFeedback(db.Model):
    __tablename__ = "article_feedback"
    __table_args__ = (UniqueConstraint("article_id", "visitor_id", name="uq_article_feedback_visitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(String(64))
    helpful: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchLog(db.Model):
    __tablename__ = "search_log"
    __table_args__ = (
        Index("ix_search_log_created", "created_at"),
        Index("ix_search_log_hits_created", "hits", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(8))
    hits: Mapped[int] = mapped_column(default=0)
    clicked_slug: Mapped[str | None] = mapped_column(String(120))
    # True when the visitor said an article solved it instead of filing a case.
    deflected: Mapped[bool] = mapped_column(default=False)
    session_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Synonym(db.Model):
    """A phrase customers type and the words our articles use for it ("money back" -> refund)."""

    __tablename__ = "synonyms"
    __table_args__ = (UniqueConstraint("locale", "term", name="uq_synonyms_locale_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(String(8))
    term: Mapped[str] = mapped_column(String(80))
    expansions: Mapped[list] = mapped_column(JSON, default=list)


class IntentAction(db.Model):
    """Maps a scenario, or a phrase in a query, to the self-service action that solves it."""

    __tablename__ = "intent_actions"
    __table_args__ = (UniqueConstraint("trigger_kind", "trigger", "action", name="uq_intent_trigger_action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_kind: Mapped[str] = mapped_column(String(16))  # "scenario" or "phrase"
    trigger: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))  # e.g. track_order, start_return, file_complaint
    position: Mapped[int] = mapped_column(default=0)


class CannedReply(db.Model):
    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    empathy: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
