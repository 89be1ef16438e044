"""Repair appointments and calls a customer books: slots from the settings, capacity the database enforces,
rescheduling and cancelling from the case page, the reminder the day before, and who may do what."""

import itertools
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal import bookings, settings
from portal.account.service import export_data
from portal.admin import audit
from portal.extensions import db as _db
from portal.models import Booking, Callback, Case, CaseEvent, OutboxRow, utcnow
from portal.surveys import followups
from tests.orders.helpers import sign_in_as
from tests.worker.cases import make_case
from worker import runtime

_numbers = itertools.count(1)
# A Monday morning in UTC.
MONDAY = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def a_case(customer, **values):
    """A case with a reference the case pages accept."""
    return make_case(customer, reference=f"C-BK{next(_numbers):06d}", **values)


def configure(lead, **values):
    changed, errors = settings.change(lead, {key: str(value) for key, value in values.items()})
    assert errors == {}
    _db.session.commit()
    return changed


def local(slots, zone):
    return [start.astimezone(ZoneInfo(zone)) for start, _end in slots]


@pytest.fixture
def repair_case(db, customer):
    return a_case(customer, status="approved", kind="repair")


def first_free(kind, now=None):
    return bookings.free_slots(kind, now or utcnow())[0]


# ---- Slots from the settings -------------------------------------------------------------------------------

def test_slots_follow_the_opening_hours_and_skip_shop_holidays_and_the_kinds_closed_days(app, lead):
    configure(lead, shop_timezone="Europe/Berlin", repair_hours_mon="09:00-12:00", repair_hours_tue="09:00-12:00",
              repair_hours_wed="09:00-12:00", repair_hours_thu="09:00-12:00", repair_hours_fri="14:00-16:00",
              repair_slot_minutes=60, holidays="2026-12-09", repair_holidays="2026-12-10")

    slots = local(bookings.slot_times("repair", MONDAY, days=6), "Europe/Berlin")

    by_day = {}
    for start in slots:
        by_day.setdefault(start.date().isoformat(), []).append(start.strftime("%H:%M"))
    # Monday 07:00 in Berlin plus two hours' notice: 09:00 is just bookable. Wednesday is the shop's holiday,
    # Thursday the repair desk's closed day, the weekend has no hours.
    assert by_day == {"2026-12-07": ["09:00", "10:00", "11:00"], "2026-12-08": ["09:00", "10:00", "11:00"],
                      "2026-12-11": ["14:00", "15:00"]}


def test_slots_keep_local_opening_times_across_a_daylight_saving_change(app, lead):
    # Europe/Berlin moves its clocks forward on Sunday 29 March 2026.
    configure(lead, shop_timezone="Europe/Berlin", callback_hours_sat="09:00-11:00",
              callback_hours_sun="00:00-24:00", callback_slot_minutes=60)
    friday = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)

    times = bookings.slot_times("callback", friday, days=3)

    saturday = [start for start, _end in times if start.astimezone(ZoneInfo("Europe/Berlin")).day == 28
                and start.astimezone(ZoneInfo("Europe/Berlin")).weekday() == 5]
    sunday = [start for start, _end in times if start.astimezone(ZoneInfo("Europe/Berlin")).date().day == 29]
    assert [s.strftime("%H:%M") for s in saturday] == ["08:00", "09:00"]  # 09:00 CET is 08:00 UTC
    # The night the clocks change has 23 hours: 23 one-hour slots, the first at midnight CET (23:00 UTC).
    assert len(sunday) == 23
    assert sunday[0] == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert datetime(2026, 3, 29, 7, 0, tzinfo=UTC) in sunday  # 09:00 CEST


def test_a_customer_far_away_is_offered_their_daytime_when_there_is_one(app, lead):
    configure(lead, callback_hours_mon="00:00-24:00", callback_hours_tue="00:00-24:00", callback_slot_minutes=60)

    slots = bookings.free_slots("callback", MONDAY, "Asia/Shanghai")

    hours = {slot.start.astimezone(ZoneInfo("Asia/Shanghai")).hour for slot in slots}
    assert hours and min(hours) >= 7 and max(hours) < 22


def test_a_full_slot_is_no_longer_offered_and_a_third_booking_is_refused(app, db, lead, customer):
    configure(lead, repair_slot_capacity=2)
    cases = [a_case(customer, status="approved", kind="repair") for _ in range(3)]
    slot = first_free("repair")

    bookings.book("repair", cases[0], slot.start)
    bookings.book("repair", cases[1], slot.start)
    with pytest.raises(bookings.BookingRefused) as refused:
        bookings.book("repair", cases[2], slot.start)

    assert refused.value.reason == "full"
    assert slot.start not in {s.start for s in bookings.free_slots("repair", utcnow())}


