"""The leads' figures for a date range, each one a Table that the dashboard draws and the CSV export writes.

The counts over a range come from the daily roll-ups (portal/lead/rollups.py) for the closed days that
have one, and are counted live for the others (today always), so the dashboard stays fast with a year of
data and every figure is exact. Percentiles: the median is the middle value (the mean of the two middle
ones for an even count); p90 is the nearest rank, the smallest value at or above 90 % of the values.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select

from portal import labels
from portal.extensions import db
from portal.lead import rollups
from portal.models import (
    Article,
    ArticleFeedback,
    Callback,
    Case,
    Customer,
    Order,
    OutboxRow,
    SearchLog,
    Staff,
    Survey,
    SurveyAnswer,
    utcnow,
)
from portal.models.cases import URGENCIES

MAX_RANGE_DAYS = 366
COMMENTS_LIMIT = 100
LIST_LIMIT = 50


@dataclass(frozen=True)
class Period:
    """Whole UTC days, `first` to `last` inclusive."""

    first: date
    last: date

    @property
    def start(self):
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self):
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self):
        return (self.last - self.first).days + 1

    def previous(self):
        """The period of the same length just before this one, for 'change against the previous period'."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def each_day(self):
        return [self.first + timedelta(days=n) for n in range(self.days)]


class PeriodError(ValueError):
    pass


def parse_period(first_text, last_text, today, default_days):
    """The range a lead asked for; empty means the last `default_days` days up to today."""
    try:
        last = date.fromisoformat(last_text) if last_text else today
        first = date.fromisoformat(first_text) if first_text else last - timedelta(days=default_days - 1)
    except (TypeError, ValueError) as error:
        raise PeriodError("format") from error
    if first > last:
        raise PeriodError("order")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise PeriodError("length")
    return Period(first, last)


@dataclass
class Filters:
    period: Period
    score: int | None = None  # survey comments with this score only
    category: str = ""  # survey comments on cases of this category only


@dataclass
class Table:
    """One figure's numbers: what the screen-reader table shows and the CSV export writes."""

    name: str
    columns: list
    rows: list = field(default_factory=list)

    def column(self, name):
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


class DayCounts:
    """The counts of each period a dashboard asks for, read once however many figures use them."""

    DAILY = ("answers_by_score",)  # the measures shown day by day

    def __init__(self):
        self._periods = {}

    def _load(self, period):
        if period not in self._periods:
            self._periods[period] = rollups.period_counts(period.first, period.last, self.DAILY)
        return self._periods[period]

    def totals(self, period, measure):
        """{key: n} of one measure over the whole period."""
        return self._load(period)[0][measure]

    def by_day(self, period, measure):
        """{day: {key: n}} of one of the DAILY measures."""
        return self._load(period)[1][measure]


def median(ordered):
    """The middle of sorted values (the mean of the two middle ones for an even count)."""
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def p90(ordered):
    """The nearest rank of sorted values: the smallest at or above 90 % of them."""
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] if ordered else None


