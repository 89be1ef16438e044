"""Jobs for mail that reached us: decide what a stored message becomes, and write back when that is due."""

import logging
import re

from flask import render_template

from portal import mail
from portal.casework import photos
from portal.extensions import db
from portal.i18n import force_locale
from portal.i18n import gettext as _
from portal.inbound import parse, service
from portal.models import Case, InboundMessage
from portal.web import external_url
from worker import notifications

log = logging.getLogger("worker.inbound")
CJK = re.compile(r"[\u4e00-\u9fff]")


def process(inbound_id):
    """One stored message: a reply on its case, a new case, an answer due, or dropped with its reason."""
    return service.process(inbound_id)


def answer(inbound_id):
    """Our one answer to mail we could not take: where to go instead. Marked as an automatic reply (RFC 3834) so
    that the sender's auto-responder stays quiet. (A case opened from mail is answered by its own notification.)"""
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.answered_at is None:
        return "nothing to answer"
    original = parse.read(row.raw)
    headers = _auto_reply_headers(original)
    customer = service.customer_by_address(row.sender)
    locale = customer.locale if customer is not None else _guess_locale(original)
    with force_locale(locale):
        context = {"help_link": external_url("help.index"), "signin_link": external_url("auth.signin")}
        if row.reason == "unknown_sender":
            subject, template = _("We could not match your e-mail to an account"), "inbound_unknown"
        else:
            subject, template = _("We could not add your e-mail to a case"), "inbound_refused"
        body = render_template(f"emails/{template}.txt", subject=subject, **context)
    return mail.send(mail.build_message(row.sender, subject, body, headers=headers))


def files_not_kept(inbound_id, case_id, names):
    """Tell the customer which files of their e-mail were not kept on the case, and what is kept: a photo they
    believe sent would otherwise be missed until an agent asks for it. Answering this mail reaches the case."""
    case = db.session.get(Case, case_id)
    customer = case.customer if case is not None else None
    if customer is None or customer.anonymised_at is not None:
        return "nothing to tell"
    row = db.session.get(InboundMessage, inbound_id)
    headers = _auto_reply_headers(parse.read(row.raw) if row is not None else None)
    with force_locale(customer.locale):
        subject = _("Case %(reference)s: we could not keep some of your files", reference=case.reference)
        return notifications.deliver(customer, "files_not_kept", subject, "inbound_files_not_kept",
                                     link=notifications.case_link(case), case=case, headers=headers, names=names,
                                     max_mb=photos.max_bytes() // (1024 * 1024), max_photos=photos.MAX_PHOTOS)


def _auto_reply_headers(original):
    """An automatic reply (RFC 3834), threaded under the message it answers when that one is still kept."""
    headers = {"Auto-Submitted": "auto-replied"}
    if original is not None and original.get("Message-ID"):
        headers["In-Reply-To"] = headers["References"] = str(original["Message-ID"]).strip()
    return headers


def _guess_locale(message):
    text = f"{message.get('Subject', '')} {parse.body_text(message)[:500]}"
    return "zh" if CJK.search(text) else "en"


def start_channels(app):
    """The worker's receiving side: the SMTP server unless turned off, and the IMAP poller when configured.
    Returns what to stop at shutdown."""
    from portal.inbound.imap import IMAPPoller
    from portal.inbound.smtp import InboundSMTPServer

    config = app.config
    started = []
    if config["INBOUND_SMTP_PORT"] != "off":
        try:
            started.append(InboundSMTPServer(app, config["INBOUND_SMTP_HOST"], config["INBOUND_SMTP_PORT"]).start())
        except OSError as error:
            # One port per host: with several workers on a machine the first one serves it, the rest run jobs.
            log.warning("inbound smtp: not serving %s:%s (%s); another worker may", config["INBOUND_SMTP_HOST"],
                        config["INBOUND_SMTP_PORT"], error)
    if config["INBOUND_IMAP_URL"]:
        poller = IMAPPoller(app)
        poller.start()
        started.append(poller)
    return started
