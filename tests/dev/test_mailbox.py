"""The dev mailbox: only in development, lists the file sink's messages, shows each with working links."""

from portal.jobs import schedule
from worker import runtime


def _send_welcome(app, db, customer):
    schedule("mail.welcome", customer.id, key=f"welcome:{customer.id}")
    db.session.commit()
    runtime.run(app, burst=True)


def test_the_mailbox_is_not_found_outside_development(app, client):
    assert app.config["DEV_MODE"] is False
    for path in ("/dev/mailbox", "/dev/mailbox/anything", "/dev/mailbox/anything/html"):
        assert client.get(path).status_code == 404


def test_the_mailbox_lists_messages_and_shows_one_with_working_links(app, db, redis, client, customer, mail_sink):
    app.config["DEV_MODE"] = True
    _send_welcome(app, db, customer)
    [message] = mail_sink.messages()
    message_id = message["Message-ID"].strip("<>").split("@")[0]

    listing = client.get("/dev/mailbox").get_data(as_text=True)
    assert "Welcome to our help center" in listing
    assert f"/dev/mailbox/{message_id}" in listing

    page = client.get(f"/dev/mailbox/{message_id}")
    assert page.status_code == 200
    assert '<a href="http://portal.test/">http://portal.test/</a>' in page.get_data(as_text=True)
    assert f'src="/dev/mailbox/{message_id}/html"' in page.get_data(as_text=True)


def test_the_html_part_is_served_sandboxed_under_a_strict_policy(app, db, redis, client, customer, mail_sink):
    app.config["DEV_MODE"] = True
    _send_welcome(app, db, customer)
    message_id = mail_sink.messages()[0]["Message-ID"].strip("<>").split("@")[0]

    response = client.get(f"/dev/mailbox/{message_id}/html")

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert '<base target="_top">' in response.get_data(as_text=True)


def test_a_script_in_a_mail_is_shown_as_text_not_run(app, client, mail_sink):
    from email.message import EmailMessage

    app.config["DEV_MODE"] = True
    mail_sink.directory.mkdir(parents=True, exist_ok=True)
    message = EmailMessage()
    message["Subject"] = "<script>alert(1)</script>"
    message["To"] = "x@example.com"
    message.set_content("<script>alert(2)</script> see https://example.com/a?b=<c>")
    (mail_sink.directory / "evil.eml").write_bytes(bytes(message))

    listing = client.get("/dev/mailbox").get_data(as_text=True)
    page = client.get("/dev/mailbox/evil").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in listing
    assert "<script>alert(2)</script>" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert '<a href="https://example.com/a?b=">' in page


def test_unknown_or_path_like_message_ids_are_not_found(app, client):
    app.config["DEV_MODE"] = True
    for message_id in ("nope", "..%2F..%2Fsecret_key", "a" * 300, "%00"):
        assert client.get(f"/dev/mailbox/{message_id}").status_code == 404


def test_with_an_smtp_server_the_mailbox_says_messages_are_not_kept(app, client):
    app.config.update(DEV_MODE=True, MAIL_URL="smtp://127.0.0.1:25")

    assert "messages are not kept here" in client.get("/dev/mailbox").get_data(as_text=True)
