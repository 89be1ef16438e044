"""Opting out of surveys and follow-ups: the one-click unsubscribe link and the account page's switch."""

from portal.surveys import service, tokens
from tests.orders.helpers import sign_in_as


def _unsubscribe_path(customer):
    return service.unsubscribe_link(customer).replace("http://portal.test", "")


def test_the_unsubscribe_link_asks_first_and_changes_nothing_on_get(client, db, customer):
    response = client.get(_unsubscribe_path(customer))

    db.session.refresh(customer)
    assert response.status_code == 200
    assert "Stop these e-mails" in response.get_data(as_text=True)
    assert customer.feedback_mail_opt_out is False


def test_the_one_click_post_unsubscribes_without_a_csrf_token(app, client, db, customer):
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post(_unsubscribe_path(customer), data={"List-Unsubscribe": "One-Click"})

    db.session.refresh(customer)
    assert response.status_code == 200
    assert customer.feedback_mail_opt_out is True


def test_a_tampered_unsubscribe_link_is_refused(client, db, customer):
    path = _unsubscribe_path(customer)

    response = client.post(path[:-2] + "xx")

    db.session.refresh(customer)
    assert response.status_code == 400
    assert customer.feedback_mail_opt_out is False


def test_a_survey_link_cannot_unsubscribe(client, db, customer):
    token = tokens.sign("survey", u=customer.id)

    assert client.post(f"/unsubscribe/{token}").status_code == 400


def _sign_in(client, customer):
    sign_in_as(client, customer)


def test_the_account_switch_turns_feedback_mail_off_and_on(client, db, customer):
    _sign_in(client, customer)

    off = client.post("/account/feedback-mail", data={"wanted": "off"})
    db.session.refresh(customer)
    assert off.status_code == 303
    assert customer.feedback_mail_opt_out is True

    on = client.post("/account/feedback-mail", data={"wanted": "on"}, headers={"HX-Request": "true"})
    db.session.refresh(customer)
    assert customer.feedback_mail_opt_out is False
    assert on.get_data(as_text=True).lstrip().startswith('<section id="feedback-mail"')
    assert "HX-Request" in on.headers["Vary"]


def test_the_account_switch_refuses_bad_values_and_visitors(client, db, customer):
    assert client.post("/account/feedback-mail", data={"wanted": "off"}).status_code == 302  # to sign-in
    _sign_in(client, customer)
    for value in ("", "yes", "<script>", "x" * 10_000):
        assert client.post("/account/feedback-mail", data={"wanted": value}).status_code == 400
    db.session.refresh(customer)
    assert customer.feedback_mail_opt_out is False