def _pct(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def _round(value, digits=2):
    return round(value, digits) if value is not None else None


# ---- Surveys ---------------------------------------------------------------------------------------------

def _answers_in(period):
    return SurveyAnswer.answered_at >= period.start, SurveyAnswer.answered_at < period.end


def _score_figures(scores):
    """(answers, average, % 4-5) of {score: answers}."""
    answered = sum(scores.values())
    if not answered:
        return 0, None, None
    total = sum(int(score) * n for score, n in scores.items())
    return answered, _round(total / answered), _pct(scores.get("4", 0) + scores.get("5", 0), answered)


def csat_daily(period, counts=None):
    """Average score and share of 4-5 per day (days without answers show empty)."""
    days = (counts or DayCounts()).by_day(period, "answers_by_score")
    table = Table("csat_daily", ["day", "answers", "average", "percent_4_5"])
    for each in period.each_day():
        table.rows.append([each.isoformat(), *_score_figures(days.get(each, {}))])
    return table


def csat_summary(period, counts=None):
    """Distribution 1-5, average, % 4-5, NPS, CES and the survey response rate, as one row per measure."""
    counts = counts or DayCounts()
    scores = counts.totals(period, "answers_by_score")
    nps, ces, surveys = (counts.totals(period, measure) for measure in ("nps", "ces", "surveys"))
    answered, average, percent_4_5 = _score_figures(scores)
    distribution = Table("csat_distribution", ["score", "answers", "percent"])
    for score in range(1, 6):
        distribution.rows.append([score, scores.get(str(score), 0), _pct(scores.get(str(score), 0), answered)])
    summary = Table("survey_summary", ["measure", "value"], [
        ["answers", answered],
        ["csat_average", average],
        ["csat_percent_4_5", percent_4_5],
        ["nps", round(100.0 * (nps["promoters"] - nps["detractors"]) / nps["answers"], 1) if nps["answers"] else None],
        ["ces_average", _round(ces["sum"] / ces["answers"]) if ces["answers"] else None],
        ["surveys_sent", surveys["sent"]],
        ["surveys_answered", surveys["answered"]],
        ["response_rate_percent", _pct(surveys["answered"], surveys["sent"])],
    ])
    return distribution, summary


# ---- Response and resolution times -------------------------------------------------------------------------

def _time_table(name, label, groups, keys):
    """One row per (key, shown) of `keys`; groups: {key: {kind: [within target, [seconds]]}}."""
    table = Table(name, [label, "first_responses", "first_response_median_min", "first_response_p90_min",
                         "first_response_within_sla_percent", "resolved", "resolution_median_h",
                         "resolution_p90_h", "resolution_within_sla_percent"])
    for key, shown in keys:
        first_ok, first = groups[key]["first_response"]
        resolved_ok, resolved = groups[key]["resolution"]
        first.sort()
        resolved.sort()
        table.rows.append([
            shown, len(first), _round(_per(median(first), 60), 1), _round(_per(p90(first), 60), 1),
            _pct(first_ok, len(first)), len(resolved), _round(_per(median(resolved), 3600)),
            _round(_per(p90(resolved), 3600)), _pct(resolved_ok, len(resolved)),
        ])
    return table


def _per(seconds, unit):
    return seconds / unit if seconds is not None else None


def response_times(period):
    """First-response and resolution times (median, p90, % within SLA) per urgency and per agent."""
    by_urgency = defaultdict(lambda: defaultdict(lambda: [0, []]))
    by_agent = defaultdict(lambda: defaultdict(lambda: [0, []]))
    for (kind, urgency, assignee_id), (within_target, seconds) in rollups.durations(period.first,
                                                                                      period.last).items():
        for group in (by_urgency[urgency][kind], by_agent[assignee_id][kind]):
            group[0] += within_target
            group[1].extend(seconds)
    ids = [key for key in by_agent if key is not None]
    names = dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all()) if ids else {}
    agents = [(key, names.get(key, str(key))) for key in sorted(ids, key=lambda key: names.get(key, ""))]
    if None in by_agent:
        agents.append((None, "unassigned"))
    return (_time_table("times_by_urgency", "urgency", by_urgency, [(u, u) for u in URGENCIES]),
            _time_table("times_by_agent", "agent", by_agent, agents))


# ---- Self-service -----------------------------------------------------------------------------------------

