"""The survey page: signed links, GET records nothing, one POST records, answers replace, low ratings call back."""

from datetime import timedelta

from sqlalchemy import func, select

from portal.models import Callback, Survey, SurveyAnswer, utcnow
from portal.surveys import service, tokens
from tests.worker.cases import make_case


def _link_token(case):
    return service.token_for(case, service.survey_for(case))


def _answers(db):
    return db.session.scalar(select(func.count()).select_from(SurveyAnswer))


def test_opening_a_rating_link_shows_the_score_chosen_and_records_nothing(client, db, customer):
    case = make_case(customer)

    response = client.get(f"/survey/{_link_token(case)}?score=4")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="4" checked' in page
    assert case.reference in page
    assert _answers(db) == 0
    assert db.session.scalar(select(func.count()).select_from(Survey)) == 0


def test_confirming_records_the_rating_and_the_second_answer_replaces_the_first(client, db, customer):
    case = make_case(customer)
    token = _link_token(case)

    first = client.post(f"/survey/{token}", data={"score": "3"})
    second = client.post(f"/survey/{token}", data={"score": "5"})

    assert first.status_code == second.status_code == 303
    [answer] = db.session.scalars(select(SurveyAnswer)).all()
    assert answer.score == 5
    assert 'value="5" checked' in client.get(first.headers["Location"]).get_data(as_text=True)


def test_a_low_rating_creates_one_callback_however_often_it_is_given(client, db, customer):
    case = make_case(customer)
    token = _link_token(case)

    client.post(f"/survey/{token}", data={"score": "2"})
    second = client.post(f"/survey/{token}", data={"score": "1"}, headers={"HX-Request": "true"})

    [callback] = db.session.scalars(select(Callback)).all()
    assert (callback.case_id, callback.reason, callback.status) == (case.id, "low_rating", "open")
    assert callback.phone == customer.phone
    # The customer chooses when we call, on the case page (portal/bookings.py).
    assert f"/cases/{case.reference}#appointments" in second.get_data(as_text=True)


def test_a_good_rating_creates_no_callback(client, db, customer):
    client.post(f"/survey/{_link_token(make_case(customer))}", data={"score": "4"})

    assert db.session.scalars(select(Callback)).all() == []


def test_a_tampered_token_is_refused_with_a_clear_page(client, db, customer):
    token = _link_token(make_case(customer))
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    responses = (client.get(f"/survey/{tampered}?score=5"), client.post(f"/survey/{tampered}", data={"score": "5"}))
    for response in responses:
        assert response.status_code == 400
        assert "We do not recognise this link" in response.get_data(as_text=True)
    assert _answers(db) == 0


def test_an_expired_token_is_refused_and_records_nothing(client, db, customer):
    case = make_case(customer)
    expired = tokens.case_token("survey", case, utcnow() - timedelta(seconds=1))

    response = client.post(f"/survey/{expired}", data={"score": "5"})

    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert _answers(db) == 0


def test_a_token_naming_another_customers_case_is_refused(client, db, customer, make_customer):
    other_case = make_case(make_customer())
    # Correctly signed, but it names Alice as the customer of someone else's case.
    forged = tokens.sign("survey", c=other_case.id, u=customer.id, e=int((utcnow() + timedelta(days=1)).timestamp()))

    response = client.post(f"/survey/{forged}", data={"score": "1"})

    assert response.status_code == 404
    assert "does not belong to a case" in response.get_data(as_text=True)
    assert _answers(db) == 0


def test_a_follow_up_link_does_not_work_as_a_survey_link(client, db, customer):
    case = make_case(customer)
    followup_token = tokens.case_token("followup", case, utcnow() + timedelta(days=1))

    assert client.post(f"/survey/{followup_token}", data={"score": "5"}).status_code == 400


def test_the_survey_window_closes_after_its_expiry(client, db, customer):
    case = make_case(customer)
    token = _link_token(case)
    service.record_score(case, 4)
    survey = service.survey_for(case)
    db.session.commit()

    later = survey.expires_at + timedelta(seconds=1)
    try:
        service.record_score(case, 1, now=later)
    except service.AnswerRefused as refused:
        assert refused.reason == "closed"
    else:
        raise AssertionError("an answer after the window was recorded")
    assert client.get(f"/survey/{token}").status_code == 200


