"""Lead pages: the dashboard for a date range, a CSV export of each of its tables, and knowledge editing."""

import csv
import io
from datetime import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from portal.auth.staff import current_staff, staff_required
from portal.extensions import db
from portal.formatting import format_datetime
from portal.help.defaults import ACTIONS
from portal.help.service import scenario_titles
from portal.help.views import render_markdown
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.i18n import locale_tag
from portal.lead import bp, charts, forms, knowledge, metrics
from portal.models import Article, CannedReply, IntentAction, Synonym, TriageExample, utcnow
from portal.models.knowledge import CATEGORIES, LOCALES
from portal.numbers import parse_int

PERIOD_ERRORS = {
    "format": _l("Dates are written like 2026-03-31."),
    "order": _l("The first day must come before the last day."),
    "length": _l("Choose a range of at most %(days)d days.", days=metrics.MAX_RANGE_DAYS),
}
FIELD_ERRORS = {
    "slug": _l("Use lowercase letters, digits and single hyphens, at most 120 characters."),
    "slug_taken": _l("Another article already has this address."),
    "title": _l("Give a title of at most 200 characters."),
    "locale": _l("Choose English or Chinese."),
    "category": _l("Choose a category."),
    "scenario": _l("Use lowercase letters, digits and hyphens, at most 80 characters."),
    "body": _l("Write the article (at most 50,000 characters)."),
    "keywords": _l("At most 30 keywords of at most 60 characters, separated by commas."),
    "term": _l("Give the phrase customers type, at most 80 characters."),
    "expansions": _l("Give 1 to 20 words our articles use, separated by commas."),
    "trigger_kind": _l("Choose scenario or phrase."),
    "trigger": _l("Give the scenario or phrase, at most 80 characters."),
    "intent_exists": _l("That mapping exists already."),
    "action": _l("Choose an action."),
    "position": _l("Give a position between 0 and 10000."),
}
COLUMN_LABELS = {
    "day": _l("Day"), "answers": _l("Answers"), "average": _l("Average"), "percent_4_5": _l("% 4-5"),
    "score": _l("Score"), "percent": _l("%"), "measure": _l("Measure"), "value": _l("Value"),
    "urgency": _l("Urgency"), "agent": _l("Agent"), "first_responses": _l("First responses"),
    "first_response_median_min": _l("First response, median (min)"),
    "first_response_p90_min": _l("First response, p90 (min)"),
    "first_response_within_sla_percent": _l("First response within SLA %"), "resolved": _l("Resolved"),
    "resolution_median_h": _l("Resolution, median (h)"), "resolution_p90_h": _l("Resolution, p90 (h)"),
    "resolution_within_sla_percent": _l("Resolution within SLA %"), "category": _l("Category"),
    "scenario": _l("Scenario"), "cases": _l("Cases"), "previous_period": _l("Previous period"),
    "change_percent": _l("Change %"), "slug": _l("Article"), "title": _l("Title"), "readers": _l("Readers"),
    "escalations": _l("Escalations"), "escalation_percent": _l("Escalation %"), "query": _l("Search"),
    "locale": _l("Language"), "searches": _l("Searches"), "order": _l("Order"), "status": _l("Status"),
    "ship_by": _l("Ship by"), "shipped_at": _l("Shipped"), "customer": _l("Customer"), "orders": _l("Orders"),
    "about": _l("About"), "job": _l("Job"), "attempts": _l("Attempts"), "failed_at": _l("Failed at"),
    "failure": _l("Why it failed"), "tier": _l("Tier"), "complaints_in_window": _l("Complaints (30 days)"),
    "lowest_rating": _l("Lowest rating"), "due_at": _l("Due"), "case": _l("Case"), "reason": _l("Reason"),
    "answered_at": _l("Answered"), "comment": _l("Comment"), "last_24h": _l("Last 24 h"),
    "daily_average_before": _l("Daily average before"), "factor": _l("Factor"),
}
MEASURE_LABELS = {
    "answers": _l("Answers"), "csat_average": _l("CSAT average"), "csat_percent_4_5": _l("CSAT % 4-5"),
    "nps": _l("NPS"), "ces_average": _l("CES average (1-7, higher is easier)"), "surveys_sent": _l("Surveys sent"),
    "surveys_answered": _l("Surveys answered"), "response_rate_percent": _l("Response rate %"),
    "deflected_searches": _l("Searches that solved it"),
    "returns_approved_without_agent": _l("Returns approved without an agent"),
    "complaints_resolved_without_agent": _l("Cases resolved by an article"),
    "escalated_cases": _l("Escalated to an agent"), "open_not_escalated": _l("Open, not escalated yet"),
    "contacts": _l("All contacts"), "self_service_percent": _l("Self-service %"),
    "escalated_percent": _l("Escalated %"),
    "late": _l("Late orders"), "on_time": _l("On-time orders"),
}
# Columns that hold stored codes, and the kind of words (portal.labels) each is shown in.
COLUMN_WORDS = {"category": "category", "urgency": "urgency", "status": "order", "reason": "callback",
                "tier": "tier", "locale": "locale", "job": "job", "agent": "assignee",
                "failure": "failure"}
