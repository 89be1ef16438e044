"""Daily roll-ups of the dashboard's counts, so that a year of cases and answers reads as a few thousand rows.

A closed UTC day is counted once into lead_daily_counts and lead_daily_durations by the same functions
that count a day live, so a figure is the same whichever way its days were read. A change to a case, a
survey, an answer or an order bumps the version of every closed day it touches, in the change's own
transaction; a day is read from its roll-up only while the roll-up holds that version, and counted live
otherwise (today always is). The worker's periodic sweep rebuilds the days that fell behind and builds
the ones that closed; `flask lead rollup` builds a history at once, and follows any bulk INSERT of past
data (an import, the benchmark's generator), which no session event sees.

Counting something new means emptying the roll-ups in the same migration: a day built before the change
would otherwise read as fresh without the new count.

Why keep them: in one `make bench` run (tests/bench/test_dashboard_bench.py, SQLite, 1,000,000 cases and
500,000 answers, load average 8 on 2 cores) the 30-day dashboard took p50 416 ms / p95 495 ms from the
roll-ups and p50 5.4 s / p95 6.1 s with every day counted by the same GROUP BY queries over the covering
indexes: 13x. A dashboard a lead opens cannot wait seconds. tests/lead/test_rollups.py checks that every
figure read from the roll-ups equals the figure counted live, and that the field lists below name every
column the counts read.
"""

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import case, delete, event, func, insert, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Case, Order, Survey, SurveyAnswer, utcnow
from portal.models.cases import OPEN_STATUSES
from portal.models.rollups import DailyCount, DailyDurations, RollupDay

# The times the dashboard shows, each with its target: (when it happened, when it was due).
DURATIONS = {
    "first_response": (Case.first_response_at, Case.first_response_due),
    "resolution": (Case.resolved_at, Case.resolution_due),
}
# A rating of 1-2 makes the customer a churn risk.
LOW_SCORE = 2
# What a change must touch to move a count, and the timestamps that say which days it moves.
CASE_FIELDS = ("kind", "status", "escalated", "category", "source_article_id", "order_id", "urgency",
               "assignee_id", "created_at", "first_response_at", "first_response_due", "resolved_at",
               "resolution_due")
CASE_DAYS = ("created_at", "first_response_at", "resolved_at")
# A case's category and order are counted on the day its survey was answered, too.
CASE_ANSWER_FIELDS = ("category", "order_id")
ANSWER_FIELDS = ("score", "nps", "ces", "comment", "answered_at")
ORDER_FIELDS = ("shipped_at", "ship_by", "status")


def day_start(day):
    return datetime.combine(day, time.min, tzinfo=UTC)


def _utc_day(moment):
    return moment.astimezone(UTC).date() if moment is not None else None


