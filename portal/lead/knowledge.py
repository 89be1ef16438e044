"""Leads edit what self-service knows: articles, synonyms, canned replies, the intent -> action mapping and the
triage examples agents added.

Saving an article changes what search finds; the help package's flush listener queues its reindexing in the
same transaction (search.reindex_article through the outbox), whoever saves it.
"""

import hashlib

from sqlalchemy import select

from portal.extensions import db
from portal.help import service as help_service
from portal.help.defaults import ACTIONS
from portal.help.importer import SLUG
from portal.models import Article, AuditEntry, CannedReply, IntentAction, Synonym, TriageExample
from portal.models.knowledge import CATEGORIES, LOCALES


class KnowledgeError(ValueError):
    """What is wrong with the input, by field: {field: message key}."""

    def __init__(self, errors):
        super().__init__(", ".join(errors))
        self.errors = errors


def _fields(row, names):
    # A body can run to 50 000 characters: the log keeps its length and a digest, which show that it changed.
    return {name: _digest(value) if name == "body" else value
            for name, value in ((name, getattr(row, name)) for name in names)}


def _digest(text):
    return f"{len(text)} characters, sha256 {hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _audit(actor, action, row, before, names):
    """One audit row per change: who, what, and each field that changed (old and new), as the audit log shows it."""
    after = {} if action.endswith(".deleted") else _fields(row, names)
    changes = {name: [before.get(name), after.get(name)] for name in names
               if before.get(name) != after.get(name)}
    if changes:
        db.session.add(AuditEntry(actor_type="staff", actor_id=actor.id, action=action,
                                  target_type=row.__tablename__, target_id=row.id, detail={"changes": changes}))


ARTICLE_FIELDS = ("slug", "title", "locale", "category", "scenario", "keywords", "body", "published",
                  "translation_of")
SYNONYM_FIELDS = ("locale", "term", "expansions")
CANNED_FIELDS = ("title", "locale", "body", "empathy")
INTENT_FIELDS = ("trigger_kind", "trigger", "action", "position")
TRIAGE_EXAMPLE_FIELDS = ("text", "urgency", "case_id")


def save_article(article, *, actor, slug, title, locale, category, scenario, keywords, body, published,
                 translation_of=""):
    """Create (article None) or change an article; raises KnowledgeError with every problem at once."""
    slug = (slug or "").strip().lower()
    title = " ".join((title or "").split())
    scenario = (scenario or "").strip().lower()
    body = (body or "").replace("\r\n", "\n").strip()
    keyword_list = [k.strip() for k in (keywords or "").split(",") if k.strip()]
    translation_of = (translation_of or "").strip().lower() or None
    errors = {}
    if not SLUG.match(slug) or len(slug) > 120:
        errors["slug"] = "slug"
    elif db.session.scalar(select(Article.id).where(Article.slug == slug,
                                                    Article.id != (article.id if article else -1))):
        errors["slug"] = "slug_taken"
    if not title or len(title) > 200:
        errors["title"] = "title"
    if locale not in LOCALES:
        errors["locale"] = "locale"
    if category not in CATEGORIES:
        errors["category"] = "category"
    if len(scenario) > 80 or (scenario and not SLUG.match(scenario)):
        errors["scenario"] = "scenario"
    if not body or len(body) > 50_000:
        errors["body"] = "body"
    if len(keyword_list) > 30 or any(len(k) > 60 for k in keyword_list):
        errors["keywords"] = "keywords"
    if translation_of and not SLUG.match(translation_of):
        errors["translation_of"] = "slug"
    if errors:
        raise KnowledgeError(errors)
    before = _fields(article, ARTICLE_FIELDS) if article else {}
    action = "article.changed" if article else "article.created"
    if article is None:
        article = Article(slug=slug, view_count=0, helpful_count=0, unhelpful_count=0, escalation_count=0)
        db.session.add(article)
    article.slug, article.title, article.locale, article.category = slug, title, locale, category
    article.scenario, article.keywords, article.body = scenario, keyword_list, body + "\n"
    article.published, article.translation_of = bool(published), translation_of
    db.session.flush()
    _audit(actor, action, article, before, ARTICLE_FIELDS)
    return article


def articles(query=""):
    statement = select(Article).order_by(Article.locale, Article.category, Article.title)
    query = " ".join(query.split())[:100]
    if query:
        statement = statement.where(Article.title.ilike(f"%{query}%") | Article.slug.ilike(f"%{query}%"))
    return db.session.scalars(statement.limit(300)).all()


