"""A customer rates a resolved case 2 from the survey e-mail found in the dev mailbox; an agent callback follows."""

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from portal.casework import service as cases
from portal.models import Callback, SurveyAnswer, utcnow
from tests.e2e.conftest import screenshot
from tests.worker.cases import make_case
from worker import runtime


def test_a_rating_of_two_from_the_mailbox_creates_a_callback(live_server, page, db, redis, customer, agent):
    app = live_server.app
    app.config.update(DEV_MODE=True, PUBLIC_BASE_URL=live_server.url)  # the e-mail's links lead here
    case = make_case(customer, status="escalated", escalated=True, resolved_at=None,
                     resolution_type="explanation")
    cases.transition(case, "resolved", actor_type="staff", staff=agent, reason="explained the delay")
    db.session.commit()

    runtime.run(app, burst=True, now=utcnow() + app.config["SURVEY_DELAY"] + timedelta(minutes=1))

    page.goto(f"{live_server.url}/dev/mailbox")
    page.get_by_role("link", name=f"How did we do with case {case.reference}?").click()
    page.locator("pre a[href*='score=2']").click()

    expect(page.get_by_role("radio", name="2 – Poor")).to_be_checked()
    # The page sends the clicked rating itself (issue 21): no confirming click.
    expect(page.get_by_text("Thank you. Your rating is saved.")).to_be_visible()
    page.get_by_label("Anything else you want to tell us?").fill("It took three e-mails to get an answer.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Thank you for your answers.")).to_be_visible()
    screenshot(page, "survey-low-rating")

    db.session.expire_all()
    answer = db.session.scalars(select(SurveyAnswer)).one()
    assert (answer.score, answer.comment) == (2, "It took three e-mails to get an answer.")
    [callback] = db.session.scalars(select(Callback)).all()
    assert (callback.case_id, callback.reason, callback.status) == (case.id, "low_rating", "open")


def test_the_survey_works_without_javascript(live_server, browser, db, redis, customer):
    from portal.surveys import service

    case = make_case(customer)
    path = service.rating_links(case, None)[4][1].replace("http://portal.test", "")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + path)
        expect(page.get_by_role("radio", name="5 – Excellent")).to_be_checked()
        page.get_by_role("button", name="Send my rating").click()
        expect(page.get_by_text("Thank you. Your rating is saved.")).to_be_visible()
    finally:
        context.close()
    db.session.expire_all()
    assert db.session.scalars(select(SurveyAnswer)).one().score == 5
