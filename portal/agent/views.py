"""Agent pages: every view is for signed-in staff, works as a plain form POST, and htmx only spares reloads."""

from datetime import UTC

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from portal import bookings, labels, masking
from portal.agent import bp, canned, forms, presence, service
from portal.auth.staff import current_staff, staff_required
from portal.extensions import db
from portal.i18n import force_locale, ngettext
from portal.i18n import gettext as _
from portal.models import Callback, CannedReply, Staff, utcnow
from portal.numbers import parse_int
from portal.returns import parcel
from portal.web import external_url, render_fragment

REFUSALS = {
    "empty": lambda: _("Write something first."),
    "too long": lambda: _("That is too long: write at most %(max)d characters.", max=service.MAX_MESSAGE_CHARS),
    "not a return": lambda: _("Only returns, exchanges and repairs are approved or rejected."),
    "status": lambda: _("The case has moved on meanwhile; that action no longer applies."),
    "reason": lambda: _("Give a reason."),
    "type": lambda: _("Choose a resolution."),
    "amount": lambda: _("Enter an amount greater than 0."),
    "urgency": lambda: _("Choose high, medium or low."),
    "unknown agent": lambda: _("Choose an active colleague."),
    "field": lambda: _("Only the e-mail address or the phone number can be revealed."),
    "closed": lambda: _("That call is already closed."),
    "note": lambda: _("Write what came of the call."),
    "due": lambda: _("Choose a time in the next 60 days."),
    "resolved": lambda: _("This case is resolved: the customer can reopen it if the problem is back."),
}


def _refusal(refused):
    message = REFUSALS.get(refused.message)
    return message() if message else str(refused.message)


def _case_or_404(reference):
    case = service.case_by_reference(reference)
    if case is None:
        abort(404)
    return case


@bp.get("/agent")
@staff_required("agent")
def queue():
    """Escalated, unresolved cases by priority then due time; the list refreshes itself every 15 s."""
    filters = service.parse_filters(request.args)
    now = utcnow()
    cases, more = service.queue(current_staff(), filters, now, current_app.config["AGENT_QUEUE_PAGE_SIZE"])
    return render_fragment("agent/queue.html", "agent/_queue.html", cases=cases, more=more, filters=filters,
                           now=now, clocks=service.clocks, refused_events=parcel.recent_refusals(now))


@bp.post("/agent/cases/<reference>/take")
@staff_required("agent")
def take(reference):
    """Assign the case to me, unless a colleague took it meanwhile."""
    case = _case_or_404(reference)
    try:
        service.take(case, current_staff())
    except service.ActionRefused as refused:
        db.session.rollback()
        flash(_("%(name)s took case %(ref)s a moment ago; it is theirs now.",
                name=refused.message or _("A colleague"), ref=case.reference), "warning")
        return redirect(url_for("agent.queue"))
    db.session.commit()
    flash(_("Case %(ref)s is yours.", ref=case.reference), "success")
    return redirect(url_for("agent.workspace", reference=case.reference))


def _field_errors(form):
    """{input id: first message} of a refused form, for the summary at the top of the workspace."""
    return {form[name].id: messages[0] for name, messages in form.errors.items() if name and messages}


def _workspace_context(case, reply_form=None, revealed=None, draft=None, field_errors=None, **forms_given):
    staff = current_staff()
    now = utcnow()
    reply_form = reply_form or forms.ReplyForm(formdata=None, body=draft or "")
    reassign = forms_given.get("reassign_form") or forms.ReassignForm(formdata=None)
    reassign.staff_id.choices = [(s.id, s.name or s.email) for s in service.active_agents()]
    timeline = sorted([("message", m.created_at, m) for m in case.messages]
                      + [("event", e.created_at, e) for e in case.events], key=lambda item: item[1])
    locale = case.customer.locale if case.customer else "en"
    articles = service.suggested_articles(case)
    return {
        "case": case, "me": staff, "now": now, "clocks": service.clocks(case, now),
        "panel": service.customer_panel(case, now), "timeline": timeline,
        "articles": articles, "actions": service.suggested_actions(case, articles),
        "canned_replies": canned.replies_for(locale),
        "reply_form": reply_form,
        "note_form": forms_given.get("note_form") or forms.NoteForm(formdata=None),
        "decision_form": forms_given.get("decision_form") or forms.ReturnDecisionForm(formdata=None),
        "resolve_form": forms_given.get("resolve_form") or forms.ResolveForm(formdata=None, currency=case.currency),
        "receive_form": forms_given.get("receive_form") or forms.ReceiveParcelForm(formdata=None),
        "shop_events": parcel.shop_events(case),
        "urgency_form": forms_given.get("urgency_form") or forms.UrgencyForm(formdata=None, urgency=case.urgency),
        "reassign_form": reassign, "revealed": revealed or {},
        "mask_email": masking.mask_email, "mask_phone": masking.mask_phone,
        "return_kinds": service.RETURN_KINDS, "resolved": service.is_resolved(case),
        "photos": case.attachments, "field_errors": field_errors or {},
    }