def sql_day(column):
    """The UTC day of a timestamp column as 'YYYY-MM-DD', in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def _insert(session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


# ---- Counting, for a build or live ---------------------------------------------------------------------------

def count_days(start, end):
    """Every count from `start` to `end` (datetimes), by UTC day: {date: Counter{(measure, key): n}}."""
    days = defaultdict(Counter)
    _count_answers(start, end, days)
    _count_surveys_sent(start, end, days)
    _count_cases(start, end, days)
    _count_answers_by_case(start, end, days)
    return days


def _count_answers(start, end, days):
    day = sql_day(SurveyAnswer.answered_at).label("day")
    rows = db.session.execute(
        select(day, SurveyAnswer.score, func.count(), func.count(SurveyAnswer.nps),
               func.sum(case((SurveyAnswer.nps >= 9, 1), else_=0)), func.sum(case((SurveyAnswer.nps <= 6, 1), else_=0)),
               func.count(SurveyAnswer.ces), func.sum(SurveyAnswer.ces))
        .where(SurveyAnswer.answered_at >= start, SurveyAnswer.answered_at < end)
        .group_by(day, SurveyAnswer.score)
    )
    for text, score, answers, nps_answers, promoters, detractors, ces_answers, ces_sum in rows:
        counts = days[date.fromisoformat(text)]
        counts["answers_by_score", str(score)] += answers
        counts["nps", "answers"] += nps_answers
        counts["nps", "promoters"] += promoters or 0
        counts["nps", "detractors"] += detractors or 0
        counts["ces", "answers"] += ces_answers
        counts["ces", "sum"] += ces_sum or 0


def _count_surveys_sent(start, end, days):
    day = sql_day(Survey.sent_at).label("day")
    rows = db.session.execute(
        select(day, func.count(), func.count(SurveyAnswer.id)).select_from(Survey)
        .outerjoin(SurveyAnswer, SurveyAnswer.survey_id == Survey.id)
        .where(Survey.sent_at >= start, Survey.sent_at < end).group_by(day)
    )
    for text, sent, answered in rows:
        counts = days[date.fromisoformat(text)]
        counts["surveys", "sent"] += sent
        counts["surveys", "answered"] += answered


def _count_cases(start, end, days):
    day = sql_day(Case.created_at).label("day")
    # Grouped by the label: PostgreSQL sees the same bound IN (...) twice as two different expressions.
    is_open = Case.status.in_(OPEN_STATUSES).label("is_open")
    rows = db.session.execute(
        select(day, Case.kind, Case.escalated, is_open, Case.category, Case.source_article_id, func.count())
        .where(Case.created_at >= start, Case.created_at < end)
        .group_by(day, Case.kind, Case.escalated, is_open, Case.category, Case.source_article_id)
    )
    for text, kind, escalated, still_open, category, article_id, n in rows:
        counts = days[date.fromisoformat(text)]
        counts["cases", f"{kind}:{int(escalated)}:{int(still_open)}"] += n
        if category:
            counts["category", category] += n
        if article_id is not None:
            # By article, not scenario: an article's scenario may be edited, and the figure follows it.
            counts["article", str(article_id)] += n


def lateness(shipped_at, ship_by, status):
    """'late' or 'on_time'; for an order still to ship, 'due:<ship-by time>': late once that time passes."""
    if shipped_at is not None:
        return "late" if ship_by is not None and shipped_at > ship_by else "on_time"
    if ship_by is not None and status != "cancelled":
        return f"due:{ship_by.astimezone(UTC).isoformat()}"
    return "on_time"


def _count_answers_by_case(start, end, days):
    rows = db.session.execute(
        select(SurveyAnswer.answered_at, SurveyAnswer.score, SurveyAnswer.comment != "", Survey.customer_id,
               Case.category, Case.order_id, Order.shipped_at, Order.ship_by, Order.status)
        .select_from(SurveyAnswer).join(Survey, Survey.id == SurveyAnswer.survey_id)
        .join(Case, Case.id == Survey.case_id).outerjoin(Order, Order.id == Case.order_id)
        .where(SurveyAnswer.answered_at >= start, SurveyAnswer.answered_at < end)
    )
    for answered_at, score, commented, customer_id, category, order_id, shipped_at, ship_by, status in rows:
        counts = days[_utc_day(answered_at)]
        if score <= LOW_SCORE:
            counts["low_rating", f"{customer_id}:{score}"] += 1
        if commented and category:
            counts["comment_category", category] += 1
        if order_id is not None:
            when = lateness(shipped_at, ship_by, status)
            counts["lateness_answers", when] += 1
            counts["lateness_score", when] += score
            counts["lateness_4_5", when] += 1 if score >= 4 else 0


def durations_days(start, end):
    """Times of escalated cases from `start` to `end`: {(day, kind, urgency, agent id): [within target, [s]]}."""
    groups = defaultdict(lambda: [0, []])
    for kind, (done, due) in DURATIONS.items():
        rows = db.session.execute(
            select(Case.urgency, Case.assignee_id, Case.created_at, done, due)
            .where(done >= start, done < end, Case.escalated.is_(True))
        )
        for urgency, assignee_id, created_at, done_at, due_at in rows:
            group = groups[_utc_day(done_at), kind, urgency, assignee_id]
            group[0] += 1 if due_at is not None and done_at <= due_at else 0
            group[1].append((done_at - created_at).total_seconds())
    for group in groups.values():
        group[1].sort()
    return groups


# ---- Reading: roll-ups where they hold every change, live elsewhere ---------------------------------------------

def fresh_days(first, last):
    """The days from `first` to `last` whose roll-up holds every change on them."""
    grace = current_app.config["LEAD_ROLLUP_GRACE"]
    rows = db.session.execute(
        select(RollupDay.day, RollupDay.built_at)
        .where(RollupDay.day >= first, RollupDay.day <= last, RollupDay.built_version == RollupDay.version)
    )
    # Built after the day's end plus the grace, so a transaction still open at midnight is in it.
    return {day for day, built_at in rows if built_at >= day_start(day + timedelta(days=1)) + grace}


def _live_runs(first, last, fresh):
    """(start, end) of each run of consecutive days from `first` to `last` that are not in `fresh`."""
    runs, run_start = [], None
    for n in range((last - first).days + 2):
        day = first + timedelta(days=n)
        if day <= last and day not in fresh:
            run_start = run_start or day
        elif run_start:
            runs.append((day_start(run_start), day_start(day)))
            run_start = None
    return runs


def period_counts(first, last, daily=()):
    """The counts of the days from `first` to `last`: ({measure: Counter{key: n}} over the whole range,
    {day: Counter{key: n}} of each measure in `daily`), summed in SQL where the days are rolled up."""
    fresh = fresh_days(first, last)
    totals, days = defaultdict(Counter), {measure: defaultdict(Counter) for measure in daily}
    if fresh:
        rolled_up = (DailyCount.day.in_(sorted(fresh)),)
        for measure, key, value in db.session.execute(
                select(DailyCount.measure, DailyCount.key, func.sum(DailyCount.value)).where(*rolled_up)
                .group_by(DailyCount.measure, DailyCount.key)):
            totals[measure][key] += int(value)  # PostgreSQL sums a bigint into a numeric
        if daily:
            for day, measure, key, value in db.session.execute(
                    select(DailyCount.day, DailyCount.measure, DailyCount.key, DailyCount.value)
                    .where(*rolled_up, DailyCount.measure.in_(daily))):
                days[measure][day][key] += value
    for start, end in _live_runs(first, last, fresh):
        for day, counts in count_days(start, end).items():
            for (measure, key), n in counts.items():
                totals[measure][key] += n
                if measure in days:
                    days[measure][day][key] += n
    return totals, days


def durations(first, last):
    """{(kind, urgency, agent id): [within target, [seconds]]} over the days from `first` to `last`."""
    fresh = fresh_days(first, last)
    merged = defaultdict(lambda: [0, []])

    def add(key, within_target, seconds):
        merged[key][0] += within_target
        merged[key][1].extend(seconds)

    if fresh:
        rows = db.session.execute(
            select(DailyDurations.day, DailyDurations.kind, DailyDurations.urgency, DailyDurations.assignee_id,
                   DailyDurations.within_target, DailyDurations.seconds)
            .where(DailyDurations.day >= min(fresh), DailyDurations.day <= max(fresh))
        )
        for day, kind, urgency, assignee_id, within_target, seconds in rows:
            if day in fresh:
                add((kind, urgency, assignee_id), within_target, seconds)
    for start, end in _live_runs(first, last, fresh):
        for (_day, kind, urgency, assignee_id), (within_target, seconds) in durations_days(start, end).items():
            add((kind, urgency, assignee_id), within_target, seconds)
    return merged


# ---- Building -------------------------------------------------------------------------------------------------

def build_day(day, now=None):
    """Recount `day` into its roll-up and record the version it holds (the caller commits); returns rows written."""
    now = now or utcnow()
    session = db.session
    session.execute(_insert(session)(RollupDay.__table__).values(day=day, version=0)
                    .on_conflict_do_nothing(index_elements=["day"]))
    # Locked, so that two builds of one day take turns and a change waits for the build it would outdate.
    version = session.scalar(select(RollupDay.version).where(RollupDay.day == day).with_for_update())
    session.execute(delete(DailyCount).where(DailyCount.day == day))
    session.execute(delete(DailyDurations).where(DailyDurations.day == day))
    start, end = day_start(day), day_start(day + timedelta(days=1))
    counts = [{"day": day, "measure": measure, "key": key, "value": value}
              for (measure, key), value in count_days(start, end).get(day, {}).items() if value]
    times = [{"day": day, "kind": kind, "urgency": urgency, "assignee_id": assignee_id,
              "within_target": within_target, "seconds": seconds}
             for (_day, kind, urgency, assignee_id), (within_target, seconds) in durations_days(start, end).items()]
    for model, rows in ((DailyCount, counts), (DailyDurations, times)):
        if rows:
            session.execute(insert(model), rows)
    session.execute(update(RollupDay).where(RollupDay.day == day).values(built_version=version, built_at=now))
    return len(counts) + len(times)


def stale_days(now=None):
    """Closed days within LEAD_ROLLUP_DAYS whose roll-up is missing or behind, newest first."""
    config = current_app.config
    now = now or utcnow()
    last = (now - config["LEAD_ROLLUP_GRACE"]).date() - timedelta(days=1)
    first = last - timedelta(days=config["LEAD_ROLLUP_DAYS"] - 1)
    fresh = fresh_days(first, last)
    every = (last - timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in every if day not in fresh]


def sweep(now=None, limit=None):
    """Build the stale and missing days, newest first, at most `limit`, each in its own transaction."""
    days = stale_days(now)[:limit]
    for day in days:
        build_day(day, now)
        db.session.commit()
    return days


# ---- Noticing changes -----------------------------------------------------------------------------------------

def mark_changed(session, days, now=None):
    """Bump the version of each closed day in `days`, so that it is counted live until it is rebuilt."""
    today = (now or utcnow()).date()
    closed = sorted({day for day in days if day is not None and day < today})
    if not closed:
        return
    table = RollupDay.__table__
    session.execute(_insert(session)(table).values([{"day": day, "version": 1} for day in closed])
                    .on_conflict_do_update(index_elements=["day"], set_={"version": table.c.version + 1}))


def _values(session, obj, name):
    """An attribute's values before and after the pending change."""
    state = inspect(obj)
    history = state.attrs[name].history
    values = [*history.added, *history.unchanged, *history.deleted]
    if history.added and not history.deleted and state.persistent:
        # Set without being read first: the value it replaces is still in the database.
        model = type(obj)
        values.append(session.scalar(select(getattr(model, name)).where(model.id == obj.id)))
    return values or [getattr(obj, name)]


