"""The check-in after a resolved case: Yes/No links, or an agent's callback for those who need a person."""

from datetime import timedelta

from sqlalchemy import select

from portal.jobs import schedule
from portal.models import Callback, CaseEvent, OutboxRow, Survey, SurveyAnswer, utcnow
from tests.worker.cases import make_case
from worker import relay, runtime


def _check_in(app, case, not_before=None):
    schedule("followup.check", case.id, key=f"followup:case:{case.id}", not_before=not_before)


def _links(message):
    text = message.get_body(("plain",)).get_content()
    yes = next(line for line in text.splitlines() if line.startswith("Yes, it's fixed: ")).split(": ", 1)[1]
    no = next(line for line in text.splitlines() if line.startswith("No, reopen my case: ")).split(": ", 1)[1]
    return yes.replace("http://portal.test", ""), no.replace("http://portal.test", "")


def _callbacks(db):
    db.session.expire_all()
    return db.session.scalars(select(Callback)).all()


def test_the_check_in_mail_has_signed_yes_and_no_links_and_list_unsubscribe(app, db, redis, customer, mail_sink):
    case = make_case(customer)
    _check_in(app, case)
    db.session.commit()

    runtime.run(app, burst=True)

    [message] = mail_sink.to("alice@example.com")
    yes, no = _links(message)
    assert yes.startswith("/followup/") and yes.endswith("answer=yes")
    assert no.startswith("/followup/") and no.endswith("answer=no")
    assert message["List-Unsubscribe"]
    assert _callbacks(db) == []


def test_no_reopens_and_escalates_the_case_but_only_on_the_confirming_post(app, db, redis, client, customer,
                                                                            mail_sink):
    case = make_case(customer)
    _check_in(app, case)
    db.session.commit()
    runtime.run(app, burst=True)
    _yes, no = _links(mail_sink.to("alice@example.com")[0])

    page = client.get(no)
    db.session.refresh(case)
    assert page.status_code == 200
    assert case.status == "resolved"  # a mail scanner following the link changes nothing

    done = client.post(no.split("?")[0], data={"answer": "no"})

    db.session.refresh(case)
    assert done.status_code == 200
    assert "We reopened case" in done.get_data(as_text=True)
    assert (case.status, case.escalated) == ("reopened", True)
    assert case.first_response_due > utcnow()
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [(e.old_value, e.new_value, e.actor_type) for e in events] == [("resolved", "reopened", "customer")]
    jobs = {row.job_name for row in db.session.scalars(select(OutboxRow).where(OutboxRow.status == "pending"))}
    assert {"case.notify", "case.escalated"} <= jobs
    again = client.post(no.split("?")[0], data={"answer": "no"})
    assert "already open again" in again.get_data(as_text=True)


def test_yes_keeps_the_case_resolved(app, db, redis, client, customer, mail_sink):
    case = make_case(customer)
    _check_in(app, case)
    db.session.commit()
    runtime.run(app, burst=True)
    yes, _no = _links(mail_sink.to("alice@example.com")[0])

    response = client.post(yes.split("?")[0], data={"answer": "yes"})

    db.session.refresh(case)
    assert "We are glad it is fixed" in response.get_data(as_text=True)
    assert case.status == "resolved"


def test_no_on_a_case_past_its_reopen_window_asks_an_agent_to_call(app, db, client, customer):
    from portal.surveys import followups

    case = make_case(customer, resolved_at=utcnow() - timedelta(days=app.config["REOPEN_WINDOW_DAYS"] + 1))
    yes_link, no_link = followups.answer_links(case, utcnow())

    response = client.post(no_link.replace("http://portal.test", "").split("?")[0], data={"answer": "no"})

    db.session.refresh(case)
    assert "will call you" in response.get_data(as_text=True)
    assert case.status == "resolved"
    [callback] = _callbacks(db)
    assert callback.reason == "not_fixed"


def test_a_follow_up_post_without_an_answer_is_refused(app, db, client, customer):
    from portal.surveys import followups

    _yes, no_link = followups.answer_links(make_case(customer), utcnow())

    for answer in ("", "maybe", "<script>"):
        response = client.post(no_link.replace("http://portal.test", "").split("?")[0], data={"answer": answer})
        assert response.status_code == 400
        assert "Please choose one of the answers." in response.get_data(as_text=True)


