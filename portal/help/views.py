import html as html_module
import re
from urllib.parse import urlsplit

import markdown
import nh3
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from portal import metrics
from portal.extensions import db, htmx
from portal.help import bp, service
from portal.help import search as search_index
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.i18n import locale_tag
from portal.models.knowledge import CATEGORIES
from portal.numbers import parse_int
from portal.web import render_fragment, visitor_id

CATEGORY_LABELS = {
    "orders-shipping": _l("Orders and shipping"),
    "returns-exchanges": _l("Returns and exchanges"),
    "refunds-payments": _l("Refunds and payments"),
    "complaints-service": _l("Complaints and service"),
    "account-membership": _l("Account and membership"),
    "product-warranty": _l("Products and warranty"),
}
# Search results come ten at a time, up to fifty.
RESULTS_PAGE = 10
MAX_RESULTS = 50
ALLOWED_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "code", "pre", "blockquote",
                "table", "thead", "tbody", "tr", "th", "td", "br", "hr"}


@bp.app_context_processor
def _help_context():
    return {"category_labels": CATEGORY_LABELS}


def _locale():
    return locale_tag()


# A list item indented by 2 or 3 spaces (as most editors write a nested item) is nested for a reader;
# Python-Markdown nests only at 4.
NESTED_ITEM = re.compile(r"^( +)(?=(?:[-*+]|\d+\.) )", re.MULTILINE)
# "see *My order is running late*": an emphasised article title is a reference to that article.
EMPHASISED = re.compile(r"<em>([^<]{3,200})</em>")