def _changed(obj, names):
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _answer_days(session, *conditions):
    """The days answers were given on the cases that meet any of `conditions`."""
    if not conditions:
        return set()
    day = sql_day(SurveyAnswer.answered_at)
    return {date.fromisoformat(text) for text in session.scalars(
        select(day).join(Survey, Survey.id == SurveyAnswer.survey_id).join(Case, Case.id == Survey.case_id)
        .where(or_(*conditions)).distinct())}


def _sent_day(session, answer):
    if answer.survey is not None:
        return _utc_day(answer.survey.sent_at)
    return _utc_day(session.scalar(select(Survey.sent_at).where(Survey.id == answer.survey_id)))


def _note_flush(session, _flush_context, _instances):
    """Before a flush: the closed days its new, changed and deleted rows move."""
    days, case_ids, order_ids = set(), set(), set()
    whole = set(session.new) | set(session.deleted)
    for obj in [*whole, *session.dirty]:
        added_or_removed = obj in whole
        if isinstance(obj, Case) and (added_or_removed or _changed(obj, CASE_FIELDS)):
            days.update(_utc_day(value) for name in CASE_DAYS for value in _values(session, obj, name))
            if not added_or_removed and _changed(obj, CASE_ANSWER_FIELDS):
                case_ids.add(obj.id)
        elif isinstance(obj, SurveyAnswer) and (added_or_removed or _changed(obj, ANSWER_FIELDS)):
            days.update(_utc_day(value) for value in _values(session, obj, "answered_at"))
            if added_or_removed:
                days.add(_sent_day(session, obj))
        elif isinstance(obj, Survey) and (added_or_removed or _changed(obj, ("sent_at",))):
            days.update(_utc_day(value) for value in _values(session, obj, "sent_at"))
        elif isinstance(obj, Order) and not added_or_removed and _changed(obj, ORDER_FIELDS):
            order_ids.add(obj.id)
    conditions = [column.in_(ids) for column, ids in ((Case.id, case_ids), (Case.order_id, order_ids)) if ids]
    mark_changed(session, days | _answer_days(session, *conditions))