# Columns that hold a moment: shown to the minute, while the CSV keeps the whole ISO 8601 value.
MOMENT_COLUMNS = {"ship_by", "shipped_at", "failed_at", "due_at", "answered_at"}
def table_moment(value):
    """An ISO 8601 moment from a dashboard table, to the minute in the reader's time zone."""
    try:
        return format_datetime(datetime.fromisoformat(value), "yyyy-MM-dd HH:mm")
    except (TypeError, ValueError):
        return value


# Spreadsheet programs run cells that start with these as formulas: a customer's comment must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _filters():
    """The dashboard's filters from the query string; (filters, error message or None)."""
    today = utcnow().date()
    error = None
    try:
        period = metrics.parse_period(request.args.get("from", ""), request.args.get("to", ""), today,
                                      current_app.config["LEAD_DASHBOARD_DAYS"])
    except metrics.PeriodError as refused:
        error = PERIOD_ERRORS[str(refused)]
        period = metrics.parse_period("", "", today, current_app.config["LEAD_DASHBOARD_DAYS"])
    score = parse_int(request.args.get("score"), 1, 5)
    category = request.args.get("category", "")[:40]
    return metrics.Filters(period=period, score=score,
                           category=category), error


def _filter_args(filters):
    args = {"from": filters.period.first.isoformat(), "to": filters.period.last.isoformat()}
    if filters.score:
        args["score"] = filters.score
    if filters.category:
        args["category"] = filters.category
    return args


@bp.get("/lead")
@staff_required("lead")
def dashboard():
    """Every figure for the chosen range (30 days by default), complaint spikes at the top."""
    filters, error = _filters()
    figures = metrics.dashboard(filters)
    status = 400 if error else 200
    # A scenario is an article's slug-like code: shown by its article's title in the reader's language.
    column_names = {"scenario": scenario_titles(figures["tables"]["top_scenarios"].column("scenario"), locale_tag())}
    return render_template("lead/dashboard.html", filters=filters, error=error, figures=figures,
                           tables=figures["tables"], args=_filter_args(filters), charts=charts,
                           geometry=charts.GEOMETRY, column_labels=COLUMN_LABELS, moment_columns=MOMENT_COLUMNS,
                           column_words=COLUMN_WORDS, column_names=column_names,
                           measure_labels=MEASURE_LABELS), status


def _csv_cell(value):
    if value is None:
        return ""
    # A list (an article's latest comments) is one cell, a line each.
    text = "\n".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@bp.get("/lead/export/<name>.csv")
@staff_required("lead")
def export(name):
    """One dashboard table as CSV, with the same filters as the dashboard."""
    if name not in metrics.TABLE_NAMES:
        abort(404)
    filters, error = _filters()
    if error:
        abort(400)
    table = metrics.table_by_name(name, filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_csv_cell(value) for value in row])
    filename = f"{name}_{filters.period.first.isoformat()}_{filters.period.last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---- Knowledge -------------------------------------------------------------------------------------------------

