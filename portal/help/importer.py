"""Reads help articles in the Markdown + front matter format of shared/data/faq/README.md."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from portal.extensions import db
from portal.models import Article
from portal.models.knowledge import CATEGORIES, LOCALES

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REQUIRED = {"slug", "title", "locale", "category", "scenario", "keywords"}
ALLOWED = REQUIRED | {"translation_of"}


class ArticleFormatError(ValueError):
    pass


@dataclass
class ParsedArticle:
    slug: str
    title: str
    locale: str
    category: str
    scenario: str
    keywords: list
    body: str
    translation_of: str | None = None


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (file name, reason)

    @property
    def imported(self):
        return len(self.created) + len(self.updated)


def parse_article(path):
    """Parse one file; raises ArticleFormatError with a reason a person can act on."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ArticleFormatError("not UTF-8 text") from error
    parts = text.split("\n---", 1) if text.startswith("---") else None
    if not parts or len(parts) < 2:
        raise ArticleFormatError("no front matter between two '---' lines")
    front_text, body = parts[0][3:], parts[1].lstrip("-").lstrip("\n")
    try:
        front = yaml.safe_load(front_text)
    except yaml.YAMLError as error:
        raise ArticleFormatError(f"front matter is not valid YAML ({error.__class__.__name__})") from error
    if not isinstance(front, dict):
        raise ArticleFormatError("front matter is not a mapping of keys")
    missing = REQUIRED - front.keys()
    if missing:
        raise ArticleFormatError(f"missing keys: {', '.join(sorted(missing))}")
    unknown = front.keys() - ALLOWED
    if unknown:
        raise ArticleFormatError(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
    slug = front["slug"]
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ArticleFormatError("slug must be lowercase letters, digits and single hyphens")
    if slug != path.stem:
        raise ArticleFormatError(f"slug {slug!r} does not match the file name {path.stem!r}")
    if front["locale"] not in LOCALES:
        raise ArticleFormatError(f"locale must be one of {', '.join(LOCALES)}")
    if front["category"] not in CATEGORIES:
        raise ArticleFormatError(f"category must be one of {', '.join(CATEGORIES)}")
    for key in ("title", "scenario"):
        if not isinstance(front[key], str) or not front[key].strip():
            raise ArticleFormatError(f"{key} must be a non-empty text")
    keywords = front["keywords"]
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
        raise ArticleFormatError("keywords must be a list of phrases")
    translation_of = front.get("translation_of")
    if translation_of is not None and (not isinstance(translation_of, str) or not SLUG.match(translation_of)):
        raise ArticleFormatError("translation_of must be an article slug")
    if not body.strip():
        raise ArticleFormatError("the article has no body")
    if len(front["title"]) > 200:
        raise ArticleFormatError("title is longer than 200 characters")
    return ParsedArticle(slug=slug, title=front["title"].strip(), locale=front["locale"],
                         category=front["category"], scenario=front["scenario"].strip(),
                         keywords=[k.strip() for k in keywords], body=body.strip() + "\n",
                         translation_of=translation_of)


def article_files(directory):
    return sorted(Path(directory).rglob("*.md"), key=lambda p: (p.parent.name, p.name))


def upsert(parsed):
    """Create or update the article with this slug; returns (article, 'created'|'updated'|'unchanged')."""
    article = db.session.scalar(select(Article).where(Article.slug == parsed.slug))
    fields = {name: getattr(parsed, name) for name in
              ("title", "locale", "category", "scenario", "keywords", "body", "translation_of")}
    if article is None:
        article = Article(slug=parsed.slug, **fields)
        db.session.add(article)
        db.session.flush()
        return article, "created"
    if all(getattr(article, name) == value for name, value in fields.items()):
        return article, "unchanged"
    for name, value in fields.items():
        setattr(article, name, value)
    db.session.flush()
    return article, "updated"


def import_files(paths, on_article=None):
    """Import what parses, report what does not; the caller commits. `on_article(article)` sees each change.

    Each created or updated article is queued for reindexing in the same transaction, by the flush
    listener of portal/help/service.py that every article change goes through.
    """
    report = ImportReport()
    for path in paths:
        if path.name.lower() == "readme.md":
            continue
        try:
            parsed = parse_article(path)
        except ArticleFormatError as error:
            report.errors.append((path.name, str(error)))
            continue
        article, outcome = upsert(parsed)
        getattr(report, outcome).append(parsed.slug)
        if outcome != "unchanged" and on_article:
            on_article(article)
    return report