@bp.get("/agent/cases/<reference>")
@staff_required("agent")
def workspace(reference):
    """One case: conversation and timeline, the customer beside it, and every action."""
    case = _case_or_404(reference)
    return render_template("agent/workspace.html", **_workspace_context(case))


@bp.get("/agent/cases/<reference>/draft")
@staff_required("agent")
def draft(reference):
    """The reply form with a canned reply, an article link or a self-service link added to what was typed
    (changes nothing stored)."""
    case = _case_or_404(reference)
    text = (request.args.get("body") or "")[:service.MAX_MESSAGE_CHARS]
    addition = ""
    slug = request.args.get("article", "")
    action = request.args.get("action", "")
    canned_id = parse_int(request.args.get("canned"))
    # The article and action buttons submit the whole reply form, canned choice included: the button wins.
    if slug:
        article = next((a for a in service.suggested_articles(case) if a.slug == slug), None)
        if article is not None:
            addition = f"{article.title}: {external_url('help.article', slug=article.slug)}"
    elif action:
        # In the customer's language: the link goes into a reply to them.
        with force_locale(case.customer.locale if case.customer else "en"):
            card = next((c for c in service.suggested_actions(case, service.suggested_articles(case))
                         if c["name"] == action), None)
            if card is not None:
                addition = f"{card['label']}: {card['link']}"
    elif canned_id is not None:
        reply = db.session.get(CannedReply, canned_id)
        if reply is not None:
            addition = canned.fill(reply.body, case)
    text = "\n\n".join(part for part in (text.rstrip(), addition) if part)
    context = _workspace_context(case, draft=text[:service.MAX_MESSAGE_CHARS])
    return render_fragment("agent/workspace.html", "agent/_reply_form.html", **context)


def _act(case, form_name, form, action, done_message):
    """Validate, run the service action, commit and go back to the case; errors re-render the page (400) with
    a summary at its top, since the form itself may be a screen or two further down."""
    if form.validate_on_submit():
        try:
            action(form)
        except service.ActionRefused as refused:
            db.session.rollback()
            flash(_refusal(refused), "error")
        else:
            db.session.commit()
            flash(done_message, "success")
            return redirect(url_for("agent.workspace", reference=case.reference))
    context = _workspace_context(case, field_errors=_field_errors(form), **{form_name: form})
    return render_template("agent/workspace.html", **context), 400


@bp.post("/agent/cases/<reference>/reply")
@staff_required("agent")
def reply(reference):
    """Send a reply: the customer sees it and is notified."""
    case = _case_or_404(reference)
    form = forms.ReplyForm()
    seen = presence.message_id(request.form.get("seen"))
    if "seen" in request.form and seen is None:
        abort(400)
    missed = presence.replied_meanwhile(case, current_staff(), seen) \
        if seen is not None and form.validate_on_submit() else []
    if missed:
        # Someone answered since this page was drawn: show it and keep the draft; sending again sends.
        flash(ngettext("%(num)d new reply arrived while you wrote yours. Read it, then send yours again.",
                       "%(num)d new replies arrived while you wrote yours. Read them, then send yours again.",
                       len(missed)), "warning")
        return render_template("agent/workspace.html", **_workspace_context(case, reply_form=form)), 409
    return _act(case, "reply_form", form, lambda f: service.reply(case, current_staff(), f.body.data),
                _("Your reply was sent to the customer."))


@bp.post("/agent/cases/<reference>/note")
@staff_required("agent")
def note(reference):
    """Add an internal note, for staff only."""
    case = _case_or_404(reference)
    form = forms.NoteForm()
    return _act(case, "note_form", form, lambda f: service.add_note(case, current_staff(), f.body.data),
                _("Internal note added. The customer does not see it."))


@bp.post("/agent/cases/<reference>/return-decision")
@staff_required("agent")
def return_decision(reference):
    """Approve or reject a return, exchange or repair."""
    case = _case_or_404(reference)
    form = forms.ReturnDecisionForm()
    return _act(case, "decision_form", form,
                lambda f: service.decide_return(case, current_staff(), f.decision.data == "approve", f.reason.data),
                _("Your decision was recorded and the customer is told."))


@bp.post("/agent/cases/<reference>/received")
@staff_required("agent")
def receive_parcel(reference):
    """Mark the return parcel received by hand (the shop has no integration to say so); audited."""
    case = _case_or_404(reference)
    form = forms.ReceiveParcelForm()
    return _act(case, "receive_form", form, lambda f: service.receive_parcel(case, current_staff(), f.note.data),
                _("The parcel is marked received; the customer is told."))


@bp.post("/agent/cases/<reference>/resolve")
@staff_required("agent")
def resolve(reference):
    """Resolve the case with what was done for the customer."""
    case = _case_or_404(reference)
    form = forms.ResolveForm(currency=case.currency)
    return _act(case, "resolve_form", form,
                lambda f: service.resolve(case, current_staff(), f.resolution_type.data, f.amount_cents,
                                          f.note.data),
                _("Case %(ref)s is resolved.", ref=case.reference))