def _days_of(session, where, *columns):
    statement = select(*(sql_day(column) for column in columns)).where(*where).distinct()
    return {date.fromisoformat(text) for row in session.execute(statement) for text in row if text}


def _matching(column, where):
    # Uncorrelated: the statement's own WHERE picks the rows, whatever query this is nested in.
    return select(column).where(*where).correlate(None)


def _note_bulk(state):
    """Before an UPDATE or DELETE statement on the counted tables: the closed days of the rows it matches."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    model, session = state.bind_mapper.class_, state.session
    where = [state.statement.whereclause] if state.statement.whereclause is not None else []
    if model is Case:
        days = _days_of(session, where, *(getattr(Case, name) for name in CASE_DAYS))
        days |= _answer_days(session, Case.id.in_(_matching(Case.id, where)))
    elif model is Order:
        days = _answer_days(session, Case.order_id.in_(_matching(Order.id, where)))
    elif model is Survey:
        days = _days_of(session, where, Survey.sent_at)
        days |= _answer_days(session, Survey.id.in_(_matching(Survey.id, where)))
    elif model is SurveyAnswer:
        days = _days_of(session, where, SurveyAnswer.answered_at)
        days |= _days_of(session, [Survey.id.in_(_matching(SurveyAnswer.survey_id, where))], Survey.sent_at)
    else:
        return
    mark_changed(session, days)


def watch_changes():
    """Have every session note the days its changes move (once per process, however many apps)."""
    for name, listener in (("before_flush", _note_flush), ("do_orm_execute", _note_bulk)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