def test_a_time_that_is_not_a_slot_is_refused(app, repair_case):
    slot = first_free("repair")

    with pytest.raises(bookings.BookingRefused) as refused:
        bookings.book("repair", repair_case, slot.start + timedelta(minutes=7))

    assert refused.value.reason == "not_offered"


# ---- Two requests for the last seat at the same moment -------------------------------------------------------

def test_two_customers_booking_the_last_seat_at_once_one_wins_and_the_other_is_told(app, db, lead, make_customer):
    configure(lead, repair_slot_capacity=1)
    case_ids = [a_case(make_customer(), status="approved", kind="repair").id for _ in range(2)]
    start = first_free("repair").start
    db.session.remove()
    ready, results = threading.Barrier(2), {}

    def attempt(case_id):
        # Each thread is a request of its own: its own app context, session and database connection.
        with app.app_context():
            case = _db.session.get(Case, case_id)
            ready.wait()
            try:
                bookings.book("repair", case, start)
                _db.session.commit()
                results[case_id] = "booked"
            except bookings.BookingRefused as refused:
                _db.session.rollback()
                results[case_id] = refused.reason
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(case_id,)) for case_id in case_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == ["booked", "full"]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


# ---- The case page: book, move, cancel ------------------------------------------------------------------------

def test_the_customer_moves_and_cancels_their_repair_from_the_case_page(client, db, customer, repair_case):
    sign_in_as(client, customer)
    first, second = bookings.free_slots("repair", utcnow())[:2]

    booked = client.post(f"/cases/{repair_case.reference}/appointments/repair", data={"slot": first.value})
    moved = client.post(f"/cases/{repair_case.reference}/appointments/repair", data={"slot": second.value},
                        headers={"HX-Request": "true"})

    assert booked.status_code == 303
    assert moved.status_code == 200 and 'id="appointments"' in moved.text and "<html" not in moved.text
    assert "Your repair appointment is booked." in moved.text
    db.session.expire_all()
    [booking] = db.session.scalars(select(Booking)).all()
    assert booking.slot_start == second.start == db.session.get(Case, repair_case.id).repair_slot

    cancelled = client.post(f"/cases/{repair_case.reference}/appointments/repair/cancel")

    assert cancelled.status_code == 303
    db.session.expire_all()
    assert db.session.scalars(select(Booking)).all() == []
    assert db.session.get(Case, repair_case.id).repair_slot is None
    moves = db.session.scalars(select(CaseEvent.new_value).where(CaseEvent.field == "repair_slot")
                               .order_by(CaseEvent.id)).all()
    assert moves == [first.start.isoformat(), second.start.isoformat(), ""]
    page = client.get(f"/cases/{repair_case.reference}")
    assert "No time is booked" in page.text


def test_the_case_page_shows_the_appointment_in_the_customers_zone_in_chinese(client, db, make_customer):
    customer = make_customer(locale="zh", timezone="Asia/Shanghai")
    case = a_case(customer, status="approved", kind="repair")
    slot = bookings.free_slots("repair", utcnow(), "Asia/Shanghai")[0]
    bookings.book("repair", case, slot.start)
    db.session.commit()
    sign_in_as(client, customer)

    page = client.get(f"/cases/{case.reference}", headers={"Accept-Language": "zh"})

    assert "维修预约" in page.text and "中国时间" in page.text


def test_the_loser_of_a_full_slot_gets_a_409_with_other_free_times(client, db, lead, customer, make_customer,
                                                                  repair_case):
    configure(lead, repair_slot_capacity=1)
    other = a_case(make_customer(), status="approved", kind="repair")
    slot = first_free("repair")
    bookings.book("repair", other, slot.start)
    db.session.commit()
    sign_in_as(client, customer)

    response = client.post(f"/cases/{repair_case.reference}/appointments/repair", data={"slot": slot.value},
                           headers={"HX-Request": "true"})

    assert response.status_code == 409
    assert "someone has just booked the last place" in response.text
    repair_list = response.text[response.text.index('id="repair-slot"'):]
    repair_list = repair_list[:repair_list.index("</select>")]
    assert 'role="alert"' in response.text and repair_list.count('<option value="20') >= 2
    assert f'value="{slot.value}"' not in repair_list
    assert bookings.booking_for("repair", repair_case) is None


@pytest.mark.parametrize("slot", ["", "tomorrow", "2020-01-01T09:00:00+00:00", "2026-12-08T09:00:00",
                                  "x" * 5000, "2026-12-08T09:00:00+00:00\x00junk", "<script>alert(1)</script>"])