def test_hostile_scores_are_refused_without_recording(client, db, customer):
    token = _link_token(make_case(customer))

    for score in ("", "0", "6", "-1", "five", "<script>alert(1)</script>", "9" * 500):
        response = client.post(f"/survey/{token}", data={"score": score})
        assert response.status_code == 400
        assert "Please choose a rating from 1 to 5." in response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert _answers(db) == 0
    assert client.get(f"/survey/{token}?score=<script>").status_code == 200


def test_huge_or_garbage_tokens_are_refused(client):
    for token in ("x", "a.b.c", "A" * 5000, "%00"):
        assert client.get(f"/survey/{token}").status_code in (400, 404)


def test_optional_questions_are_added_to_the_rating(client, db, customer):
    token = _link_token(make_case(customer))
    client.post(f"/survey/{token}", data={"score": "4"})

    response = client.post(f"/survey/{token}/details", data={
        "ces": "6", "speed": "4", "attitude": "5", "solved": "yes", "nps": "9", "comment": "Quick and kind."})

    assert response.status_code == 303
    answer = db.session.scalars(select(SurveyAnswer)).one()
    assert (answer.score, answer.ces, answer.speed, answer.attitude, answer.solved, answer.nps, answer.comment) == \
        (4, 6, 4, 5, True, 9, "Quick and kind.")


def test_optional_questions_out_of_range_keep_what_was_typed_and_say_why(client, db, customer):
    token = _link_token(make_case(customer))
    client.post(f"/survey/{token}", data={"score": "4"})

    response = client.post(f"/survey/{token}/details", data={"ces": "8", "nps": "11", "solved": "maybe",
                                                             "comment": "<b>keep me</b>"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please choose a value from 1 to 7." in page
    assert "Please choose a value from 0 to 10." in page
    assert "Please answer yes or no." in page
    assert "&lt;b&gt;keep me&lt;/b&gt;" in page
    assert db.session.scalars(select(SurveyAnswer)).one().ces is None


def test_a_comment_over_the_limit_is_refused(client, db, customer):
    token = _link_token(make_case(customer))
    client.post(f"/survey/{token}", data={"score": "4"})

    response = client.post(f"/survey/{token}/details", data={"comment": "x" * 2001})

    assert response.status_code == 400
    assert "under 2000 characters" in response.get_data(as_text=True)


def test_optional_questions_before_a_rating_are_refused(client, db, customer):
    token = _link_token(make_case(customer))

    response = client.post(f"/survey/{token}/details", data={"ces": "5"})

    assert response.status_code == 409
    assert "Please send your rating first." in response.get_data(as_text=True)


def test_with_htmx_the_rating_returns_the_survey_fragment_with_the_questions(client, db, customer):
    case = make_case(customer)
    token = _link_token(case)

    response = client.post(f"/survey/{token}", data={"score": "2"}, headers={"HX-Request": "true"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith(f'<section id="survey-{case.id}"')
    assert "<html" not in page
    assert "A few more questions (optional)" in page
    assert "HX-Request" in response.headers["Vary"]
    details = client.post(f"/survey/{token}/details", data={"comment": "Too slow"}, headers={"HX-Request": "true"})
    assert details.status_code == 200
    assert "Thank you for your answers." in details.get_data(as_text=True)


def test_without_htmx_the_page_is_whole(client, db, customer):
    response = client.get(f"/survey/{_link_token(make_case(customer))}")

    assert "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_the_inline_survey_shows_only_for_resolved_cases(app, db, customer):
    from flask import render_template_string

    resolved, open_case = make_case(customer), make_case(customer, status="escalated")
    with app.test_request_context():
        shown = render_template_string('{% include "surveys/_case_rating.html" %}', case=resolved)
        hidden = render_template_string('{% include "surveys/_case_rating.html" %}', case=open_case)

    assert f'id="survey-{resolved.id}"' in shown
    assert "survey-" not in hidden.strip()


def test_the_survey_page_works_in_chinese(client, db, make_customer):
    case = make_case(make_customer(locale="zh"))
    client.post("/locale", data={"locale": "zh", "next": "/"})

    response = client.get(f"/survey/{_link_token(case)}?score=3")

    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.get_data(as_text=True)