def self_service(period, counts=None):
    """Contacts solved without an agent (deflected searches, cases closed without escalation) against escalated."""
    deflected = db.session.scalar(select(func.count()).select_from(SearchLog).where(
        SearchLog.created_at >= period.start, SearchLog.created_at < period.end,
        SearchLog.deflected.is_(True))) or 0
    rows = [(*key.split(":"), n) for key, n in (counts or DayCounts()).totals(period, "cases").items()]
    auto_returns = sum(n for kind, escalated, still_open, n in rows if kind != "complaint" and escalated == "0"
                       and still_open == "0")
    by_article = sum(n for kind, escalated, still_open, n in rows if kind == "complaint" and escalated == "0"
                     and still_open == "0")
    escalated = sum(n for _kind, escalated, _open, n in rows if escalated == "1")
    waiting = sum(n for _kind, escalated, still_open, n in rows if escalated == "0" and still_open == "1")
    solved = deflected + auto_returns + by_article
    contacts = solved + escalated + waiting
    return Table("self_service", ["measure", "value"], [
        ["deflected_searches", deflected],
        ["returns_approved_without_agent", auto_returns],
        ["complaints_resolved_without_agent", by_article],
        ["escalated_cases", escalated],
        ["open_not_escalated", waiting],
        ["contacts", contacts],
        ["self_service_percent", _pct(solved, contacts)],
        ["escalated_percent", _pct(escalated, contacts)],
    ])


# ---- Categories and scenarios -------------------------------------------------------------------------------

def has_history(period):
    """Whether any case was filed by the end of `period`: before that, "0 cases" would be a guess."""
    return db.session.scalar(select(Case.id).where(Case.created_at < period.end).limit(1)) is not None


def _top_with_change(name, label, now, before, limit=10):
    """The keys with most cases now ({key: cases}), with the change against `before` (None when nothing was
    recorded that far back: the previous period shows as unknown, not as zero)."""
    rows = sorted(((key, n, before.get(key, 0) if before is not None else None) for key, n in now.items() if n),
                  key=lambda r: (-r[1], r[0]))
    table = Table(name, [label, "cases", "previous_period", "change_percent"])
    for key, cases, earlier in rows[:limit]:
        table.rows.append([key, cases, earlier, _round(100.0 * (cases - earlier) / earlier, 1) if earlier else None])
    return table


def top_categories(period, counts=None):
    counts = counts or DayCounts()
    before = period.previous()
    return _top_with_change("top_categories", "category", counts.totals(period, "category"),
                            counts.totals(before, "category") if has_history(before) else None)


def top_scenarios(period, counts=None):
    """Scenarios of the article read last before filing, where there was one."""
    counts = counts or DayCounts()
    now, before = counts.totals(period, "article"), counts.totals(period.previous(), "article")
    ids = {int(key) for key in (*now, *before)}
    scenarios = dict(db.session.execute(
        select(Article.id, Article.scenario).where(Article.id.in_(ids), Article.scenario != "")).all()) if ids else {}

    def by_scenario(by_article):
        totals = Counter()
        for key, n in by_article.items():
            if int(key) in scenarios:
                totals[scenarios[int(key)]] += n
        return totals

    return _top_with_change("top_scenarios", "scenario", by_scenario(now),
                            by_scenario(before) if has_history(period.previous()) else None)


# ---- Help content ----------------------------------------------------------------------------------------------

def flagged_articles(now):
    from portal.help.service import articles_flagged_for_revision

    table = Table("flagged_articles", ["slug", "title", "readers", "escalations", "escalation_percent",
                                       "helpful_percent"])
    for flagged in articles_flagged_for_revision(now):
        article = flagged.article
        table.rows.append([article.slug, article.title, flagged.readers, flagged.escalations,
                           _pct(flagged.escalations, flagged.readers),
                           _helpful_percent(article.helpful_count, article.unhelpful_count)])
    return table


def _helpful_percent(helpful, unhelpful):
    return _pct(helpful, helpful + unhelpful)


