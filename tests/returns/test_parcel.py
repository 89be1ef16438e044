"""The return after approval: label, drop-off deadline, "I've sent it", the shop's events and their refusals."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db as _db
from portal.models import AuditEntry, Case, CaseEvent, CaseShopEvent, OutboxRow, ShopEvent
from portal.returns import parcel
from tests.agent.helpers import sign_in_staff
from tests.cases.helpers import outbox
from tests.orders.helpers import sign_in_as
from tests.returns.helpers import barcodes_in_pdf, file_return, post_shop_event, shop_event
from worker import runtime


@pytest.fixture
def approved(signed_in, order):
    return file_return(signed_in, order)


def reload(db, case):
    db.session.expire_all()
    return db.session.get(Case, case.id)


def snapshot(db, case):
    """What an applied event would change: the case's columns, its events, the outbox, the shop's event ids."""
    case = reload(db, case)
    columns = {c.key: getattr(case, c.key) for c in Case.__table__.columns if c.key != "updated_at"}
    counts = [db.session.scalar(select(func.count()).select_from(model)) for model in (CaseEvent, OutboxRow,
                                                                                       ShopEvent)]
    return columns, counts


def refusals(db, case=None):
    db.session.expire_all()
    query = select(CaseShopEvent).where(CaseShopEvent.outcome == "refused")
    if case is not None:
        query = query.where(CaseShopEvent.case_id == case.id)
    return db.session.scalars(query).all()


# ---- After approval ------------------------------------------------------------------------------------

def test_an_approved_return_waits_for_its_parcel_with_rma_deadline_and_paused_clock(approved, db):
    case = approved
    assert case.status == "awaiting_item"
    assert case.return_label == "R-" + case.reference[2:]
    assert case.drop_off_due.date() == (case.created_at + timedelta(days=parcel.DROP_OFF_DAYS)).date()
    jobs = {row.job_name: row for row in outbox(db)}
    assert jobs["return.reminder"].not_before == case.drop_off_due - parcel.REMINDER_BEFORE
    assert jobs["return.expire"].not_before == case.drop_off_due


def test_the_customer_is_told_at_once_that_the_return_is_approved_with_its_rma(signed_in, order):
    case = file_return(signed_in, order)

    page = signed_in.get(f"/cases/{case.reference}").text

    assert f'Your return is approved. Your return reference is <span class="ref">{case.return_label}</span>.' in page


def test_the_label_pdf_carries_the_rma_as_code_128_and_qr(approved, signed_in):
    response = signed_in.get(f"/cases/{approved.reference}/return-label.pdf")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    codes = barcodes_in_pdf(response.data)
    assert ("Code128", approved.return_label) in codes
    assert ("QRCode", approved.return_label) in codes


def test_the_label_draws_chinese_item_names_for_a_chinese_reader(approved, signed_in, db, customer):
    customer.locale = "zh"
    approved.items[0].order_item.name = "有机棉T恤"
    db.session.commit()

    response = signed_in.get(f"/cases/{approved.reference}/return-label.pdf", headers={"Accept-Language": "zh"})

    assert response.status_code == 200
    assert ("Code128", approved.return_label) in barcodes_in_pdf(response.data)


def test_only_the_customer_and_staff_get_the_label(approved, app, db, make_customer, agent):
    path = f"/cases/{approved.reference}/return-label.pdf"
    stranger = app.test_client()
    sign_in_as(stranger, make_customer(email="mallory@example.com"))
    staff = app.test_client()
    sign_in_staff(staff, agent)

    assert app.test_client().get(path).status_code == 404
    assert stranger.get(path).status_code == 404
    assert staff.get(path).status_code == 200


def test_the_case_page_shows_the_stage_deadline_and_requested_refund(approved, signed_in):
    page = signed_in.get(f"/cases/{approved.reference}").text

    assert "Label ready — drop off by" in page
    assert "Refund of $19.00: requested" in page
    assert f"/cases/{approved.reference}/return-label.pdf" in page
    assert "awaiting_item" not in page.replace("badge-awaiting_item", "")


def test_ive_sent_it_keeps_the_tracking_number_on_the_timeline(approved, signed_in, db):
    response = signed_in.post(f"/cases/{approved.reference}/sent",
                              data={"tracking": " 1z999aa1 0123456784 ", "carrier": "UPS"})

    assert response.status_code == 303
    case = reload(db, approved)
    assert (case.status, case.return_tracking, case.return_carrier) == ("awaiting_item", "1Z999AA1 0123456784", "UPS")
    assert case.events[-1].field == "return_tracking" and case.events[-1].actor_type == "customer"
    assert "1Z999AA1 0123456784" in signed_in.get(f"/cases/{case.reference}").text


def test_a_bad_tracking_number_is_refused_next_to_the_field_with_htmx(approved, signed_in, db):
    response = signed_in.post(f"/cases/{approved.reference}/sent", data={"tracking": "<b>", "carrier": "UPS"},
                              headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert 'id="sent-error"' in response.text and "<html" not in response.text
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]
    assert reload(db, approved).return_tracking == ""


def test_someone_elses_case_cannot_be_marked_sent(approved, app, make_customer):
    stranger = app.test_client()
    sign_in_as(stranger, make_customer(email="mallory@example.com"))

    assert stranger.post(f"/cases/{approved.reference}/sent", data={"tracking": "ABCD1234"}).status_code == 404


# ---- The shop's events ----------------------------------------------------------------------------------

def test_each_shop_event_moves_the_return_one_step_and_mails_once(approved, client, db):
    rma = approved.return_label
    steps = [
        (shop_event("return.in_transit", rma, carrier="DHL", tracking_number="JD0146"), "item_in_transit"),
        (shop_event("return.received", rma, condition="as_new"), "received"),
        (shop_event("refund.issued", rma, amount_cents=1900, currency="USD", method="original"), "refunded"),
    ]
    for event, status in steps:
        response = post_shop_event(client, event)
        assert response.status_code == 200, response.text
        assert response.get_json() == {"status": "applied", "event_id": event["event_id"]}
        assert reload(db, approved).status == status

    case = reload(db, approved)
    assert (case.resolution_type, case.resolution_amount_cents, case.return_tracking) == ("refund", 1900, "JD0146")
    notified = [e.new_value for e in case.events if e.field == "status"]
    assert notified[-3:] == ["item_in_transit", "received", "refunded"]
    assert len(outbox(db, "case.notify")) == len(notified) - 1  # every status change but the filing
    assert len(outbox(db, "survey.invite")) == 1 and len(outbox(db, "followup.check")) == 1
    assert [e.outcome for e in case.shop_events] == ["applied"] * 3


def test_an_exchange_shipped_event_shows_the_new_shipment(signed_in, order, client, db):
    case = file_return(signed_in, order, outcome="exchange", exchange_for="Size L")
    post_shop_event(client, shop_event("return.received", case.return_label))

    response = post_shop_event(client, shop_event("exchange.shipped", case.return_label, order_number="W2002",
                                                  carrier="DHL", tracking_number="JD0999"))

    assert response.status_code == 200
    case = reload(db, case)
    assert (case.status, case.exchange_order, case.exchange_tracking) == ("exchanged", "W2002", "JD0999")
    assert "W2002 DHL JD0999" in signed_in.get(f"/cases/{case.reference}").text


def test_an_out_of_order_event_is_refused_409_and_shown_to_agents(approved, client, db):
    before = snapshot(db, approved)

    response = post_shop_event(client, shop_event("refund.issued", approved.return_label, amount_cents=1900,
                                                  currency="USD", method="original"))

    assert response.status_code == 409
    assert response.get_json()["field"] == "type"
    assert "out of order" in response.get_json()["error"]
    assert snapshot(db, approved) == before
    [refused] = refusals(db, approved)
    assert (refused.kind, refused.refusal) == ("refund.issued", "out_of_order")


def test_a_replayed_event_id_is_acknowledged_once_and_a_second_refund_refused(approved, client, db):
    rma = approved.return_label
    post_shop_event(client, shop_event("return.received", rma))
    refund = shop_event("refund.issued", rma, amount_cents=1000, currency="USD", method="original")
    assert post_shop_event(client, refund).status_code == 200
    before = snapshot(db, approved)

    replay = post_shop_event(client, refund)
    second = post_shop_event(client, {**refund, "event_id": "evt-refund-again"})

    assert replay.status_code == 200 and replay.get_json()["status"] == "duplicate"
    assert second.status_code == 409 and "already" in second.get_json()["error"]
    assert snapshot(db, approved) == before
    assert [r.refusal for r in refusals(db, approved)] == ["already"]


def test_an_event_for_an_unknown_rma_is_refused_409_naming_the_field(approved, client, db):
    before = snapshot(db, approved)

    response = post_shop_event(client, shop_event("return.received", "R-ZZZZZZZZ"))

    assert response.status_code == 409
    assert response.get_json() == {"error": "no return with this RMA", "field": "data.rma"}
    assert snapshot(db, approved) == before
    [refused] = refusals(db)
    assert (refused.case_id, refused.refusal) == (None, "unknown_case")


@pytest.mark.parametrize(("amount", "currency", "code"), [(1901, "USD", "amount"), (3800, "USD", "amount"),
                                                          (1900, "EUR", "currency")])
def test_a_refund_beyond_the_refundable_amount_or_in_another_currency_is_refused(approved, client, db, amount,
                                                                                 currency, code):
    post_shop_event(client, shop_event("return.received", approved.return_label))
    before = snapshot(db, approved)

    response = post_shop_event(client, shop_event("refund.issued", approved.return_label, amount_cents=amount,
                                                  currency=currency, method="original"))

    assert response.status_code == 409
    assert response.get_json()["field"] == f"data.{'amount_cents' if code == 'amount' else 'currency'}"
    assert snapshot(db, approved) == before
    assert reload(db, approved).status == "received"
    assert [r.refusal for r in refusals(db, approved)] == [code]


def test_a_refund_for_a_rejected_return_is_refused(approved, client, db):
    case = reload(db, approved)
    case.status = "rejected"
    db.session.commit()

    response = post_shop_event(client, shop_event("refund.issued", case.return_label, amount_cents=100,
                                                  currency="USD", method="original"))

    assert response.status_code == 409
    assert reload(db, case).status == "rejected"


def test_a_badly_signed_event_is_refused_401_and_changes_nothing(approved, client, db):
    before = snapshot(db, approved)

    response = post_shop_event(client, shop_event("return.received", approved.return_label), secret="wrong")

    assert response.status_code == 401
    assert snapshot(db, approved) == before
    assert refusals(db) == []


@pytest.mark.parametrize(("data", "field"), [
    ({}, "data.rma"),
    ({"rma": "R-1", "amount_cents": "12", "currency": "USD", "method": "original"}, "data.amount_cents"),
    ({"rma": "R-1", "amount_cents": 0, "currency": "USD", "method": "original"}, "data.amount_cents"),
    ({"rma": "R-1", "amount_cents": 100, "currency": "usd", "method": "original"}, "data.currency"),
    ({"rma": "R-1", "amount_cents": 100, "currency": "USD", "method": "cash in hand"}, "data.method"),
    ({"rma": "R-1", "amount_cents": 100, "currency": "USD"}, "data.method"),
])
def test_a_malformed_refund_is_refused_400_naming_the_field(client, db, data, field):
    response = post_shop_event(client, {"event_id": "evt-bad", "type": "refund.issued", "data": data})

    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_the_bulk_import_applies_and_refuses_return_events_by_the_same_rules(approved, runner, db, tmp_path):
    import json

    rma = approved.return_label
    lines = [shop_event("return.received", rma),
             shop_event("repair.completed", rma),
             shop_event("refund.issued", rma, amount_cents=1900, currency="USD", method="store_credit")]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    notified = len(outbox(db, "case.notify"))

    result = runner.invoke(args=["shop", "import", str(path)])

    assert result.exit_code == 1
    assert "line 2: type: case" in result.output
    assert reload(db, approved).status == "refunded"
    assert len(outbox(db, "case.notify")) == notified  # history: nobody is e-mailed without --notify
    assert [r.refusal for r in refusals(db, approved)] == ["wrong_kind"]


# ---- Agents ---------------------------------------------------------------------------------------------

def test_an_agent_marks_the_parcel_received_by_hand_and_it_is_audited(approved, app, db, agent, client):
    post_shop_event(client, shop_event("refund.issued", approved.return_label, amount_cents=1, currency="USD",
                                       method="original"))
    staff = app.test_client()
    sign_in_staff(staff, agent)
    page = staff.get(f"/agent/cases/{approved.reference}").text
    assert approved.return_label in page and "Not applied: it came before the step it follows" in page

    response = staff.post(f"/agent/cases/{approved.reference}/received", data={"note": "Box intact"})

    assert response.status_code == 302
    case = reload(db, approved)
    assert case.status == "received"
    assert case.events[-1].actor_type == "staff" and case.events[-1].reason == "Box intact"
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.parcel_received_by_hand"))
    assert (entry.actor_id, entry.target_id) == (agent.id, case.id)
    assert staff.post(f"/agent/cases/{approved.reference}/received").status_code == 400


def test_the_agents_queue_lists_refused_events_even_for_an_unknown_rma(approved, app, client, agent):
    post_shop_event(client, shop_event("return.received", "R-ZZZZZZZZ"))
    post_shop_event(client, shop_event("refund.issued", approved.return_label, amount_cents=1, currency="USD",
                                       method="original"))
    staff = app.test_client()
    sign_in_staff(staff, agent)

    page = staff.get("/agent").text

    assert "Shop events we refused" in page
    assert 'RMA <span class="ref">R-ZZZZZZZZ</span>' in page and "no return has this RMA" in page
    assert f"/agent/cases/{approved.reference}" in page and "it came before the step it follows" in page
    assert "unknown_case" not in page and "out_of_order" not in page


# ---- The deadline, by the worker --------------------------------------------------------------------------

def test_a_reminder_before_the_deadline_then_the_return_expires_and_can_be_reopened(approved, app, db, redis,
                                                                                   mail_sink, signed_in):
    runtime.run(app, burst=True)  # the approval's e-mail
    case = reload(db, approved)
    [instructions] = mail_sink.to("alice@example.com")
    assert case.return_label in instructions.get_body(("plain",)).get_content()

    runtime.run(app, burst=True, now=case.drop_off_due - timedelta(hours=1))
    runtime.run(app, burst=True, now=case.drop_off_due + timedelta(minutes=1))

    subjects = [m["Subject"] for m in mail_sink.to("alice@example.com")]
    assert subjects[1].startswith(f"Please drop off your return {case.reference} by")
    assert subjects[2] == f"Your return {case.reference} is closed"


def test_no_reminder_or_expiry_once_the_customer_sent_the_parcel(approved, app, db, redis, mail_sink, signed_in):
    signed_in.post(f"/cases/{approved.reference}/sent", data={"tracking": "ABCD1234"})
    case = reload(db, approved)

    runtime.run(app, burst=True, now=case.drop_off_due + timedelta(minutes=1))

    assert reload(db, case).status == "awaiting_item"
    assert len(mail_sink.to("alice@example.com")) == 1


def test_an_expired_return_can_be_reopened_and_approved_again_with_a_new_deadline(approved, db, agent):
    from portal.agent import service as agent_service
    from portal.casework import service as cases

    case = reload(db, approved)
    later = case.drop_off_due + timedelta(minutes=1)
    assert parcel.expire(case, case.drop_off_due.isoformat(), now=later)
    _db.session.commit()
    cases.reopen(case, "I was away", now=later)
    agent_service.decide_return(case, agent, True, "")
    _db.session.commit()

    case = reload(db, case)
    assert case.status == "awaiting_item"
    assert len(outbox(db, "return.expire")) == 2
    assert outbox(db, "survey.invite") == []


def test_a_chinese_customer_gets_the_return_instructions_in_chinese(signed_in, order, app, db, redis, mail_sink,
                                                                     customer):
    customer.locale = "zh"
    db.session.commit()
    case = file_return(signed_in, order)

    runtime.run(app, burst=True)

    [message] = mail_sink.to("alice@example.com")
    assert message["Subject"] == f"您的退货 {case.reference} 已获批准：如何寄回"
    text = message.get_body(("plain",)).get_content()
    assert case.return_label in text and "寄出截止日期" in text


def test_ive_sent_it_with_htmx_swaps_the_return_panel_alone(approved, signed_in):
    response = signed_in.post(f"/cases/{approved.reference}/sent", data={"tracking": "ABCD1234"},
                              headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert 'id="return"' in response.text
    assert "<html" not in response.text and "ABCD1234" in response.text