def _errors(refused):
    return {field: FIELD_ERRORS[key] for field, key in refused.errors.items()}


def _knowledge_page(status=200):
    from portal.help.service import articles_flagged_for_revision

    query = request.args.get("q", "")[:100]
    flagged = {f.article.id for f in articles_flagged_for_revision()}
    articles = [(article, article.id in flagged) for article in knowledge.articles(query)]
    return render_template("lead/knowledge.html", articles=articles, query=query, synonyms=knowledge.synonyms(),
                           canned_replies=knowledge.canned_replies(), intents=knowledge.intents(),
                           triage_examples=knowledge.triage_examples(), actions=ACTIONS, locales=LOCALES), status


@bp.get("/lead/knowledge")
@staff_required("lead")
def knowledge_index():
    """Articles, synonyms, canned replies and the intent mapping, each editable."""
    return _knowledge_page()


def _article_page(article, form, errors=None, preview=None, status=200):
    no_comments = metrics.no_comments(article.id) if article is not None else []
    return render_template("lead/article_edit.html", article=article, form=form, errors=errors or {},
                           preview=preview, categories=CATEGORIES, locales=LOCALES, no_comments=no_comments), status


@bp.route("/lead/articles/new", methods=["GET", "POST"])
@bp.route("/lead/articles/<int:article_id>", methods=["GET", "POST"])
@staff_required("lead")
def article_edit(article_id=None):
    """Create or edit an article; "Preview" shows the rendered Markdown without saving."""
    article = db.session.get(Article, article_id) if article_id is not None else None
    if article_id is not None and article is None:
        abort(404)
    if request.method == "GET":
        if article is not None:
            form = {"slug": article.slug, "title": article.title, "locale": article.locale,
                    "category": article.category, "scenario": article.scenario,
                    "keywords": ", ".join(article.keywords or []), "body": article.body,
                    "published": article.published, "translation_of": article.translation_of or ""}
        else:
            form = {"title": request.args.get("title", "")[:200], "locale": "en", "published": True,
                    "category": CATEGORIES[0]}
        return _article_page(article, form)
    posted = forms.ArticleForm()
    form = posted.values()
    if posted.preview.data:
        return _article_page(article, form, preview=render_markdown(form["body"][:50_000]))
    try:
        saved = knowledge.save_article(article, actor=current_staff(), **form)
    except knowledge.KnowledgeError as refused:
        db.session.rollback()
        return _article_page(article, form, errors=_errors(refused), status=400)
    db.session.commit()
    flash(_("Article saved. Search picks up the change within a minute."), "success")
    return redirect(url_for("lead.article_edit", article_id=saved.id))


@bp.post("/lead/articles/preview")
@staff_required("lead")
def article_preview():
    """The rendered Markdown alone (for htmx), or the edit page with the preview."""
    form = forms.ArticleForm().values()
    body = form["body"][:50_000]
    if request.headers.get("HX-Request"):
        response = current_app.make_response(render_template("lead/_preview.html", preview=render_markdown(body)))
        response.vary.add("HX-Request")
        return response
    response = current_app.make_response(_article_page(None, form, preview=render_markdown(body)))
    response.vary.add("HX-Request")
    return response


def _back_to_knowledge(anchor):
    return redirect(url_for("lead.knowledge_index") + f"#{anchor}")


def _knowledge_error(refused):
    """The knowledge page again, with what was wrong (what was stored is unchanged)."""
    db.session.rollback()
    for message in _errors(refused).values():
        flash(message, "error")
    return _knowledge_page(400)


