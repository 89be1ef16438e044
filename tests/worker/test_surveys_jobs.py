"""Survey invitations and the one reminder: links, List-Unsubscribe, opt-out, cooldown."""

from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from portal.jobs import schedule
from portal.models import OutboxRow, Survey, utcnow
from portal.surveys import service
from tests.worker.cases import make_case
from worker import runtime


def _invite(case):
    schedule("survey.invite", case.id, key=f"survey:case:{case.id}")


def _row(db, key):
    db.session.expire_all()
    return db.session.scalar(select(OutboxRow).where(OutboxRow.key == key))


def test_the_invitation_holds_five_signed_rating_links_and_list_unsubscribe(app, db, redis, customer, mail_sink):
    case = make_case(customer)
    _invite(case)
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to("alice@example.com")
    text = message.get_body(("plain",)).get_content()
    links = [line.split(": ", 1)[1] for line in text.splitlines() if line[:2] in ("1:", "2:", "3:", "4:", "5:")]
    assert [urlsplit(link).query for link in links] == [f"score={n}" for n in range(1, 6)]
    assert all(urlsplit(link).path.startswith("/survey/") for link in links)
    assert message["List-Unsubscribe"].strip().startswith("<http://portal.test/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    survey = db.session.scalar(select(Survey).where(Survey.case_id == case.id))
    assert survey.expires_at - survey.sent_at == timedelta(days=14)
    reminder = _row(db, f"survey:reminder:case:{case.id}")
    assert reminder.status == "pending"
    assert reminder.not_before - survey.sent_at == app.config["SURVEY_REMINDER_DELAY"]


def test_a_customer_who_opted_out_gets_no_survey(app, db, redis, make_customer, mail_sink):
    case = make_case(make_customer(feedback_mail_opt_out=True))
    _invite(case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert mail_sink.messages() == []
    assert _row(db, f"survey:case:{case.id}").result == "opted out"


def test_no_survey_within_the_cooldown_of_another(app, db, redis, customer, mail_sink):
    earlier, now_case = make_case(customer), make_case(customer)
    db.session.add(Survey(case_id=earlier.id, customer_id=customer.id, sent_at=utcnow() - timedelta(days=6),
                          expires_at=utcnow() + timedelta(days=8)))
    db.session.commit()
    _invite(now_case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert mail_sink.messages() == []
    assert _row(db, f"survey:case:{now_case.id}").result == "surveyed recently"


def test_a_survey_goes_once_the_cooldown_has_passed(app, db, redis, customer, mail_sink):
    earlier, now_case = make_case(customer), make_case(customer)
    db.session.add(Survey(case_id=earlier.id, customer_id=customer.id, sent_at=utcnow() - timedelta(days=8),
                          expires_at=utcnow() + timedelta(days=6)))
    db.session.commit()
    _invite(now_case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert len(mail_sink.to("alice@example.com")) == 1


def test_the_reminder_goes_once_and_only_if_unanswered(app, db, redis, customer, mail_sink):
    case = make_case(customer)
    _invite(case)
    db.session.commit()
    runtime.run(app, burst=True)

    in_three_days = utcnow() + app.config["SURVEY_REMINDER_DELAY"] + timedelta(minutes=1)
    runtime.run(app, burst=True, now=in_three_days)
    # However it is asked for again, no second reminder goes out.
    schedule("survey.reminder", case.id, key="survey:reminder:again")
    db.session.commit()
    runtime.run(app, burst=True, now=in_three_days)

    subjects = [m["Subject"] for m in mail_sink.to("alice@example.com")]
    assert subjects == [f"How did we do with case {case.reference}?",
                        f"A reminder: how did we do with case {case.reference}?"]
    assert _row(db, "survey:reminder:again").result == "already reminded"


def test_no_reminder_after_an_answer(app, db, redis, customer, mail_sink):
    case = make_case(customer)
    _invite(case)
    db.session.commit()
    runtime.run(app, burst=True)
    service.record_score(case, 5)
    db.session.commit()

    runtime.run(app, burst=True, now=utcnow() + timedelta(days=3, minutes=1))

    assert len(mail_sink.to("alice@example.com")) == 1
    assert _row(db, f"survey:reminder:case:{case.id}").result == "already answered"


def test_no_invitation_for_a_case_reopened_before_it_was_due(app, db, redis, customer, mail_sink):
    case = make_case(customer, status="reopened")
    _invite(case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert mail_sink.messages() == []


def test_no_invitation_when_the_customer_already_rated_on_the_case_page(app, db, redis, customer, mail_sink):
    case = make_case(customer)
    service.record_score(case, 4)
    _invite(case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert mail_sink.messages() == []
    assert _row(db, f"survey:case:{case.id}").result == "already answered"