def unhelpful_articles(period, limit=10, comments_each=3):
    """Articles readers answered "No" to in the range, most first: the helpful share of every vote they
    ever had, and what the latest "No" voters wrote."""
    no_votes = func.count().label("no_votes")
    rows = db.session.execute(
        select(Article.id, Article.slug, Article.title, Article.helpful_count, Article.unhelpful_count, no_votes)
        .join(ArticleFeedback, ArticleFeedback.article_id == Article.id)
        .where(ArticleFeedback.helpful.is_(False), ArticleFeedback.created_at >= period.start,
               ArticleFeedback.created_at < period.end)
        .group_by(Article.id, Article.slug, Article.title, Article.helpful_count, Article.unhelpful_count)
        .order_by(no_votes.desc(), Article.slug).limit(limit)
    ).all()
    comments = {row.id: no_comments(row.id, period, comments_each) for row in rows}
    return Table("unhelpful_articles", ["slug", "title", "no_votes", "helpful_percent", "comments"],
                 [[row.slug, row.title, row.no_votes, _helpful_percent(row.helpful_count, row.unhelpful_count),
                   [comment for _when, comment in comments[row.id]]] for row in rows])


def no_comments(article_id, period=None, limit=20):
    """(when, comment) of the latest "No" votes on an article that came with a comment."""
    statement = select(ArticleFeedback.created_at, ArticleFeedback.comment).where(
        ArticleFeedback.article_id == article_id, ArticleFeedback.helpful.is_(False), ArticleFeedback.comment != "")
    if period is not None:
        statement = statement.where(ArticleFeedback.created_at >= period.start, ArticleFeedback.created_at < period.end)
    return db.session.execute(statement.order_by(ArticleFeedback.created_at.desc()).limit(limit)).all()


def zero_result_searches(period, limit=10):
    rows = db.session.execute(
        select(func.lower(SearchLog.query), SearchLog.locale, func.count())
        .where(SearchLog.hits == 0, SearchLog.created_at >= period.start, SearchLog.created_at < period.end)
        .group_by(func.lower(SearchLog.query), SearchLog.locale)
        .order_by(func.count().desc(), func.lower(SearchLog.query)).limit(limit)
    ).all()
    return Table("zero_result_searches", ["query", "locale", "searches"], [list(row) for row in rows])


# ---- Orders -------------------------------------------------------------------------------------------------

def _late(now):
    """An order is late when it shipped after its ship-by time, or has not shipped and that time has passed."""
    return or_(Order.shipped_at > Order.ship_by,
               and_(Order.shipped_at.is_(None), Order.ship_by < now, Order.status != "cancelled"))


def late_orders(period, now):
    """Orders due to ship in the range that shipped late or not at all."""
    due_in_range = (Order.ship_by >= period.start, Order.ship_by < min(period.end, now), _late(now))
    total = db.session.scalar(select(func.count()).select_from(Order).where(*due_in_range))
    rows = db.session.execute(
        select(Order.number, Order.status, Order.ship_by, Order.shipped_at, Customer.email)
        .join(Customer, Customer.id == Order.customer_id).where(*due_in_range)
        .order_by(Order.ship_by).limit(LIST_LIMIT)
    ).all()
    table = Table("late_orders", ["order", "status", "ship_by", "shipped_at", "customer"],
                  [[n, s, b.isoformat() if b else "", sh.isoformat() if sh else "", e] for n, s, b, sh, e in rows])
    return table, total or 0


def csat_by_lateness(period, now, counts=None):
    """CSAT of answers on cases about a late order against those about an on-time order."""
    counts = counts or DayCounts()
    found = {"late": [0, 0, 0], "on_time": [0, 0, 0]}
    for column, measure in enumerate(("lateness_answers", "lateness_score", "lateness_4_5")):
        for key, n in counts.totals(period, measure).items():
            # An order still to ship counts as late once its ship-by time has passed.
            when = key if not key.startswith("due:") else (
                "late" if datetime.fromisoformat(key[len("due:"):]) < now else "on_time")
            found[when][column] += n
    table = Table("csat_by_lateness", ["orders", "answers", "average", "percent_4_5"])
    for key, (answers, score, top) in found.items():
        table.rows.append([key, answers, _round(score / answers), _pct(top, answers)] if answers
                          else [key, 0, None, None])
    return table


# ---- Things to act on --------------------------------------------------------------------------------------

