"""Case events become e-mails and inbox messages, once per outbox key, in the customer's language."""

import pytest
from sqlalchemy import select

from portal.jobs import schedule
from portal.models import CaseMessage, Notification, OutboxRow, utcnow
from tests.worker.cases import make_case, status_event
from worker import runtime


def _notify(case, event):
    return schedule("case.notify", case.id, event.id, key=f"case:{case.id}:event:{event.id}")


def test_an_approved_return_mails_its_instructions_and_files_them_in_the_inbox(app, db, redis, customer, mail_sink):
    case = make_case(customer, status="approved", return_label="RL-12345")
    event = status_event(case, "submitted", "approved")
    _notify(case, event)
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to("alice@example.com")
    assert message["Subject"] == f"Your return {case.reference} is approved"
    text = message.get_body(("plain",)).get_content()
    assert "RL-12345" in text
    assert "RL-12345" in message.get_body(("html",)).get_content()
    [note] = db.session.scalars(select(Notification)).all()
    assert (note.kind, note.outbox_key, note.message_id) == \
        ("case_approved", f"case:{case.id}:event:{event.id}", message["Message-ID"])


def test_an_answer_carries_the_agents_reply_and_never_an_internal_note(app, db, redis, customer, agent, mail_sink):
    case = make_case(customer, status="answered", escalated=True)
    db.session.add_all([
        CaseMessage(case_id=case.id, author_type="agent", staff_id=agent.id, body="Your parcel is at the depot."),
        CaseMessage(case_id=case.id, author_type="agent", staff_id=agent.id, body="INTERNAL: customer is VIP",
                    internal=True, created_at=utcnow()),
    ])
    db.session.commit()
    _notify(case, status_event(case, "escalated", "answered"))
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to("alice@example.com")
    text = message.get_body(("plain",)).get_content()
    assert "Your parcel is at the depot." in text
    assert "INTERNAL" not in text
    assert "INTERNAL" not in message.get_body(("html",)).get_content()


def test_a_resolution_names_what_was_done_and_the_amount(app, db, redis, customer, mail_sink):
    case = make_case(customer, resolution_type="refund", resolution_amount_cents=2400, currency="USD")
    _notify(case, status_event(case, "escalated", "resolved"))
    db.session.commit()

    runtime.run(app, burst=True)

    text = mail_sink.to("alice@example.com")[0].get_body(("plain",)).get_content()
    assert "a refund, requested from the shop" in text  # the shop sends money; until it confirms, requested
    assert "$24.00" in text


@pytest.mark.parametrize(("locale", "words"), [("en", "a coupon, requested from the shop"),
                                               ("zh", "优惠券，已向商家申请")])
def test_a_coupon_resolution_reads_requested_until_the_shop_confirms(app, db, redis, make_customer, mail_sink,
                                                                     locale, words):
    customer = make_customer(email="coupon@example.com", locale=locale)
    case = make_case(customer, resolution_type="coupon", resolution_amount_cents=1000, currency="USD")
    _notify(case, status_event(case, "escalated", "resolved"))
    db.session.commit()

    runtime.run(app, burst=True)

    text = mail_sink.to("coupon@example.com")[0].get_body(("plain",)).get_content()
    assert words in text


def test_an_escalation_tells_the_customer_when_we_will_answer(app, db, redis, customer, mail_sink):
    case = make_case(customer, status="escalated", escalated=True, escalated_at=utcnow(),
                     first_response_due=utcnow().replace(hour=14, minute=30, second=0, microsecond=0))
    _notify(case, status_event(case, "submitted", "escalated"))
    db.session.commit()

    runtime.run(app, burst=True)

    text = mail_sink.to("alice@example.com")[0].get_body(("plain",)).get_content()
    assert "We will answer by" in text
    assert "2:30" in text


def test_a_chinese_customer_gets_the_mail_in_chinese_layout(app, db, redis, make_customer, mail_sink):
    chinese = make_customer(email="wei@example.com", name="陈伟", locale="zh")
    case = make_case(chinese)
    _notify(case, status_event(case, "escalated", "resolved"))
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to("wei@example.com")
    assert 'lang="zh-CN"' in message.get_body(("html",)).get_content()
    assert "陈伟" in message.get_body(("plain",)).get_content()


def test_the_same_event_scheduled_twice_sends_one_mail(app, db, redis, customer, mail_sink):
    case = make_case(customer)
    event = status_event(case, "escalated", "resolved")
    assert _notify(case, event) is True
    assert _notify(case, event) is False
    db.session.commit()

    runtime.run(app, burst=True)
    runtime.run(app, burst=True)

    assert len(mail_sink.to("alice@example.com")) == 1


def test_an_event_of_another_case_sends_nothing(app, db, redis, customer, make_customer, mail_sink):
    mine, theirs = make_case(customer), make_case(make_customer())
    schedule("case.notify", mine.id, status_event(theirs, "escalated", "resolved").id, key="mismatch")
    db.session.commit()

    runtime.run(app, burst=True)

    assert mail_sink.messages() == []
    row = db.session.scalar(select(OutboxRow).where(OutboxRow.key == "mismatch"))
    assert (row.status, row.result) == ("done", "no such case event")


def test_a_deleted_account_gets_no_mail(app, db, redis, customer, mail_sink):
    case = make_case(customer)
    customer.anonymised_at = utcnow()
    db.session.commit()
    _notify(case, status_event(case, "escalated", "resolved"))
    db.session.commit()

    runtime.run(app, burst=True)

    assert mail_sink.messages() == []


def test_an_escalation_alert_goes_to_every_active_lead_in_one_message(app, db, redis, customer, make_staff, mail_sink):
    first, second = make_staff("lead"), make_staff("lead")
    make_staff("lead", active=False)
    make_staff("agent")
    case = make_case(customer, status="escalated", escalated=True, urgency="high")
    schedule("case.escalated", case.id, key=f"case:{case.id}:escalated")
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.messages()
    assert message["To"] == f"{first.email}, {second.email}"
    assert case.reference in message["Subject"]
    assert "(High urgency)" in message["Subject"]