@bp.post("/lead/synonyms")
@staff_required("lead")
def synonym_save():
    """Add or change a synonym (the term's expansions are replaced)."""
    form = forms.SynonymForm()
    try:
        knowledge.save_synonym(form.locale.data, form.term.data, form.expansions.data, actor=current_staff())
    except knowledge.KnowledgeError as refused:
        return _knowledge_error(refused)
    db.session.commit()
    flash(_("Synonym saved."), "success")
    return _back_to_knowledge("synonyms")


@bp.post("/lead/synonyms/<int:synonym_id>/delete")
@staff_required("lead")
def synonym_delete(synonym_id):
    synonym = db.session.get(Synonym, synonym_id) or abort(404)
    knowledge.delete_synonym(synonym, actor=current_staff())
    db.session.commit()
    flash(_("Synonym removed."), "success")
    return _back_to_knowledge("synonyms")


@bp.route("/lead/canned/new", methods=["GET", "POST"])
@bp.route("/lead/canned/<int:reply_id>", methods=["GET", "POST"])
@staff_required("lead")
def canned_edit(reply_id=None):
    """Create or edit a canned reply; {first_name} and {order_number} are filled in for each case."""
    reply = db.session.get(CannedReply, reply_id) if reply_id is not None else None
    if reply_id is not None and reply is None:
        abort(404)
    if request.method == "GET":
        form = ({"title": reply.title, "locale": reply.locale, "body": reply.body, "empathy": reply.empathy}
                if reply else {"locale": "en"})
        return render_template("lead/canned_edit.html", reply=reply, form=form, errors={}, locales=LOCALES)
    form = forms.CannedReplyForm().values()
    try:
        saved = knowledge.save_canned_reply(reply, actor=current_staff(), **form)
    except knowledge.KnowledgeError as refused:
        db.session.rollback()
        return render_template("lead/canned_edit.html", reply=reply, form=form, errors=_errors(refused),
                               locales=LOCALES), 400
    db.session.commit()
    flash(_("Canned reply saved."), "success")
    return redirect(url_for("lead.canned_edit", reply_id=saved.id))


@bp.post("/lead/canned/<int:reply_id>/delete")
@staff_required("lead")
def canned_delete(reply_id):
    reply = db.session.get(CannedReply, reply_id) or abort(404)
    knowledge.delete_canned_reply(reply, actor=current_staff())
    db.session.commit()
    flash(_("Canned reply removed."), "success")
    return _back_to_knowledge("canned")


@bp.post("/lead/intents")
@staff_required("lead")
def intent_add():
    """Map a scenario or a phrase to a self-service action."""
    form = forms.IntentForm()
    try:
        knowledge.add_intent(form.trigger_kind.data, form.trigger.data, form.action.data, form.position_number,
                             actor=current_staff())
    except knowledge.KnowledgeError as refused:
        return _knowledge_error(refused)
    db.session.commit()
    flash(_("Mapping added."), "success")
    return _back_to_knowledge("intents")


@bp.post("/lead/triage-examples/<int:example_id>/delete")
@staff_required("lead")
def triage_example_delete(example_id):
    """Take an agent's example out of what triage learns from."""
    example = db.session.get(TriageExample, example_id) or abort(404)
    knowledge.delete_triage_example(example, actor=current_staff())
    db.session.commit()
    flash(_("Example removed."), "success")
    return _back_to_knowledge("triage-examples")


@bp.post("/lead/intents/<int:intent_id>/delete")
@staff_required("lead")
def intent_delete(intent_id):
    intent = db.session.get(IntentAction, intent_id) or abort(404)
    knowledge.delete_intent(intent, actor=current_staff())
    db.session.commit()
    flash(_("Mapping removed."), "success")
    return _back_to_knowledge("intents")


@bp.get("/lead/articles/by-slug/<slug>")
@staff_required("lead")
def article_edit_by_slug(slug):
    """The dashboard links flagged articles by slug."""
    from sqlalchemy import select

    article_id = db.session.scalar(select(Article.id).where(Article.slug == slug[:120]))
    if article_id is None:
        abort(404)
    return redirect(url_for("lead.article_edit", article_id=article_id))
