"""A repair chosen in the return wizard holds a seat in one of the settings' slots; the last seat goes once."""

import pytest
from sqlalchemy import select

from portal import bookings, settings
from portal.models import Booking, Case, ReturnDraft, utcnow
from tests.cases.helpers import delivered_order, item_named
from tests.orders.helpers import sign_in_as
from tests.worker.cases import make_case


def url(order, step):
    return f"/returns/{order.number}/step/{step}"


def to_step_four(client, order, slot):
    assert client.post(url(order, 1), data={f"qty-{item_named(order, 'HPH-900').id}": "1"}).status_code == 303
    assert client.post(url(order, 2), data={"reason": "quality", "description": "It will not charge."}
                       ).status_code == 303
    return client.post(url(order, 3), data={"outcome": "repair", "repair_slot": slot})


@pytest.fixture
def one_seat(db, lead):
    settings.change(lead, {"repair_slot_capacity": "1"})
    db.session.commit()


def test_the_repair_books_its_slot_and_the_case_shows_it(client, db, make_order, customer, one_seat):
    order = delivered_order(make_order, customer)
    sign_in_as(client, customer)
    slot = bookings.free_slots("repair", utcnow())[0]

    to_step_four(client, order, slot.value)
    done = client.post(url(order, 4))

    assert done.status_code == 303
    db.session.expire_all()
    case = db.session.scalar(select(Case))
    [booking] = db.session.scalars(select(Booking)).all()
    assert (booking.case_id, booking.slot_start, case.repair_slot) == (case.id, slot.start, slot.start)
    assert slot.start not in {s.start for s in bookings.free_slots("repair", utcnow())}


def test_the_second_customer_for_the_last_seat_is_told_and_chooses_again(client, app, db, make_order,
                                                                         make_customer, customer, one_seat):
    slot = bookings.free_slots("repair", utcnow())[0]
    other = make_customer()
    first_order, second_order = delivered_order(make_order, other), delivered_order(make_order, customer)
    first = app.test_client()
    sign_in_as(first, other)
    sign_in_as(client, customer)
    # Both saw the slot free at step 3; the other customer submits first.
    assert to_step_four(first, first_order, slot.value).status_code == 303
    assert to_step_four(client, second_order, slot.value).status_code == 303
    assert first.post(url(first_order, 4)).status_code == 303

    lost = client.post(url(second_order, 4))

    assert lost.status_code == 409
    assert "someone has just booked the last place at that time" in lost.text
    assert 'name="repair_slot"' in lost.text and f'value="{slot.value}"' not in lost.text
    db.session.expire_all()
    assert [c.customer_id for c in db.session.scalars(select(Case))] == [other.id]
    assert db.session.scalar(select(ReturnDraft).where(ReturnDraft.customer_id == customer.id)) is not None


def test_step_three_refuses_a_slot_that_filled_meanwhile(client, db, make_order, make_customer, customer, one_seat):
    slot = bookings.free_slots("repair", utcnow())[0]
    bookings.book("repair", make_case(make_customer(), status="approved", kind="repair"), slot.start)
    db.session.commit()
    order = delivered_order(make_order, customer)
    sign_in_as(client, customer)

    response = to_step_four(client, order, slot.value)

    assert response.status_code == 409
    assert "someone has just booked the last place at that time" in response.text