def _nest_lists(text):
    return NESTED_ITEM.sub(lambda match: " " * ((len(match.group(1)) + 3) // 4 * 4), text)


def render_markdown(text, locale=None):
    """Article Markdown as HTML, with anything but plain formatting and links removed; an emphasised title
    of another article in `locale` becomes a link to it."""
    html = markdown.markdown(_nest_lists(text), extensions=["tables", "sane_lists"])
    clean = nh3.clean(html, tags=ALLOWED_TAGS, url_schemes={"http", "https", "mailto"})
    if locale:
        slugs = service.slugs_by_title(locale)

        def link(match):
            slug = slugs.get(html_module.unescape(match.group(1)).strip().casefold())
            if slug is None:
                return match.group(0)
            return f'<a href="{escape(url_for("help.article", slug=slug))}">{match.group(1)}</a>'

        clean = EMPHASISED.sub(link, clean)
    return Markup(clean)  # noqa: S704 - nh3 has sanitised it; links are built from our own slugs


@bp.get("/")
def index():
    """The help center's home: search, categories with their article counts, the most read articles."""
    return render_template("help/index.html", categories=_categories(),
                           popular=service.popular_articles(_locale()))


def _categories():
    """(slug, label, article count) of every category in the visitor's language."""
    counts = service.categories_with_counts(_locale())
    return [(slug, CATEGORY_LABELS[slug], counts.get(slug, 0)) for slug in CATEGORIES]


@bp.get("/search")
def search():
    """Search results; the results region alone for htmx's search-as-you-type."""
    query = search_index.clean_query(request.args.get("q", ""))
    typing = bool(htmx) and request.args.get("typing") == "1"
    settling = typing and request.args.get("settle") == "1"  # the results' own second ask, see _results.html
    result, search_id, cards, more_url, categories, ranking = None, None, [], None, [], None
    shown = min(max(request.args.get("shown", RESULTS_PAGE, type=int), RESULTS_PAGE), MAX_RESULTS)
    if query:
        # One more than shown tells whether a "Show more" link leads anywhere.
        # The box's as-you-type requests carry `typing`; Enter, the button and a page load search the whole text.
        result = search_index.search(request.args.get("q", ""), _locale(), limit=shown + 1, typing=typing,
                                     wait=settling)
        ranking = result.ranking_key
        if len(result.hits) > shown:
            result.hits = result.hits[:shown]
            if shown < MAX_RESULTS:
                more_url = url_for("help.search", q=query, shown=shown + RESULTS_PAGE)
        entry = service.log_search(query, _locale(), result.total, visitor_id())
        if not result.total:
            metrics.searches_without_result_total.labels(_locale()).inc()
        db.session.commit()
        search_id = entry.id if entry else None
        scenarios = [hit.scenario for hit in result.hits[:1]]
        cards = service.action_cards(service.intent_actions(query, scenarios))
        if not result.hits:
            categories = _categories()
    if settling and ranking == request.args.get("seen"):
        # The list on screen is already right: swapping in the same list would re-announce it to a screen reader
        # and could swallow a click on a result. Only the second ask goes.
        response = make_response("")
        response.headers.update({"HX-Retarget": "this", "HX-Reswap": "delete"})
        return response
    response = render_fragment("help/search.html", "help/_results.html", query=query, result=result,
                               search_id=search_id, cards=cards, more_url=more_url, categories=categories,
                               typed=request.args.get("q", ""), ranking=ranking)
    if typing:  # the address in history is the search's, without the marker
        response.headers[_history_header()] = url_for("help.search", q=query)
    return response


def _history_header():
    """Words typed on another page start one history entry; what is typed after a pause on the results only
    corrects it, so Back leaves the search instead of stepping through each pause."""
    current = urlsplit(request.headers.get("HX-Current-URL", "")).path
    return "HX-Replace-Url" if current == url_for("help.search") else "HX-Push-Url"


@bp.get("/<category>")
def category(category):
    """Every article of one category in the visitor's language."""
    if category not in CATEGORY_LABELS:
        abort(404)
    articles = service.articles_in_category(category, _locale())
    return render_template("help/category.html", category=category, label=CATEGORY_LABELS[category],
                           articles=articles)


def _article_or_404(slug):
    article = service.article_by_slug(slug) if len(slug) <= 120 else None
    if article is None:
        abort(404)
    return article


def _article_page(article, status=200, comment="", comment_error=None):
    feedback = service.feedback_of(article, visitor_id())
    translation = service.translation_of(article)
    locale = _locale()
    same_topic = (service.same_topic_in(article, locale)
                  if translation is None and article.locale != locale else None)
    context = {
        "article": article, "body": render_markdown(article.body, article.locale), "feedback": feedback,
        "related": service.related_articles(article), "translation": translation, "same_topic": same_topic,
        "cards": service.action_cards(service.intent_actions(scenarios=[article.scenario])),
        "comment": comment, "comment_error": comment_error,
    }
    return render_template("help/article.html", **context), status


@bp.get("/a/<slug>")
def article(slug):
    """One article, its related articles and translation; counts the reader and the search click."""
    article = _article_or_404(slug)
    service.record_view(article, visitor_id())
    search_id = parse_int(request.args.get("s"))
    if search_id:
        service.record_click(search_id, visitor_id(), article.slug)
    db.session.commit()
    return _article_page(article)


def _feedback_response(article, comment="", comment_error=None):
    if htmx and not htmx.boosted:
        feedback = service.feedback_of(article, visitor_id())
        cards = service.action_cards(service.intent_actions(scenarios=[article.scenario]))
        body = render_template("help/_feedback.html", article=article, feedback=feedback, cards=cards,
                               comment=comment, comment_error=comment_error)
        response = make_response(body)
        response.vary.add("HX-Request")
        return response
    if comment_error:
        return _article_page(article, status=400, comment=comment, comment_error=comment_error)
    return redirect(url_for("help.article", slug=article.slug, _anchor="feedback"))


@bp.post("/a/<slug>/feedback")
def feedback(slug):
    """A Yes/No vote, once per visitor; No then asks what was missing."""
    article = _article_or_404(slug)
    choice = request.form.get("helpful")
    if choice not in ("yes", "no"):
        abort(400)
    _feedback, counted = service.vote(article, visitor_id(), choice == "yes")
    db.session.commit()
    if not counted and not htmx:
        flash(_("You have already told us about this article. Thank you."), "info")
    return _feedback_response(article)


@bp.post("/a/<slug>/comment")
def comment(slug):
    """What a reader who voted No says was missing."""
    article = _article_or_404(slug)
    text = request.form.get("comment", "")
    try:
        service.save_comment(article, visitor_id(), text)
    except service.CommentError as error:
        messages = {
            "vote first": _("Please tell us first whether the article helped."),
            "empty": _("Please write a few words, or leave the box empty and carry on."),
            "too long": _("Please keep your comment under %(count)s characters.",
                          count=service.MAX_COMMENT_CHARS),
        }
        return _feedback_response(article, comment=text[:service.MAX_COMMENT_CHARS * 2],
                                  comment_error=messages[str(error)])
    db.session.commit()
    if not htmx:
        flash(_("Thank you. We use every comment to improve our answers."), "success")
    return _feedback_response(article)