def failed_notifications(period):
    rows = db.session.execute(
        select(OutboxRow.key, OutboxRow.job_name, OutboxRow.attempts, OutboxRow.finished_at, OutboxRow.last_error)
        .where(OutboxRow.status == "failed", OutboxRow.created_at >= period.start, OutboxRow.created_at < period.end)
        .order_by(OutboxRow.id.desc()).limit(LIST_LIMIT)
    ).all()
    subjects = labels.job_subjects(key for key, *_rest in rows)
    return Table("failed_notifications", ["about", "job", "attempts", "failed_at", "failure"],
                 [[subjects[k].text if k in subjects else None, j, a, f.isoformat() if f else "",
                   labels.failure(e) or None] for k, j, a, f, e in rows])


def churn_risks(period, now, counts=None):
    """Customers with enough complaints in the churn window, or who rated 1-2 in the range."""
    config = current_app.config
    window = now - timedelta(days=config["CHURN_RISK_WINDOW_DAYS"])
    complaints = dict(db.session.execute(
        select(Case.customer_id, func.count()).where(Case.kind == "complaint", Case.created_at >= window,
                                                     Case.created_at < now)
        .group_by(Case.customer_id).having(func.count() >= config["CHURN_RISK_COMPLAINTS"])
    ).all())
    low = {}
    for key, n in (counts or DayCounts()).totals(period, "low_rating").items():
        customer_id, score = (int(part) for part in key.split(":"))
        if n:
            low[customer_id] = min(score, low.get(customer_id, score))
    ids = sorted(set(complaints) | set(low))[:500]
    customers = {row.id: row for row in db.session.execute(
        select(Customer.id, Customer.email, Customer.tier, Customer.anonymised_at).where(Customer.id.in_(ids)))} \
        if ids else {}
    table = Table("churn_risks", ["customer", "tier", "complaints_in_window", "lowest_rating"])
    for customer_id in ids:
        customer = customers.get(customer_id)
        if customer is None or customer.anonymised_at is not None:
            continue
        table.rows.append([customer.email, customer.tier, complaints.get(customer_id, 0), low.get(customer_id)])
    table.rows.sort(key=lambda row: (-row[2], row[3] or 9, row[0]))
    return table


def open_callbacks():
    rows = db.session.execute(
        select(Callback.due_at, Case.reference, Callback.reason, Customer.tier)
        .join(Case, Case.id == Callback.case_id).join(Customer, Customer.id == Callback.customer_id)
        .where(Callback.status == "open").order_by(Callback.due_at).limit(LIST_LIMIT)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(Callback).where(Callback.status == "open")) or 0
    return Table("open_callbacks", ["due_at", "case", "reason", "tier"],
                 [[d.isoformat(), r, reason, t] for d, r, reason, t in rows]), total


def survey_comments(filters):
    """Comments with their score, case, category and agent, newest first, filtered by score and category."""
    period = filters.period
    statement = (
        select(SurveyAnswer.answered_at, SurveyAnswer.score, Case.reference, Case.category,
               func.coalesce(Staff.name, literal("")), SurveyAnswer.comment)
        .join(Survey, Survey.id == SurveyAnswer.survey_id).join(Case, Case.id == Survey.case_id)
        .outerjoin(Staff, Staff.id == Case.assignee_id)
        .where(*_answers_in(period), SurveyAnswer.comment != "")
    )
    if filters.score is not None:
        statement = statement.where(SurveyAnswer.score == filters.score)
    if filters.category:
        statement = statement.where(Case.category == filters.category)
    rows = db.session.execute(statement.order_by(SurveyAnswer.answered_at.desc()).limit(COMMENTS_LIMIT)).all()
    return Table("survey_comments", ["answered_at", "score", "case", "category", "agent", "comment"],
                 [[a.isoformat(), s, r, c, n, text] for a, s, r, c, n, text in rows])


