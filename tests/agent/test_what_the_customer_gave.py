"""Issue 21, point 8: the agent sees everything the customer gave (photos, the order, the size wanted, the
repair call booked), in words rather than codes, and a resolved case offers nothing more to send."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from portal.casework import photos
from portal.models import CaseAttachment, CaseMessage, utcnow
from tests.agent.helpers import make_case, sign_in_customer, sign_in_staff


@pytest.fixture
def signed_in(client, agent):
    sign_in_staff(client, agent)
    return client


def _stored_photo(db, case):
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(image, format="JPEG")
    image.seek(0)
    stored = photos.store(FileStorage(image, filename="kettle.jpg", content_type="image/jpeg"))
    attachment = CaseAttachment(case_id=case.id, stored_name=stored.name, content_type=stored.content_type,
                                size_bytes=stored.size_bytes)
    db.session.add(attachment)
    db.session.commit()
    return attachment


def test_the_customers_photos_are_shown_in_the_workspace_and_open_for_the_agent(signed_in, db, customer):
    case = make_case(customer, kind="return", category="damaged", status="needs_review")
    attachment = _stored_photo(db, case)

    page = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    photo_url = f"/cases/{case.reference}/photos/{attachment.id}"
    assert f'<img src="{photo_url}"' in page and 'alt="Photo 1 from the customer"' in page
    response = signed_in.get(photo_url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"


def test_the_order_a_case_is_about_is_in_the_sidebar_and_links_to_the_order(signed_in, db, customer, make_order):
    old = make_order(customer=customer, number="A-OLD-1", placed_at=utcnow() - timedelta(days=400))
    for n in range(6):
        make_order(customer=customer, number=f"A-NEW-{n}", placed_at=utcnow() - timedelta(days=n))
    case = make_case(customer, old, category="wrong_item")

    page = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    sidebar = page.split('id="orders-title"', 1)[1].split("</section>", 1)[0]
    assert '<a href="/agent/orders/A-OLD-1"><strong>A-OLD-1</strong></a>' in sidebar
    assert sidebar.count("<li") == 5
    order_page = signed_in.get("/agent/orders/A-OLD-1")
    assert order_page.status_code == 200
    text = order_page.get_data(as_text=True)
    assert f'href="/agent/cases/{case.reference}"' in text and customer.name in text


def test_the_exchange_size_and_the_repair_call_are_shown_with_their_zone(signed_in, db, make_customer):
    customer = make_customer(timezone="America/New_York")
    exchange = make_case(customer, kind="exchange", category="size", desired_outcome="exchange",
                         exchange_for="Size M, blue")
    slot = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    repair = make_case(customer, kind="repair", category="quality", desired_outcome="repair", repair_slot=slot)

    exchange_page = signed_in.get(f"/agent/cases/{exchange.reference}").get_data(as_text=True)
    repair_page = signed_in.get(f"/agent/cases/{repair.reference}").get_data(as_text=True)
    assert "<dt>Exchange for</dt><dd>Size M, blue</dd>" in exchange_page
    assert "Repair call booked" in repair_page and "Dec 9, 2026 15:00 UTC" in repair_page
    assert "10:00 for the customer (America/New York)" in repair_page


def test_the_timeline_and_triage_reasons_are_in_words(signed_in, db, customer):
    case = make_case(customer, category="late_or_lost", triage_reasons=[{
        "code": "category", "template": "the customer chose the category “%(category)s”",
        "params": {"category": "late_or_lost"}, "text": "the customer chose the category “late_or_lost”"}])
    signed_in.post(f"/agent/cases/{case.reference}/note", data={"body": "Called the carrier."})
    signed_in.post(f"/agent/cases/{case.reference}/reveal", data={"field": "phone"})
    signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "On its way."})
    signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "Tracking is SP1."})

    english = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    signed_in.post("/locale", data={"locale": "zh", "next": "/"})
    chinese = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)

    assert "the customer chose the category “My order is late or lost”" in english
    assert "Added an internal note" in english and "Revealed the customer&#39;s phone number" in english
    assert "Replied to the customer" in english and "Status: With a person → Answered" in english
    for code in ("late_or_lost", "internal_note", "contact_revealed", "agent reply", "added</span>"):
        assert code not in english and code not in chinese
    assert "添加了内部备注" in chinese


def test_callback_reasons_are_in_words(signed_in, db, customer):
    from portal.models import Callback

    case = make_case(customer)
    db.session.add(Callback(case_id=case.id, customer_id=customer.id, reason="low_rating", phone="+1 555 0100",
                            due_at=utcnow() + timedelta(hours=1)))
    db.session.commit()

    page = signed_in.get("/agent/callbacks").get_data(as_text=True)
    assert "Low survey rating" in page and "low_rating" not in page
    assert re.search(r"<time [^>]*>[^<]*\d\d:\d\d UTC</time>", page), "the due time names its zone"


def test_a_resolved_case_offers_no_reply_or_resolve_form(signed_in, db, customer):
    case = make_case(customer, status="resolved", resolution_type="explanation", resolved_at=utcnow())

    page = signed_in.get(f"/agent/cases/{case.reference}").get_data(as_text=True)
    assert 'id="reply-form"' not in page and "/resolve" not in page and "/urgency" not in page
    assert "This case is resolved" in page and 'id="note-body"' in page


def test_a_reply_posted_to_a_resolved_case_is_refused_and_nothing_is_stored(signed_in, db, customer):
    case = make_case(customer, status="resolved", resolution_type="explanation", resolved_at=utcnow())

    response = signed_in.post(f"/agent/cases/{case.reference}/reply", data={"body": "One more thing"})
    assert response.status_code == 400
    assert "This case is resolved" in response.get_data(as_text=True)
    assert db.session.query(CaseMessage).filter_by(case_id=case.id).count() == 0


def test_the_order_page_is_for_staff_only(client, db, customer, make_order):
    make_order(customer=customer, number="A-PRIVATE")
    assert client.get("/agent/orders/A-PRIVATE").status_code in (302, 303)
    sign_in_customer(client, customer)
    response = client.get("/agent/orders/A-PRIVATE")
    assert response.status_code in (302, 303, 403)
    assert 'id="items-title"' not in response.get_data(as_text=True)


@pytest.mark.parametrize("number", ["NOPE", "x" * 300, "../../etc/passwd", "%00", "<script>", "订单"])
def test_an_unknown_or_hostile_order_number_is_a_404(signed_in, number):
    response = signed_in.get(f"/agent/orders/{number}")
    assert response.status_code == 404
