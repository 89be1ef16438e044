"""The workspace kept current while it is open: colleagues on the same case, who is typing, new messages.

htmx polls one small POST (presence is a report, so not a GET) every PRESENCE_POLL_SECONDS; see the README's
"Agents see each other" for why polling and not server-sent events.
"""

from flask import abort, redirect, render_template, request, url_for

from portal.agent import bp, presence, service
from portal.auth.staff import current_staff, staff_required
from portal.extensions import htmx


def _message_id(name):
    # Two message ids from the page: the last one it shows, and the last one it showed when drawn.
    message_id = presence.message_id(request.form.get(name, "0"))
    if message_id is None:
        abort(400)
    return message_id


@bp.post("/agent/cases/<reference>/presence")
@staff_required("agent")
def presence_report(reference):
    """Report that I have the case open (and whether I am typing); answer with who else is, and new messages."""
    case = service.case_by_reference(reference)
    if case is None:
        abort(404)
    after, seen = _message_id("after"), _message_id("seen")
    me = current_staff()
    present = presence.report(case.id, me.id, typing=request.form.get("typing") == "1")
    if not htmx:
        return redirect(url_for("agent.workspace", reference=case.reference), 303)
    new_messages = presence.messages_after(case, after)
    unseen = presence.replied_meanwhile(case, me, seen)
    return render_template("agent/_presence_status.html", case=case, presence=present, new_messages=new_messages,
                           unseen=unseen, after=new_messages[-1].id if new_messages else after, seen=seen)


def last_message_id(case):
    return presence.last_message_id(case)