def save_synonym(locale, term, expansions_text, *, actor):
    term = " ".join((term or "").lower().split())
    expansions = [e.strip() for e in (expansions_text or "").split(",") if e.strip()]
    errors = {}
    if locale not in LOCALES:
        errors["locale"] = "locale"
    if not term or len(term) > 80:
        errors["term"] = "term"
    if not expansions or len(expansions) > 20 or any(len(e) > 80 for e in expansions):
        errors["expansions"] = "expansions"
    if errors:
        raise KnowledgeError(errors)
    existing = db.session.scalar(select(Synonym).where(Synonym.locale == locale, Synonym.term == term))
    before = _fields(existing, SYNONYM_FIELDS) if existing else {}
    synonym = help_service.save_synonym(locale, term, expansions)
    _audit(actor, "synonym.changed" if existing else "synonym.created", synonym, before, SYNONYM_FIELDS)
    return synonym


def delete_synonym(synonym, *, actor):
    from portal.help import search

    _audit(actor, "synonym.deleted", synonym, _fields(synonym, SYNONYM_FIELDS), SYNONYM_FIELDS)
    db.session.delete(synonym)
    db.session.flush()
    search.clear_caches()


def synonyms():
    return db.session.scalars(select(Synonym).order_by(Synonym.locale, Synonym.term)).all()


def save_canned_reply(reply, *, actor, title, locale, body, empathy):
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    errors = {}
    if not title or len(title) > 120:
        errors["title"] = "title"
    if locale not in LOCALES:
        errors["locale"] = "locale"
    if not body or len(body) > 5000:
        errors["body"] = "body"
    if errors:
        raise KnowledgeError(errors)
    before = _fields(reply, CANNED_FIELDS) if reply else {}
    action = "canned_reply.changed" if reply else "canned_reply.created"
    if reply is None:
        reply = CannedReply(title=title, locale=locale, body=body)
        db.session.add(reply)
    reply.title, reply.locale, reply.body, reply.empathy = title, locale, body, bool(empathy)
    db.session.flush()
    _audit(actor, action, reply, before, CANNED_FIELDS)
    return reply


def delete_canned_reply(reply, *, actor):
    _audit(actor, "canned_reply.deleted", reply, _fields(reply, CANNED_FIELDS), CANNED_FIELDS)
    db.session.delete(reply)
    db.session.flush()


def canned_replies():
    return db.session.scalars(select(CannedReply).order_by(CannedReply.locale, CannedReply.empathy.desc(),
                                                           CannedReply.title)).all()


def add_intent(trigger_kind, trigger, action, position, *, actor):
    trigger = " ".join((trigger or "").split())
    if trigger_kind == "phrase":
        trigger = trigger.lower()
    errors = {}
    if trigger_kind not in ("scenario", "phrase"):
        errors["trigger_kind"] = "trigger_kind"
    if not trigger or len(trigger) > 80:
        errors["trigger"] = "trigger"
    if action not in ACTIONS:
        errors["action"] = "action"
    if not isinstance(position, int) or not 0 <= position <= 10_000:
        errors["position"] = "position"
    if not errors and db.session.scalar(select(IntentAction.id).where(
            IntentAction.trigger_kind == trigger_kind, IntentAction.trigger == trigger,
            IntentAction.action == action)):
        errors["trigger"] = "intent_exists"
    if errors:
        raise KnowledgeError(errors)
    intent = IntentAction(trigger_kind=trigger_kind, trigger=trigger, action=action, position=position)
    db.session.add(intent)
    db.session.flush()
    _audit(actor, "intent.created", intent, {}, INTENT_FIELDS)
    return intent


def delete_intent(intent, *, actor):
    _audit(actor, "intent.deleted", intent, _fields(intent, INTENT_FIELDS), INTENT_FIELDS)
    db.session.delete(intent)
    db.session.flush()


def intents():
    return db.session.scalars(select(IntentAction).order_by(IntentAction.trigger_kind, IntentAction.trigger,
                                                            IntentAction.position)).all()


TRIAGE_EXAMPLES_SHOWN = 200


def delete_triage_example(example, *, actor):
    """Take an agent's example out of what triage learns from."""
    _audit(actor, "triage_example.deleted", example, _fields(example, TRIAGE_EXAMPLE_FIELDS), TRIAGE_EXAMPLE_FIELDS)
    db.session.delete(example)
    db.session.flush()


def triage_examples():
    """The examples agents' urgency changes added to triage, newest first."""
    return db.session.scalars(select(TriageExample).order_by(TriageExample.id.desc())
                              .limit(TRIAGE_EXAMPLES_SHOWN)).all()