def test_hostile_or_stale_slot_values_are_a_400_and_nothing_is_booked(client, db, customer, repair_case, slot):
    sign_in_as(client, customer)

    response = client.post(f"/cases/{repair_case.reference}/appointments/repair", data={"slot": slot})

    assert response.status_code == 400
    assert "Please choose one of the times offered." in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_an_unknown_kind_of_appointment_is_a_404(client, customer, repair_case):
    sign_in_as(client, customer)

    assert client.post(f"/cases/{repair_case.reference}/appointments/dinner", data={"slot": "x"}).status_code == 404


def test_nobody_books_or_cancels_on_someone_elses_case(client, db, customer, make_customer, repair_case):
    slot = first_free("repair")
    bookings.book("repair", repair_case, slot.start)
    db.session.commit()
    later = bookings.free_slots("repair", utcnow())[1]

    anonymous = client.post(f"/cases/{repair_case.reference}/appointments/repair/cancel")
    sign_in_as(client, make_customer())
    moved = client.post(f"/cases/{repair_case.reference}/appointments/repair", data={"slot": later.value})
    cancelled = client.post(f"/cases/{repair_case.reference}/appointments/repair/cancel")
    call = client.post(f"/cases/{repair_case.reference}/appointments/callback",
                       data={"slot": later.value, "phone": "+1 555 0199"})

    assert anonymous.status_code in (302, 303) and "/signin" in anonymous.headers["Location"]
    assert (moved.status_code, cancelled.status_code, call.status_code) == (404, 404, 404)
    db.session.expire_all()
    [booking] = db.session.scalars(select(Booking)).all()
    assert booking.slot_start == slot.start
    assert db.session.scalars(select(Callback)).all() == []


def test_a_resolved_repair_can_no_longer_be_moved(client, db, customer):
    case = a_case(customer, status="repaired", kind="repair")
    sign_in_as(client, customer)

    response = client.post(f"/cases/{case.reference}/appointments/repair", data={"slot": first_free("repair").value})

    assert response.status_code == 409
    assert "can no longer be booked" in response.text


# ---- Calls --------------------------------------------------------------------------------------------------

def test_after_a_low_rating_the_customer_picks_the_time_of_the_call(client, db, customer):
    case = a_case(customer)
    followups.ensure_callback(case, "low_rating", utcnow())
    db.session.commit()
    sign_in_as(client, customer)
    page = client.get(f"/cases/{case.reference}")
    slot = first_free("callback")

    booked = client.post(f"/cases/{case.reference}/appointments/callback",
                         data={"slot": slot.value, "phone": "+44 20 7946 0958"})

    assert "We would like to call you" in page.text
    assert booked.status_code == 303
    db.session.expire_all()
    [callback] = db.session.scalars(select(Callback)).all()
    assert (callback.reason, callback.status, callback.due_at, callback.phone) == \
        ("low_rating", "open", slot.start, "+44 20 7946 0958")
    assert bookings.booking_for("callback", case).callback_id == callback.id


def test_a_customer_may_ask_for_a_call_and_cancel_it(client, db, customer):
    case = a_case(customer, status="escalated", kind="complaint")
    sign_in_as(client, customer)
    slot = first_free("callback")

    client.post(f"/cases/{case.reference}/appointments/callback", data={"slot": slot.value, "phone": "555 0100 12"})
    cancelled = client.post(f"/cases/{case.reference}/appointments/callback/cancel", headers={"HX-Request": "1"})

    assert cancelled.status_code == 200 and "Your call is cancelled." in cancelled.text
    db.session.expire_all()
    [callback] = db.session.scalars(select(Callback)).all()
    assert (callback.reason, callback.status) == ("requested", "cancelled")
    assert db.session.scalars(select(Booking)).all() == []


@pytest.mark.parametrize("phone", ["", "call me", "+1 <b>555</b>", "1" * 41, "12"])
def test_a_call_needs_a_phone_number_we_can_dial(client, db, customer, phone):
    case = a_case(customer, status="escalated", kind="complaint")
    sign_in_as(client, customer)

    response = client.post(f"/cases/{case.reference}/appointments/callback",
                           data={"slot": first_free("callback").value, "phone": phone})

    assert response.status_code == 400
    assert "Please give a phone number we can call" in response.text
    assert db.session.scalars(select(Callback)).all() == []


def test_a_callbacks_status_changes_only_along_its_flow(app, db, customer, agent):
    case = a_case(customer)
    callback = followups.ensure_callback(case, "low_rating", utcnow())
    bookings.book("callback", case, first_free("callback").start, callback=callback)

    followups.set_callback_status(callback, "done", staff=agent, note="called")

    assert (callback.status, callback.completed_by_id) == ("done", agent.id)
    assert bookings.booking_for("callback", case) is None  # the seat goes back to others
    for status in ("open", "cancelled", "done", "nonsense"):
        with pytest.raises(followups.CallbackRefused):
            followups.set_callback_status(callback, status)