def complaint_spikes(now):
    """Categories whose complaints in the last 24 h exceed FACTOR times their daily average of the days before."""
    config = current_app.config
    day_ago = now - timedelta(hours=24)
    baseline_start = day_ago - timedelta(days=config["COMPLAINT_SPIKE_BASELINE_DAYS"])
    recent_flag = Case.created_at >= day_ago
    rows = db.session.execute(
        select(Case.category, func.sum(case((recent_flag, 1), else_=0)), func.sum(case((recent_flag, 0), else_=1)))
        .where(Case.kind == "complaint", Case.created_at >= baseline_start, Case.created_at < now)
        .group_by(Case.category)
    ).all()
    table = Table("complaint_spikes", ["category", "last_24h", "daily_average_before", "factor"])
    for category, recent, before in rows:
        average = (before or 0) / config["COMPLAINT_SPIKE_BASELINE_DAYS"]
        if recent >= config["COMPLAINT_SPIKE_MIN"] and recent > config["COMPLAINT_SPIKE_FACTOR"] * average:
            table.rows.append([category, recent, round(average, 2), round(recent / average, 1) if average else None])
    table.rows.sort(key=lambda row: -row[1])
    return table


def comment_categories(period, counts=None):
    """Categories that have survey comments in the range, for the comments filter."""
    return sorted(key for key, n in (counts or DayCounts()).totals(period, "comment_category").items() if n)


# ---- Everything ---------------------------------------------------------------------------------------------

def dashboard(filters, now=None):
    """Every figure for the range, by table name."""
    now = now or utcnow()
    period = filters.period
    counts = DayCounts()
    distribution, summary = csat_summary(period, counts)
    by_urgency, by_agent = response_times(period)
    late, late_total = late_orders(period, now)
    callbacks, callbacks_total = open_callbacks()
    tables = [
        complaint_spikes(now), csat_daily(period, counts), distribution, summary, by_urgency, by_agent,
        self_service(period, counts), top_categories(period, counts), top_scenarios(period, counts),
        flagged_articles(now), unhelpful_articles(period), zero_result_searches(period), late,
        csat_by_lateness(period, now, counts), failed_notifications(period), churn_risks(period, now, counts),
        callbacks, survey_comments(filters),
    ]
    return {"tables": {table.name: table for table in tables}, "late_total": late_total,
            "callbacks_total": callbacks_total, "comment_categories": comment_categories(period, counts)}


def table_by_name(name, filters, now=None):
    """One table for the CSV export, computed with the same filters as the dashboard."""
    now = now or utcnow()
    period = filters.period
    builders = {
        "complaint_spikes": lambda: complaint_spikes(now),
        "csat_daily": lambda: csat_daily(period),
        "csat_distribution": lambda: csat_summary(period)[0],
        "survey_summary": lambda: csat_summary(period)[1],
        "times_by_urgency": lambda: response_times(period)[0],
        "times_by_agent": lambda: response_times(period)[1],
        "self_service": lambda: self_service(period),
        "top_categories": lambda: top_categories(period),
        "top_scenarios": lambda: top_scenarios(period),
        "flagged_articles": lambda: flagged_articles(now),
        "unhelpful_articles": lambda: unhelpful_articles(period),
        "zero_result_searches": lambda: zero_result_searches(period),
        "late_orders": lambda: late_orders(period, now)[0],
        "csat_by_lateness": lambda: csat_by_lateness(period, now),
        "failed_notifications": lambda: failed_notifications(period),
        "churn_risks": lambda: churn_risks(period, now),
        "open_callbacks": lambda: open_callbacks()[0],
        "survey_comments": lambda: survey_comments(filters),
    }
    builder = builders.get(name)
    return builder() if builder else None


TABLE_NAMES = (
    "complaint_spikes", "csat_daily", "csat_distribution", "survey_summary", "times_by_urgency", "times_by_agent",
    "self_service", "top_categories", "top_scenarios", "flagged_articles", "unhelpful_articles",
    "zero_result_searches", "late_orders", "csat_by_lateness", "failed_notifications", "churn_risks",
    "open_callbacks", "survey_comments",
)