def test_an_expired_follow_up_link_is_refused(app, db, client, customer):
    from portal.surveys import followups

    case = make_case(customer)
    _yes, no_link = followups.answer_links(case, utcnow() - app.config["FOLLOWUP_LINK_LIFETIME"])

    response = client.post(no_link.replace("http://portal.test", "").split("?")[0], data={"answer": "no"})

    db.session.refresh(case)
    assert response.status_code == 410
    assert case.status == "resolved"


def test_complaints_high_urgency_and_vips_get_a_callback_instead_of_a_mail(app, db, redis, make_customer, mail_sink):
    cases = {
        "complaint": make_case(make_customer(), kind="complaint"),
        "high_urgency": make_case(make_customer(), urgency="high"),
        "vip": make_case(make_customer(tier="vip", phone="+1 555 0199")),
    }
    for case in cases.values():
        _check_in(app, case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert mail_sink.messages() == []
    by_case = {c.case_id: c for c in _callbacks(db)}
    for reason, case in cases.items():
        callback = by_case[case.id]
        assert (callback.reason, callback.status) == (reason, "open")
        assert callback.due_at > utcnow()
    assert by_case[cases["vip"].id].phone == "+1 555 0199"


def test_two_complaints_in_thirty_days_make_a_churn_risk(app, db, redis, customer, mail_sink):
    make_case(customer, kind="complaint", created_at=utcnow() - timedelta(days=20))
    make_case(customer, kind="complaint", created_at=utcnow() - timedelta(days=3))
    case = make_case(customer)
    _check_in(app, case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert [c.reason for c in _callbacks(db) if c.case_id == case.id] == ["churn_risk"]
    assert mail_sink.messages() == []


def test_complaints_older_than_thirty_days_do_not_count(app, db, redis, customer, mail_sink):
    make_case(customer, kind="complaint", created_at=utcnow() - timedelta(days=40))
    make_case(customer, kind="complaint", created_at=utcnow() - timedelta(days=3))
    case = make_case(customer)
    _check_in(app, case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert [c for c in _callbacks(db) if c.case_id == case.id] == []
    assert len(mail_sink.to("alice@example.com")) == 1


def test_a_rating_of_one_or_two_makes_a_churn_risk(app, db, redis, customer, mail_sink):
    rated = make_case(customer)
    survey = Survey(case_id=rated.id, customer_id=customer.id, sent_at=utcnow(), expires_at=utcnow())
    db.session.add(survey)
    db.session.flush()
    db.session.add(SurveyAnswer(survey_id=survey.id, score=2))
    case = make_case(customer)
    _check_in(app, case)
    db.session.commit()

    runtime.run(app, burst=True)

    assert [c.reason for c in _callbacks(db) if c.case_id == case.id] == ["churn_risk"]


def test_no_check_in_for_a_customer_who_opted_out_or_a_case_open_again(app, db, redis, make_customer, mail_sink):
    _check_in(app, make_case(make_customer(feedback_mail_opt_out=True)))
    _check_in(app, make_case(make_customer(), status="escalated"))
    db.session.commit()

    runtime.run(app, burst=True)

    assert mail_sink.messages() == []
    assert _callbacks(db) == []


def test_a_follow_up_three_days_ahead_survives_a_redis_flush(app, db, redis, customer, mail_sink):
    resolved_at = utcnow()
    case = make_case(customer, resolved_at=resolved_at)
    _check_in(app, case, not_before=resolved_at + app.config["FOLLOWUP_DELAY"])
    db.session.commit()

    runtime.run(app, burst=True)  # today: nothing is due
    assert mail_sink.messages() == []
    redis.flushall()  # Redis loses everything it had

    in_three_days = resolved_at + app.config["FOLLOWUP_DELAY"] + timedelta(seconds=1)
    assert relay.requeue_lost(redis, now=in_three_days) == 0  # nothing was in Redis to lose
    runtime.run(app, burst=True, now=in_three_days)

    [message] = mail_sink.to("alice@example.com")
    assert case.reference in message["Subject"]