# ---- The reminder the day before ------------------------------------------------------------------------------

def _book_days_ahead(db, case, days, kind="repair", callback=None):
    after = utcnow() + timedelta(days=days)
    start = next(slot.start for slot in bookings.free_slots(kind, utcnow()) if slot.start > after)
    booking = bookings.book(kind, case, start, callback=callback)
    db.session.commit()
    return booking


@pytest.mark.parametrize(("locale", "subject"), [("en", "Reminder: your repair appointment for case"),
                                                  ("zh", "提醒：案例")])
def test_the_reminder_goes_out_the_day_before_once_in_the_customers_language(app, db, redis, make_customer,
                                                                             mail_sink, locale, subject):
    customer = make_customer(locale=locale)
    case = a_case(customer, status="approved", kind="repair")
    booking = _book_days_ahead(db, case, 2)
    start = booking.slot_start

    runtime.run(app, burst=True, now=start - timedelta(days=1, hours=1))
    assert mail_sink.to(customer.email) == []
    runtime.run(app, burst=True, now=start - timedelta(hours=23))
    runtime.run(app, burst=True, now=start - timedelta(hours=22))

    [message] = mail_sink.to(customer.email)
    assert message["Subject"].startswith(subject)
    assert case.reference in message.get_body(("plain",)).get_content()


def test_a_moved_or_cancelled_booking_sends_no_stale_reminder(app, db, redis, customer, mail_sink, repair_case):
    first = _book_days_ahead(db, repair_case, 2)
    first_start = first.slot_start
    bookings.cancel("repair", repair_case)
    db.session.commit()

    runtime.run(app, burst=True, now=first_start)

    assert mail_sink.to(customer.email) == []
    row = db.session.scalar(select(OutboxRow).where(OutboxRow.job_name == "booking.reminder"))
    assert row.status == "done" and row.result == "cancelled or moved"


def test_the_call_reminder_names_the_phone_number(app, db, redis, customer, mail_sink):
    case = a_case(customer)
    callback = followups.ensure_callback(case, "low_rating", utcnow())
    callback.phone = "+1 555 0177"
    booking = _book_days_ahead(db, case, 2, kind="callback", callback=callback)

    runtime.run(app, burst=True, now=booking.slot_start - timedelta(hours=23))

    [message] = mail_sink.to(customer.email)
    assert "+1 555 0177" in message.get_body(("plain",)).get_content()


def test_a_moved_booking_is_reminded_at_its_new_time_only(app, db, redis, customer, mail_sink, repair_case):
    first = _book_days_ahead(db, repair_case, 2)
    first_start = first.slot_start
    later = next(s.start for s in bookings.free_slots("repair", utcnow()) if s.start > first_start + timedelta(days=1))
    bookings.book("repair", repair_case, later)
    db.session.commit()

    runtime.run(app, burst=True, now=first_start - timedelta(hours=23))
    assert mail_sink.to(customer.email) == []
    runtime.run(app, burst=True, now=later - timedelta(hours=23))

    assert len(mail_sink.to(customer.email)) == 1


def test_the_customers_data_download_lists_their_appointments(app, db, customer, repair_case):
    slot = first_free("repair")
    bookings.book("repair", repair_case, slot.start)
    db.session.commit()

    exported = export_data(customer, utcnow())

    assert exported["appointments"] == [{"kind": "repair", "case": repair_case.reference,
                                         "starts_at": slot.start.isoformat(), "ends_at": slot.end.isoformat()}]


def test_bookings_and_a_cancelled_call_show_in_the_audit_log_in_words(app, db, customer):
    case = a_case(customer, status="escalated", kind="complaint")
    followups.book_call(case, first_free("callback").start, "+1 555 0100")
    followups.cancel_call(case)
    db.session.commit()

    with app.test_request_context():
        rows = [(row.what, row.detail) for row in audit.rows(audit.Filters())]

    labels = [what for what, _detail in rows]
    assert labels.count("Call time chosen") == 2 and "Call cancelled by the customer" in labels
    assert all("→" in detail for what, detail in rows if what == "Call time chosen")
    assert not any("_slot" in what or "callback_cancelled" in what for what in labels)


def test_a_booking_rolled_back_with_its_request_leaves_the_seat_free(app, db, customer):
    case_id = a_case(customer, status="approved", kind="repair").id
    db.session.remove()  # a fresh request: nothing written yet in its transaction

    bookings.book("repair", db.session.get(Case, case_id), first_free("repair").start)
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
