"""The leads' figures for a date range, each one a Table that the dashboard draws and the CSV export writes.

Every figure is computed by an indexed query over the range (never a scan of the whole history), so the
dashboard stays fast with a year of data. Percentiles: the median is the middle value (the mean of the two
middle ones for an even count); p90 is the nearest rank, the smallest value at or above 90 % of the values.
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select

from portal.extensions import db
from portal.models import (
    Article,
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
from portal.models.cases import OPEN_STATUSES, URGENCIES

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


# ---- SQL helpers over both backends ----------------------------------------------------------------------

def _dialect():
    return db.session.get_bind().dialect.name


def _day(column):
    """The UTC day of a timestamp as 'YYYY-MM-DD'."""
    if _dialect() == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def _seconds(later, earlier):
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def median(values):
    return statistics.median(values) if values else None


def p90(values):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _pct(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def _round(value, digits=2):
    return round(value, digits) if value is not None else None


# ---- Surveys ---------------------------------------------------------------------------------------------

def _answers_in(period):
    return SurveyAnswer.answered_at >= period.start, SurveyAnswer.answered_at < period.end


def csat_daily(period):
    """Average score and share of 4-5 per day (days without answers show empty)."""
    day = _day(SurveyAnswer.answered_at).label("day")
    rows = db.session.execute(
        select(day, func.count(), func.sum(SurveyAnswer.score), func.sum(case((SurveyAnswer.score >= 4, 1), else_=0)))
        .where(*_answers_in(period)).group_by(day)
    ).all()
    by_day = {row[0]: row for row in rows}
    table = Table("csat_daily", ["day", "answers", "average", "percent_4_5"])
    for each in period.each_day():
        row = by_day.get(each.isoformat())
        if row is None:
            table.rows.append([each.isoformat(), 0, None, None])
        else:
            table.rows.append([each.isoformat(), row[1], _round(row[2] / row[1]), _pct(row[3], row[1])])
    return table


def csat_summary(period):
    """Distribution 1-5, average, % 4-5, NPS, CES and the survey response rate, as one row per measure."""
    counts = dict(db.session.execute(
        select(SurveyAnswer.score, func.count()).where(*_answers_in(period)).group_by(SurveyAnswer.score)).all())
    answered = sum(counts.values())
    nps_row = db.session.execute(
        select(func.count(SurveyAnswer.nps), func.sum(case((SurveyAnswer.nps >= 9, 1), else_=0)),
               func.sum(case((SurveyAnswer.nps <= 6, 1), else_=0)), func.avg(SurveyAnswer.ces),
               func.count(SurveyAnswer.ces))
        .where(*_answers_in(period))
    ).one()
    nps_count, promoters, detractors, ces_average, ces_count = nps_row
    sent = db.session.scalar(select(func.count()).select_from(Survey).where(
        Survey.sent_at >= period.start, Survey.sent_at < period.end)) or 0
    sent_answered = db.session.scalar(
        select(func.count()).select_from(Survey).join(SurveyAnswer, SurveyAnswer.survey_id == Survey.id)
        .where(Survey.sent_at >= period.start, Survey.sent_at < period.end)) or 0
    total = sum(score * count for score, count in counts.items())
    distribution = Table("csat_distribution", ["score", "answers", "percent"])
    for score in range(1, 6):
        distribution.rows.append([score, counts.get(score, 0), _pct(counts.get(score, 0), answered)])
    summary = Table("survey_summary", ["measure", "value"], [
        ["answers", answered],
        ["csat_average", _round(total / answered) if answered else None],
        ["csat_percent_4_5", _pct(counts.get(4, 0) + counts.get(5, 0), answered)],
        ["nps", round(100.0 * ((promoters or 0) - (detractors or 0)) / nps_count, 1) if nps_count else None],
        ["ces_average", _round(float(ces_average)) if ces_count else None],
        ["surveys_sent", sent],
        ["surveys_answered", sent_answered],
        ["response_rate_percent", _pct(sent_answered, sent)],
    ])
    return distribution, summary


# ---- Response and resolution times -------------------------------------------------------------------------

def _time_rows(period):
    """(urgency, agent id, first-response seconds, within target) and the same for resolution, escalated cases."""
    first = db.session.execute(
        select(Case.urgency, Case.assignee_id, _seconds(Case.first_response_at, Case.created_at),
               Case.first_response_at <= Case.first_response_due)
        .where(Case.first_response_at >= period.start, Case.first_response_at < period.end,
               Case.escalated.is_(True))
    ).all()
    resolved = db.session.execute(
        select(Case.urgency, Case.assignee_id, _seconds(Case.resolved_at, Case.created_at),
               Case.resolved_at <= Case.resolution_due)
        .where(Case.resolved_at >= period.start, Case.resolved_at < period.end, Case.escalated.is_(True))
    ).all()
    return first, resolved


def _time_table(name, key_column, keys, label, first, resolved):
    groups = defaultdict(lambda: {"first": [], "first_ok": 0, "resolved": [], "resolved_ok": 0})
    for rows, kind in ((first, "first"), (resolved, "resolved")):
        for row in rows:
            group = groups[row[key_column]]
            group[kind].append(float(row[2]) / 60)
            group[f"{kind}_ok"] += 1 if row[3] else 0
    table = Table(name, [label, "first_responses", "first_response_median_min", "first_response_p90_min",
                         "first_response_within_sla_percent", "resolved", "resolution_median_h",
                         "resolution_p90_h", "resolution_within_sla_percent"])
    for key, shown in keys(groups):
        group = groups[key]
        hours = [minutes / 60 for minutes in group["resolved"]]
        table.rows.append([
            shown, len(group["first"]), _round(median(group["first"]), 1), _round(p90(group["first"]), 1),
            _pct(group["first_ok"], len(group["first"])), len(hours), _round(median(hours)),
            _round(p90(hours)), _pct(group["resolved_ok"], len(hours)),
        ])
    return table


def response_times(period):
    """First-response and resolution times (median, p90, % within SLA) per urgency and per agent."""
    first, resolved = _time_rows(period)
    by_urgency = _time_table("times_by_urgency", 0, lambda groups: [(u, u) for u in URGENCIES], "urgency",
                             first, resolved)

    def agents(groups):
        ids = [key for key in groups if key is not None]
        names = dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all()) if ids else {}
        chosen = sorted(ids, key=lambda key: names.get(key, ""))
        return [(key, names.get(key, str(key))) for key in chosen] + (
            [(None, "unassigned")] if None in groups else [])

    by_agent = _time_table("times_by_agent", 1, agents, "agent", first, resolved)
    return by_urgency, by_agent


# ---- Self-service -----------------------------------------------------------------------------------------

def self_service(period):
    """Contacts solved without an agent (deflected searches, cases closed without escalation) against escalated."""
    deflected = db.session.scalar(select(func.count()).select_from(SearchLog).where(
        SearchLog.created_at >= period.start, SearchLog.created_at < period.end,
        SearchLog.deflected.is_(True))) or 0
    # Grouped by the label: PostgreSQL sees the same bound IN (...) twice as two different expressions.
    is_open = Case.status.in_(OPEN_STATUSES).label("is_open")
    rows = db.session.execute(
        select(Case.kind, Case.escalated, is_open, func.count())
        .where(Case.created_at >= period.start, Case.created_at < period.end)
        .group_by(Case.kind, Case.escalated, is_open)
    ).all()
    auto_returns = sum(n for kind, escalated, is_open, n in rows if kind != "complaint" and not escalated
                       and not is_open)
    by_article = sum(n for kind, escalated, is_open, n in rows if kind == "complaint" and not escalated
                     and not is_open)
    escalated = sum(n for _kind, escalated, _open, n in rows if escalated)
    waiting = sum(n for _kind, escalated, is_open, n in rows if not escalated and is_open)
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

def _top_with_change(name, label, column, period, join=None, limit=10):
    previous = period.previous()
    current_flag = Case.created_at >= period.start
    statement = select(column, func.sum(case((current_flag, 1), else_=0)),
                       func.sum(case((current_flag, 0), else_=1)))
    if join is not None:
        statement = statement.select_from(Case).join(*join)
    rows = db.session.execute(
        statement.where(Case.created_at >= previous.start, Case.created_at < period.end, column != "")
        .group_by(column)
    ).all()
    rows = sorted(((key, now or 0, before or 0) for key, now, before in rows if now), key=lambda r: (-r[1], r[0]))
    table = Table(name, [label, "cases", "previous_period", "change_percent"])
    for key, now, before in rows[:limit]:
        table.rows.append([key, now, before, _round(100.0 * (now - before) / before, 1) if before else None])
    return table


def top_categories(period):
    return _top_with_change("top_categories", "category", Case.category, period)


def top_scenarios(period):
    """Scenarios of the article read last before filing, where there was one."""
    return _top_with_change("top_scenarios", "scenario", Article.scenario, period,
                            join=(Article, Article.id == Case.source_article_id))


# ---- Help content ----------------------------------------------------------------------------------------------

def flagged_articles(now):
    from portal.help.service import articles_flagged_for_revision

    table = Table("flagged_articles", ["slug", "title", "readers", "escalations", "escalation_percent"])
    for flagged in articles_flagged_for_revision(now):
        table.rows.append([flagged.article.slug, flagged.article.title, flagged.readers, flagged.escalations,
                           _pct(flagged.escalations, flagged.readers)])
    return table


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


def csat_by_lateness(period, now):
    """CSAT of answers on cases about a late order against those about an on-time order."""
    lateness = case((_late(now), "late"), else_="on_time").label("lateness")
    rows = db.session.execute(
        select(lateness, func.count(), func.sum(SurveyAnswer.score),
               func.sum(case((SurveyAnswer.score >= 4, 1), else_=0)))
        .select_from(SurveyAnswer).join(Survey, Survey.id == SurveyAnswer.survey_id)
        .join(Case, Case.id == Survey.case_id).join(Order, Order.id == Case.order_id)
        .where(*_answers_in(period)).group_by(lateness)
    ).all()
    found = {row[0]: row for row in rows}
    table = Table("csat_by_lateness", ["orders", "answers", "average", "percent_4_5"])
    for key in ("late", "on_time"):
        row = found.get(key)
        table.rows.append([key, row[1], _round(row[2] / row[1]), _pct(row[3], row[1])] if row else [key, 0, None, None])
    return table


# ---- Things to act on --------------------------------------------------------------------------------------

def failed_notifications(period):
    rows = db.session.execute(
        select(OutboxRow.key, OutboxRow.job_name, OutboxRow.attempts, OutboxRow.finished_at, OutboxRow.last_error)
        .where(OutboxRow.status == "failed", OutboxRow.created_at >= period.start, OutboxRow.created_at < period.end)
        .order_by(OutboxRow.id.desc()).limit(LIST_LIMIT)
    ).all()
    return Table("failed_notifications", ["key", "job", "attempts", "failed_at", "error"],
                 [[k, j, a, f.isoformat() if f else "", (e or "").splitlines()[-1][:200] if e else ""]
                  for k, j, a, f, e in rows])


def churn_risks(period, now):
    """Customers with enough complaints in the churn window, or who rated 1-2 in the range."""
    config = current_app.config
    window = now - timedelta(days=config["CHURN_RISK_WINDOW_DAYS"])
    complaints = dict(db.session.execute(
        select(Case.customer_id, func.count()).where(Case.kind == "complaint", Case.created_at >= window,
                                                     Case.created_at < now)
        .group_by(Case.customer_id).having(func.count() >= config["CHURN_RISK_COMPLAINTS"])
    ).all())
    low = dict(db.session.execute(
        select(Survey.customer_id, func.min(SurveyAnswer.score)).join(Survey, Survey.id == SurveyAnswer.survey_id)
        .where(*_answers_in(period), SurveyAnswer.score <= 2).group_by(Survey.customer_id)
    ).all())
    ids = sorted(set(complaints) | set(low))
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids[:500])))} \
        if ids else {}
    table = Table("churn_risks", ["customer", "tier", "complaints_in_window", "lowest_rating"])
    for customer_id in ids[:500]:
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


def comment_categories(period):
    """Categories that have survey comments in the range, for the comments filter."""
    return db.session.scalars(
        select(Case.category).join(Survey, Survey.case_id == Case.id)
        .join(SurveyAnswer, SurveyAnswer.survey_id == Survey.id)
        .where(*_answers_in(period), SurveyAnswer.comment != "", Case.category != "")
        .group_by(Case.category).order_by(Case.category)
    ).all()


# ---- Everything ---------------------------------------------------------------------------------------------

def dashboard(filters, now=None):
    """Every figure for the range, by table name."""
    now = now or utcnow()
    period = filters.period
    distribution, summary = csat_summary(period)
    by_urgency, by_agent = response_times(period)
    late, late_total = late_orders(period, now)
    callbacks, callbacks_total = open_callbacks()
    tables = [
        complaint_spikes(now), csat_daily(period), distribution, summary, by_urgency, by_agent,
        self_service(period), top_categories(period), top_scenarios(period), flagged_articles(now),
        zero_result_searches(period), late, csat_by_lateness(period, now), failed_notifications(period),
        churn_risks(period, now), callbacks, survey_comments(filters),
    ]
    return {"tables": {table.name: table for table in tables}, "late_total": late_total,
            "callbacks_total": callbacks_total, "comment_categories": comment_categories(period)}


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
    "self_service", "top_categories", "top_scenarios", "flagged_articles", "zero_result_searches", "late_orders",
    "csat_by_lateness", "failed_notifications", "churn_risks", "open_callbacks", "survey_comments",
)
