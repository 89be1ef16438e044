"""Replies sent over real SMTP to the worker's embedded server, handled by a real worker in burst mode."""

import smtplib
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from portal.casework.photos import path_for
from portal.extensions import db
from portal.models import Case, CaseMessage, utcnow
from tests.agent.helpers import make_case
from tests.cases.helpers import gps_exif, image_bytes
from tests.inbound.helpers import (
    compose,
    customer_messages,
    inbound_rows,
    process_all,
    reply_address,
    send_smtp,
    snapshot,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def answered_case(customer):
    return make_case(customer, status="answered")


def test_a_reply_with_quoted_history_lands_as_only_the_new_text(app, redis, inbound_smtp, customer, answered_case):
    text = ("Thanks, but the lid is still cracked.\nCan you send a new one?\n\nBest regards,\nAlice\n\n"
            "On Mon, Dec 7, 2026 at 10:00 AM Help Center <help@shop.example> wrote:\n"
            "> Our support team has answered your case.\n> Please check the lid.\n")
    send_smtp(inbound_smtp, compose(customer.email, reply_address(answered_case), text))
    process_all(app, redis)

    [message] = customer_messages(answered_case)
    assert message.body == "Thanks, but the lid is still cracked.\nCan you send a new one?"
    assert message.channel == "email"
    assert db.session.get(Case, answered_case.id).status == "escalated", "as a reply in the portal does"
    [row] = inbound_rows()
    assert (row.status, row.case_id) == ("landed", answered_case.id)


@pytest.mark.parametrize("quoted", [
    # Gmail in Chinese
    "Help Center <help@shop.example> 于2026年12月7日周一 10:00写道：\n> 我们已经回复了您的请求\n",
    # Foxmail / QQ Mail
    "------------------ 原始邮件 ------------------\n发件人: \"Help Center\"<help@shop.example>;\n"
    "发送时间: 2026年12月7日(星期一) 上午10:00\n收件人: \"张三\"<zhang@example.com>;\n主题: 回复\n\n我们已经回复了\n",
    # Outlook in Chinese, full-width colons
    "发件人：Help Center <help@shop.example>\n发送时间：2026年12月7日 10:00\n收件人：张三\n"
    "主题：回复\n\n我们已经回复了\n",
    # Outlook in English
    "________________________________\nFrom: Help Center <help@shop.example>\nSent: Monday, December 7, 2026\n"
    "To: Zhang\nSubject: We replied\n\nOur answer\n",
])
def test_chinese_and_english_client_quote_formats_are_cut(app, redis, inbound_smtp, make_customer, quoted):
    zhang = make_customer(email="zhang@example.com", locale="zh")
    case = make_case(zhang, status="answered")
    send_smtp(inbound_smtp, compose(zhang.email, reply_address(case), f"盖子还是坏的，请再寄一个。\n\n{quoted}"))
    process_all(app, redis)

    assert [m.body for m in customer_messages(case)] == ["盖子还是坏的，请再寄一个。"]


def test_a_photo_attachment_lands_re_encoded_without_its_exif(app, redis, inbound_smtp, customer, answered_case,
                                                              mail_sink):
    photo = image_bytes(exif=gps_exif())
    message = compose(customer.email, reply_address(answered_case), "Here is the photo.",
                      attachments=[("lid.jpg", "image/jpeg", photo), ("notes.exe", "application/octet-stream",
                                                                          b"MZ not a photo")])
    send_smtp(inbound_smtp, message)
    process_all(app, redis)

    case = db.session.get(Case, answered_case.id)
    [attachment] = case.attachments
    assert attachment.content_type == "image/jpeg"
    with Image.open(path_for(attachment.stored_name)) as stored:
        assert not stored.getexif(), "the GPS position was not kept"
    assert [m.body for m in customer_messages(case)] == ["Here is the photo."]
    # The file left out is named to the agent and to the customer, whose answer to that mail reaches the case.
    [note] = [m for m in case.messages if m.author_type == "system"]
    assert note.internal and "notes.exe" in note.body and "lid.jpg" not in note.body
    [told] = [m for m in mail_sink.to(customer.email) if "could not keep" in m["Subject"]]
    assert case.reference in told["Subject"] and "notes.exe" in told.get_body(("plain",)).get_content()
    assert told["Reply-To"] and told["Auto-Submitted"] == "auto-replied"


def test_a_chinese_customer_is_told_in_chinese_which_files_were_not_kept(app, redis, inbound_smtp, make_customer,
                                                                         mail_sink):
    zhang = make_customer(email="zhang@example.com", locale="zh")
    case = make_case(zhang, status="answered")
    send_smtp(inbound_smtp, compose(zhang.email, reply_address(case), "照片在附件里。",
                                    attachments=[("水壶.jpg", "image/jpeg", b"not really a jpeg" * 1000)]))
    process_all(app, redis)

    assert db.session.get(Case, case.id).attachments == []
    [told] = [m for m in mail_sink.to(zhang.email) if "无法保存" in m["Subject"]]
    body = told.get_body(("plain",)).get_content()
    assert "水壶.jpg" in body and "我们只保存照片" in body


def test_html_only_mail_lands_as_safe_text(app, redis, inbound_smtp, customer, answered_case):
    html = ("<html><head><style>p{color:red}</style></head><body><p>The <b>lid</b> is cracked &amp; leaks.</p>"
            "<script>alert('x')</script><img src=x onerror=alert(1)><div>Order T1</div>"
            "<blockquote>Our earlier answer</blockquote></body></html>")
    send_smtp(inbound_smtp, compose(customer.email, reply_address(answered_case), html=html))
    process_all(app, redis)

    [message] = customer_messages(answered_case)
    assert message.body == "The lid is cracked & leaks.\nOrder T1"


def test_an_auto_reply_lands_nowhere_and_is_not_answered(app, redis, inbound_smtp, customer, answered_case,
                                                         mail_sink):
    before = snapshot()
    send_smtp(inbound_smtp, compose(customer.email, reply_address(answered_case), "Out of the office until Monday.",
                                    subject="Automatic reply", headers={"Auto-Submitted": "auto-replied"}))
    precedence = compose(customer.email, reply_address(answered_case), "Vacation", headers={"Precedence": "bulk"})
    send_smtp(inbound_smtp, precedence)
    process_all(app, redis)

    assert snapshot() == before
    assert [(r.status, r.reason) for r in inbound_rows()] == [("dropped", "auto_reply")] * 2
    assert mail_sink.messages() == [], "never answer an auto-reply"


def test_a_bounce_lands_nowhere_and_marks_the_address_failing(app, redis, inbound_smtp, customer, answered_case,
                                                              mail_sink):
    raw = (
        "From: MAILER-DAEMON@mx.example.net\r\nTo: support@shop.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example.net>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {customer.email}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n"
    ).encode()
    before = snapshot()
    host, port = inbound_smtp.rsplit(":", 1)
    with smtplib.SMTP(host, int(port), timeout=10) as client:
        client.sendmail("", ["support@shop.example"], raw)
    process_all(app, redis)

    assert snapshot() == before
    [row] = inbound_rows()
    assert (row.status, row.reason) == ("dropped", "bounce")
    db.session.refresh(customer)
    assert customer.email_failing_at is not None
    assert customer.email_failing_reason == "Undelivered Mail Returned to Sender"
    assert mail_sink.messages() == []


def test_a_forged_token_lands_nowhere_and_is_answered_once(app, redis, inbound_smtp, customer, answered_case,
                                                           mail_sink):
    good = reply_address(answered_case)
    local, domain = good.split("@")
    forged = local[:-4] + ("aaaa" if not local.endswith("aaaa") else "bbbb") + "@" + domain
    before = snapshot()
    for attempt in range(3):
        send_smtp(inbound_smtp, compose(customer.email, forged, f"Attempt {attempt}"))
    process_all(app, redis)

    assert snapshot() == before
    assert [(r.status, r.reason) for r in inbound_rows()] == [("answered", "forged_token")] * 3
    [answer] = mail_sink.messages()
    assert answer["To"] == customer.email
    assert answer["Auto-Submitted"] == "auto-replied"
    assert "http://portal.test/signin" in answer.get_content()


def test_another_customers_token_lands_nowhere(app, redis, inbound_smtp, customer, make_customer, answered_case,
                                               mail_sink):
    mallory = make_customer(email="mallory@example.com")
    before = snapshot()
    send_smtp(inbound_smtp, compose(mallory.email, reply_address(answered_case), "Refund me instead"))
    process_all(app, redis)

    assert snapshot() == before
    assert [(r.status, r.reason) for r in inbound_rows()] == [("answered", "other_customer")]
    assert [m["To"] for m in mail_sink.messages()] == [mallory.email]


def test_an_expired_token_is_refused(app, redis, inbound_smtp, customer, answered_case):
    old = utcnow() - timedelta(days=app.config["MAIL_REPLY_TOKEN_DAYS"] + 2)
    before = snapshot()
    send_smtp(inbound_smtp, compose(customer.email, reply_address(answered_case, old), "Late reply"))
    process_all(app, redis)

    assert snapshot() == before
    assert [r.reason for r in inbound_rows()] == ["expired_token"]


def test_an_oversize_message_is_refused_by_the_server_and_stores_nothing(app, redis, inbound_smtp, customer,
                                                                        answered_case):
    app.config["INBOUND_MAX_BYTES"] = 50_000
    before = snapshot()
    big = compose(customer.email, reply_address(answered_case), "x" * 10,
                  attachments=[("big.jpg", "image/jpeg", b"\xff" * 60_000)])
    with pytest.raises(smtplib.SMTPException) as refused:
        send_smtp(inbound_smtp, big)
    assert "552" in str(refused.value)
    process_all(app, redis)

    assert snapshot() == before
    [row] = inbound_rows()
    assert (row.status, row.reason, row.raw) == ("dropped", "too_large", b""), "counted, its body not kept"


def test_the_same_message_delivered_twice_lands_once(app, redis, inbound_smtp, customer, answered_case):
    message = compose(customer.email, reply_address(answered_case), "Only once, please.")
    send_smtp(inbound_smtp, message)
    send_smtp(inbound_smtp, message)
    process_all(app, redis)
    send_smtp(inbound_smtp, message)
    process_all(app, redis)

    assert [m.body for m in customer_messages(answered_case)] == ["Only once, please."]
    assert len(inbound_rows()) == 1


def test_mail_for_an_address_that_is_not_ours_is_refused_at_rcpt(inbound_smtp, customer):
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_smtp(inbound_smtp, compose(customer.email, "someone@elsewhere.example", "relay me"))
    assert inbound_rows() == []


def test_a_reply_to_a_resolved_case_within_the_window_reopens_it(app, redis, inbound_smtp, customer):
    case = make_case(customer, status="resolved", resolved_at=utcnow() - timedelta(days=1))
    send_smtp(inbound_smtp, compose(customer.email, reply_address(case), "It broke again."))
    process_all(app, redis)

    case = db.session.get(Case, case.id)
    assert case.status == "reopened"
    assert [m.body for m in customer_messages(case)] == ["It broke again."]


def test_a_reply_after_the_reopen_window_opens_a_new_case_that_names_the_old_one(app, redis, inbound_smtp,
                                                                                 customer, mail_sink):
    days = app.config["REOPEN_WINDOW_DAYS"] + 5
    case = make_case(customer, status="resolved", resolved_at=utcnow() - timedelta(days=days))
    send_smtp(inbound_smtp, compose(customer.email, reply_address(case), "It broke again."))
    process_all(app, redis)

    assert db.session.get(Case, case.id).status == "resolved"
    new = db.session.scalar(select(Case).where(Case.id != case.id))
    assert new.customer_id == customer.id
    assert new.description.startswith(case.reference)
    note = db.session.scalar(select(CaseMessage).where(CaseMessage.case_id == case.id))
    assert note.internal and new.reference in note.body
    [answer] = mail_sink.to(customer.email)  # the new case's own notification
    assert new.reference in answer["Subject"]
    assert "support+" in answer["Reply-To"], "the answer can be replied to as well"


def test_mail_to_the_plain_address_from_a_customer_opens_a_triaged_complaint(app, redis, inbound_smtp, customer,
                                                                             mail_sink):
    send_smtp(inbound_smtp, compose(customer.email, "support@shop.example",
                                    "My order never arrived and nobody answers!", subject="Where is my order?"))
    process_all(app, redis)

    case = db.session.scalar(select(Case))
    assert (case.kind, case.customer_id) == ("complaint", customer.id)
    assert "My order never arrived" in case.description
    assert case.status in ("acknowledged", "escalated") and case.triage_reasons is not None
    [answer] = mail_sink.to(customer.email)
    assert f"http://portal.test/cases/{case.reference}" in answer.get_body(("plain",)).get_content()


def test_mail_to_the_plain_address_from_a_stranger_opens_nothing_and_is_pointed_to_the_help_center(
        app, redis, inbound_smtp, mail_sink):
    before = snapshot()
    send_smtp(inbound_smtp, compose("stranger@example.org", "support@shop.example", "Do you ship to Mars?"))
    send_smtp(inbound_smtp, compose("stranger@example.org", "support@shop.example", "Hello?"))
    process_all(app, redis)

    assert snapshot() == before
    [answer] = mail_sink.to("stranger@example.org")
    body = answer.get_content()
    assert "http://portal.test/help" in body and "http://portal.test/signin" in body


def test_a_stranger_writing_in_chinese_is_answered_in_chinese(app, redis, inbound_smtp, mail_sink):
    send_smtp(inbound_smtp, compose("li@example.org", "support@shop.example", "你们发货到上海吗？", subject="发货"))
    process_all(app, redis)

    [answer] = mail_sink.to("li@example.org")
    assert "帮助中心" in answer.get_content()