@bp.post("/agent/cases/<reference>/reassign")
@staff_required("agent")
def reassign(reference):
    """Hand the case to a colleague."""
    case = _case_or_404(reference)
    form = forms.ReassignForm()
    form.staff_id.choices = [(s.id, s.name or s.email) for s in service.active_agents()]
    return _act(case, "reassign_form", form,
                lambda f: service.reassign(case, current_staff(), db.session.get(Staff, f.staff_id.data),
                                           f.reason.data),
                _("The case was handed over."))


@bp.post("/agent/cases/<reference>/urgency")
@staff_required("agent")
def urgency(reference):
    """Change the case's urgency, with a reason on the timeline."""
    case = _case_or_404(reference)
    form = forms.UrgencyForm()
    return _act(case, "urgency_form", form,
                lambda f: service.change_urgency(case, current_staff(), f.urgency.data, f.reason.data),
                _("The urgency was changed."))


@bp.get("/agent/orders/<number>")
@staff_required("agent")
def order(number):
    """One order as the shop knows it: items, delivery, and the cases about it."""
    found, about = service.order_with_cases(number[:40])
    if found is None:
        abort(404)
    return render_template("agent/order.html", order=found, cases=about)


@bp.post("/agent/cases/<reference>/reveal")
@staff_required("agent")
def reveal(reference):
    """Show the customer's e-mail address or phone number (recorded in the audit log)."""
    case = _case_or_404(reference)
    form = forms.RevealForm()
    if not form.validate_on_submit():
        abort(400)
    value = service.reveal_contact(case, current_staff(), form.field.data)
    db.session.commit()
    context = _workspace_context(case, revealed={form.field.data: value})
    return render_fragment("agent/workspace.html", "agent/_contact.html", **context)


# ---- Callbacks ----------------------------------------------------------------------------------------------

@bp.get("/agent/callbacks")
@staff_required("agent")
def callbacks():
    """Follow-up calls the worker created: due ones first."""
    now = utcnow()
    only_due = request.args.get("due") == "1"
    calls = service.open_callbacks(now, only_due=only_due)
    return render_template("agent/callbacks.html", callbacks=calls, now=now, only_due=only_due,
                           booked=bookings.booked_callback_ids([call.id for call in calls]))


def _callback_or_404(callback_id):
    callback = db.session.get(Callback, callback_id)
    if callback is None:
        abort(404)
    return callback


@bp.post("/agent/callbacks/<int:callback_id>")
@staff_required("agent")
def callback_action(callback_id):
    """Complete the call with its outcome, or reopen the case when the problem is not fixed."""
    callback = _callback_or_404(callback_id)
    form = forms.CallbackOutcomeForm()
    action = form.action.data
    if action not in ("complete", "reopen"):
        abort(400)
    if not form.validate_on_submit():
        flash(_("Write what came of the call."), "error")
        return redirect(url_for("agent.callbacks"))
    operation = service.complete_callback if action == "complete" else service.reopen_from_callback
    try:
        operation(callback, current_staff(), form.note.data)
    except service.ActionRefused as refused:
        db.session.rollback()
        flash(_refusal(refused), "error")
        return redirect(url_for("agent.callbacks"))
    db.session.commit()
    flash(_("The call was closed.") if action == "complete"
          else _("Case %(ref)s was reopened.", ref=callback.case.reference), "success")
    return redirect(url_for("agent.callbacks"))


@bp.post("/agent/callbacks/<int:callback_id>/reschedule")
@staff_required("agent")
def callback_reschedule(callback_id):
    """Move the call to another time."""
    callback = _callback_or_404(callback_id)
    form = forms.RescheduleForm()
    if not form.validate_on_submit():
        flash(_("Choose a date and time."), "error")
        return redirect(url_for("agent.callbacks"))
    try:
        service.reschedule_callback(callback, current_staff(), form.due_at.data.replace(tzinfo=UTC))
    except service.ActionRefused as refused:
        db.session.rollback()
        flash(_refusal(refused), "error")
        return redirect(url_for("agent.callbacks"))
    db.session.commit()
    flash(_("The call was moved."), "success")
    return redirect(url_for("agent.callbacks"))


def _span(seconds):
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return _("%(m)d min", m=minutes)
    if minutes < 48 * 60:
        return _("%(h)d h %(m)d min", h=minutes // 60, m=minutes % 60)
    return _("%(d)d days", d=minutes // (24 * 60))


def countdown(clock):
    """A clock in words: time left, time overdue, paused, or whether it was met."""
    if clock.due is None:
        return _("no target")
    if clock.paused:
        return _("paused: waiting for the customer's parcel")
    if not clock.running:
        return _("met") if not clock.breached else _("missed")
    seconds = clock.remaining.total_seconds()
    return _("%(span)s left", span=_span(seconds)) if seconds >= 0 else _("%(span)s overdue", span=_span(seconds))


def age(when, now):
    """How long ago, in the queue's short words."""
    return _span((now - when).total_seconds()) if when else ""


def label(code, kind):
    """A stored code in the reader's words (see portal.labels)."""
    return labels.label(code, kind)


def case_category(case):
    return labels.category(case.kind, case.category)


def case_outcome(case):
    return labels.desired_outcome(case.kind, case.desired_outcome)


def event_text(event):
    return labels.event_text(event)
