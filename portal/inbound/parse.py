"""Reading one raw message: who sent it, to which of our addresses, the new text alone, its attachments, and
whether a machine sent it (an auto-reply, a bounce) so that it never lands and is never answered."""

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import getaddresses, parseaddr

import nh3
from mailparser_reply import EmailReplyParser

# RFC 3834 and the headers common auto-responders set without it.
AUTO_PRECEDENCE = {"bulk", "auto_reply", "junk", "list"}
AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id", "List-Unsubscribe")
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
# Chinese clients' quote headers that the reply parser's own patterns miss: Gmail "<address> 于<date>写道：",
# Apple Mail "在 <date>，<name> 写道：", Foxmail/QQ "原始邮件" separators, Outlook "发件人：" with a full-width colon.
CHINESE_QUOTE_HEADERS = re.compile(
    r"^(?:>\s*)*(?:.*于\s*\d{4}年.*写道[:：]\s*$|在\s*\d{4}.*写道[:：]\s*$|-{3,}\s*原始邮件\s*-{3,}\s*$|"
    r"(?:发件人|寄件者)[:：].*$)",
    re.MULTILINE,
)
HTML_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
REPLY_PARSER = EmailReplyParser(languages=["en", "zh"])


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_key: str
    sender: str
    recipients: list
    message_id: str = ""
    subject: str = ""
    text: str = ""
    attachments: list = field(default_factory=list)
    machine: str = ""  # "", auto_reply or bounce
    failed_recipients: list = field(default_factory=list)


def message_key(message, raw):
    """The Message-ID, or a hash of the bytes for the rare client that sends none."""
    message_id = (message.get("Message-ID") or "").strip()[:255]
    return message_id or "sha256:" + hashlib.sha256(raw).hexdigest()


def read(raw):
    return message_from_bytes(raw, policy=policy.default)


def parse(raw, envelope_recipients=()):
    message = read(raw)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    headers = [str(value) for name in ("To", "Cc", "Delivered-To", "X-Original-To")
               for value in message.get_all(name, [])]
    recipients = list(envelope_recipients) + [address for _name, address in getaddresses(headers) if address]
    parsed = ParsedMail(message_key=message_key(message, raw), sender=sender, recipients=recipients,
                        message_id=(message.get("Message-ID") or "").strip(),
                        subject=str(message.get("Subject", ""))[:200])
    parsed.machine = machine_kind(message, sender)
    if parsed.machine == "bounce":
        parsed.failed_recipients = failed_recipients(message)
        return parsed
    if parsed.machine:
        return parsed
    parsed.text = reply_text(body_text(message))
    parsed.attachments = [Attachment(part.get_filename() or "", part.get_content_type(),
                                     part.get_payload(decode=True) or b"")
                          for part in message.walk() if _is_attachment(part)]
    return parsed


def machine_kind(message, sender):
    """bounce, auto_reply, or "" for a person's message."""
    content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "").lower()
    if (content_type == "multipart/report" and report_type == "delivery-status") or BOUNCE_SENDERS.match(sender):
        return "bounce"
    if message.get("Return-Path", "").strip() == "<>" or not sender:
        return "bounce"
    auto_submitted = (message.get("Auto-Submitted") or "no").strip().lower()
    if auto_submitted != "no" or (message.get("Precedence") or "").strip().lower() in AUTO_PRECEDENCE:
        return "auto_reply"
    if any(message.get(name) for name in AUTO_HEADERS):
        return "auto_reply"
    return ""


def failed_recipients(message):
    """The addresses a delivery-status report says failed for good (RFC 3464 Final-Recipient, Action: failed)."""
    failed = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload():
            if str(block.get("Action", "")).strip().lower() != "failed":
                continue
            final = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            address = final.split(";", 1)[-1].strip().lower()
            if "@" in address:
                failed.append(address)
    return failed


def _is_attachment(part):
    if part.is_multipart() or part.get_content_maintype() == "message":
        return False
    return part.get_content_disposition() == "attachment" or (
        part.get_content_maintype() == "image" and part.get_content_disposition() in ("inline", None)
        and part.get_filename() is not None)


def body_text(message):
    """The plain-text body, or the HTML one turned into text; never any markup."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    return content


def html_to_text(markup):
    """Text alone: nh3 keeps no tag and drops scripts, styles and quoted blocks with their content."""
    markup = HTML_BREAKS.sub("\n", markup)
    text = nh3.clean(markup, tags=set(), attributes={},
                     clean_content_tags={"script", "style", "blockquote", "head", "title"})
    return html.unescape(text)


def reply_text(text):
    """The new text of a reply: the quoted history and the signature cut."""
    text = text.replace("\r\n", "\n")
    header = CHINESE_QUOTE_HEADERS.search(text)
    if header:
        text = text[:header.start()]
    reply = REPLY_PARSER.read(text).replies
    body = reply[0].body if reply else text
    lines = [line for line in body.split("\n") if not line.startswith(">")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
