"""The daily roll-ups: read where they hold every change, counted live elsewhere, rebuilt by the sweep."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, event, func, select, update

from portal.agent import service as agent_service
from portal.casework import service as cases
from portal.jobs import schedule
from portal.lead import metrics, rollups
from portal.models import DailyCount, OutboxRow, RollupDay, SurveyAnswer, utcnow
from tests.agent.helpers import make_case
from tests.lead.helpers import FIRST_DAY, LAST_DAY, NOW, PERIOD, at, build_rollups
from worker import runtime

DAY_20 = date(2026, 1, 20)


def _summary():
    return dict(metrics.csat_summary(PERIOD)[1].rows)


def _fresh():
    return rollups.fresh_days(FIRST_DAY, LAST_DAY)


def _run_sweep(app, db):
    # Far enough back to reach the world's January, which lies within LEAD_ROLLUP_DAYS of today.
    app.config["LEAD_ROLLUP_SWEEP_DAYS"] = app.config["LEAD_ROLLUP_DAYS"]
    schedule("lead.rollup_sweep", key="test:rollup-sweep")
    db.session.commit()
    runtime.run(app, burst=True)
    return db.session.scalar(select(OutboxRow).where(OutboxRow.key == "test:rollup-sweep"))


@pytest.fixture
def rolled_up(world):
    build_rollups()
    return world


def test_built_days_are_read_from_their_roll_up(db, rolled_up):
    assert _fresh() == {FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)}
    # Only a figure read from the roll-up can see a count changed in the roll-up table alone.
    db.session.execute(update(DailyCount).where(DailyCount.day == DAY_20, DailyCount.measure == "answers_by_score",
                                                DailyCount.key == "5").values(value=12))
    assert _summary()["answers"] == 7 - 2 + 12


def test_today_is_counted_live_even_with_a_roll_up_row(db, make_customer):
    today = utcnow().date()
    rollups.build_day(today)
    db.session.commit()
    make_case(make_customer(), category="today-only", created_at=utcnow())
    period = metrics.Period(today, today)
    assert metrics.top_categories(period).rows == [["today-only", 1, None, None]]  # nothing was filed before today


def test_a_changed_answer_is_shown_at_once_and_rolled_up_again_by_the_sweep(app, db, redis, rolled_up):
    answer = db.session.scalar(select(SurveyAnswer).where(SurveyAnswer.comment == "Great, thank you"))
    answer.score = 1
    db.session.commit()

    assert DAY_20 not in _fresh(), "the changed day is counted live until it is rebuilt"
    assert metrics.csat_summary(PERIOD)[0].rows[0] == [1, 2, 28.6]
    assert _summary()["csat_average"] == 3.0

    row = _run_sweep(app, db)

    assert row.status == "done" and row.result.startswith("built ")
    assert DAY_20 in _fresh()
    assert metrics.csat_summary(PERIOD)[0].rows[0] == [1, 2, 28.6]
    assert metrics.csat_daily(PERIOD).rows[19] == ["2026-01-20", 2, 3.0, 50.0]


def test_a_missing_roll_up_day_is_built_by_the_sweep(app, db, redis, rolled_up):
    db.session.execute(delete(DailyCount).where(DailyCount.day == DAY_20))
    db.session.execute(delete(RollupDay).where(RollupDay.day == DAY_20))
    db.session.commit()
    assert DAY_20 not in _fresh()
    assert DAY_20 in rollups.stale_days()

    _run_sweep(app, db)

    assert DAY_20 in _fresh()
    assert _summary()["answers"] == 7
    assert db.session.scalar(select(func.count()).select_from(DailyCount).where(DailyCount.day == DAY_20)) > 0


def test_reopening_a_case_takes_its_resolution_off_the_rolled_up_day(db, rolled_up):
    case_b = rolled_up["cases"]["B"]
    cases.transition(case_b, "reopened", now=NOW)
    db.session.commit()

    by_urgency = {row[0]: row[1:] for row in metrics.response_times(PERIOD)[0].rows}
    # high: resolutions 10 and 20 h are left, both within 24 h.
    assert by_urgency["high"][4:] == [2, 15.0, 20.0, 100.0]


def test_a_time_set_without_being_read_first_leaves_its_old_day_too(db, rolled_up):
    case_b = rolled_up["cases"]["B"]  # expired by the last commit: its resolved_at was never loaded
    case_b.resolved_at = at(20)  # from the 12th (30 h after filing) to the 20th (216 h)
    db.session.commit()

    by_urgency = {row[0]: row[1:] for row in metrics.response_times(PERIOD)[0].rows}
    assert by_urgency["high"][4:7] == [3, 20.0, 216.0]


def test_taking_a_case_in_one_statement_moves_its_times_to_the_agent(db, rolled_up):
    _ann, bob = rolled_up["agents"]
    agent_service.take(rolled_up["cases"]["E"], bob)  # an UPDATE statement, not a flushed attribute
    db.session.commit()

    by_agent = {row[0]: row[1:] for row in metrics.response_times(PERIOD)[1].rows}
    assert by_agent["Bob"][:2] == [3, 30.0]
    assert "unassigned" not in by_agent


def test_a_case_resolved_without_being_taken_counts_under_the_agent_who_resolved_it(db, rolled_up, make_customer):
    _ann, bob = rolled_up["agents"]
    filed = at(25)
    untaken = make_case(make_customer(), urgency="high", created_at=filed,
                        first_response_due=filed + timedelta(minutes=10), resolution_due=filed + timedelta(hours=24))
    cases.transition(untaken, "resolved", actor_type="staff", staff=bob, now=filed + timedelta(minutes=5))
    db.session.commit()

    by_agent = {row[0]: row[1:] for row in metrics.response_times(PERIOD)[1].rows}
    # Bob's first responses 8, 30 and now 5 min; resolutions 20 h, 5 h and now 5 min: all within target.
    assert by_agent["Bob"] == [3, 8.0, 30.0, 100.0, 3, 5.0, 20.0, 100.0]
    assert by_agent["unassigned"] == [1, 120.0, 120.0, 100.0, 0, None, None, None]  # case E alone, as before


def test_deleting_an_answer_in_one_statement_takes_it_off_its_days(db, rolled_up):
    db.session.execute(delete(SurveyAnswer).where(SurveyAnswer.comment == "Nobody listened"))
    db.session.commit()

    summary = _summary()
    assert (summary["answers"], summary["surveys_answered"], summary["surveys_sent"]) == (6, 6, 8)


def test_an_order_shipped_late_moves_its_answers_to_late(db, rolled_up):
    order = rolled_up["cases"]["C"].order
    order.shipped_at = at(6)  # ship-by was the 5th
    db.session.commit()

    rows = {row[0]: row[1:] for row in metrics.csat_by_lateness(PERIOD, NOW).rows}
    assert rows == {"late": [2, 4.5, 100.0], "on_time": [0, None, None]}


def test_an_order_still_to_ship_turns_late_when_its_ship_by_time_passes(db, rolled_up):
    order = rolled_up["cases"]["C"].order
    order.shipped_at = None
    order.ship_by = at(28)
    db.session.commit()
    build_rollups()

    before = {row[0]: row[1] for row in metrics.csat_by_lateness(PERIOD, at(27)).rows}
    after = {row[0]: row[1] for row in metrics.csat_by_lateness(PERIOD, at(29)).rows}
    assert before == {"late": 1, "on_time": 1}
    assert after == {"late": 2, "on_time": 0}


def test_a_recategorised_case_moves_in_top_categories_and_the_comment_filter(db, rolled_up):
    case_a = rolled_up["cases"]["A"]
    case_a.category = "allergy"
    db.session.commit()

    assert ["allergy", 1, 0, None] in metrics.top_categories(PERIOD).rows
    assert "allergy" in metrics.comment_categories(PERIOD)


def test_the_rollup_command_builds_the_days_with_a_summary(db, runner):
    result = runner.invoke(args=["lead", "rollup", "--days", "3"])

    assert result.exit_code == 0, result.output
    yesterday = utcnow().date() - timedelta(days=1)
    assert f"built 3 days ({yesterday - timedelta(days=2)} to {yesterday})" in result.output
    built = db.session.scalars(select(RollupDay.day).where(RollupDay.built_version == RollupDay.version)).all()
    assert sorted(built) == [yesterday - timedelta(days=n) for n in (2, 1, 0)]


def test_every_figure_read_from_the_roll_ups_equals_the_figure_counted_live(db, world):
    filters = metrics.Filters(PERIOD)
    counted_live = metrics.dashboard(filters, NOW)

    build_rollups()

    assert _fresh() == {FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)}
    assert metrics.dashboard(filters, NOW) == counted_live


# Columns a row keeps for life: joins follow them, and no change to them has to be noticed.
FIXED_COLUMNS = {"cases.id", "orders.id", "surveys.id", "surveys.case_id", "surveys.customer_id",
                 "survey_answers.id", "survey_answers.survey_id"}
WATCHED_COLUMNS = {
    *(f"cases.{name}" for name in rollups.CASE_FIELDS), *(f"orders.{name}" for name in rollups.ORDER_FIELDS),
    *(f"survey_answers.{name}" for name in rollups.ANSWER_FIELDS), "surveys.sent_at",
}


def test_every_column_a_day_is_counted_from_is_one_whose_change_is_noticed(db):
    statements = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        rollups.build_day(FIRST_DAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    db.session.rollback()

    read = {match.group(0) for statement in statements
            for match in re.finditer(r"\b(cases|orders|surveys|survey_answers)\.\w+", statement)}
    assert {"cases.created_at", "survey_answers.score", "orders.ship_by"} <= read
    assert read - FIXED_COLUMNS <= WATCHED_COLUMNS, "a counted column missing from the roll-ups' field lists"
