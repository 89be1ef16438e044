"""Messages as portal.mail builds them, read back the way a mail client parses them."""

import email
from email import policy

from portal import mail


def _parsed(message):
    raw = bytes(message)
    return raw, email.message_from_bytes(raw, policy=policy.default)


def test_chinese_subject_sender_name_and_bodies_arrive_as_written(app):
    app.config["MAIL_FROM"] = "帮助中心 <help@shop.example>"
    text = "陈伟，您好：\n\n我们已经处理了您的请求。\n"
    html = "<p>陈伟，您好：</p>"

    raw, parsed = _parsed(mail.build_message("wei@example.com", "您的请求 C-000001 已解决", text, html))

    assert raw.isascii(), "non-ASCII must travel encoded (RFC 2047 headers, quoted-printable bodies)"
    assert parsed["Subject"] == "您的请求 C-000001 已解决"
    assert (parsed["From"].addresses[0].display_name, parsed["From"].addresses[0].addr_spec) == \
        ("帮助中心", "help@shop.example")
    assert parsed["To"] == "wei@example.com"
    assert parsed.get_body(("plain",)).get_content() == text
    assert parsed.get_body(("html",)).get_content().strip() == html


def test_an_ascii_line_longer_than_smtp_allows_is_wrapped_and_comes_back_whole(app):
    line = "x" * 1500

    raw, parsed = _parsed(mail.build_message("a@example.com", "Long", line + "\n"))

    assert max(len(raw_line) for raw_line in raw.split(b"\n")) <= 998
    assert parsed.get_content() == line + "\n"


def test_extra_headers_and_a_message_id_are_set(app):
    _raw, parsed = _parsed(mail.build_message("a@example.com", "Hi", "text", "<p>html</p>",
                                              headers={"List-Unsubscribe": "<https://portal.test/u>"}))

    assert parsed["List-Unsubscribe"] == "<https://portal.test/u>"
    assert parsed["Message-ID"].endswith("@shop.example>")  # MAIL_REPLY_DOMAIN: replies thread to us
    assert parsed.get_content_type() == "multipart/alternative"
