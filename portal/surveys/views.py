"""/survey/<token>, /followup/<token>, /unsubscribe/<token> and the account page's feedback-mail switch.

Links in e-mails only show a page (GET); the customer's click on its button records (POST), so a mail
scanner that follows every link changes nothing.
"""

from flask import abort, flash, make_response, redirect, render_template, request, url_for

from portal.auth.customers import current_customer, customer_required
from portal.extensions import csrf, db, htmx
from portal.i18n import gettext as _
from portal.models import utcnow
from portal.surveys import bp, followups, service, tokens
from portal.web import no_store, render_fragment

REFUSED_STATUS = {"invalid": 400, "expired": 410, "other_case": 404}


def _refused(error, purpose):
    return render_template("surveys/link_refused.html", reason=error.reason, purpose=purpose), \
        REFUSED_STATUS[error.reason]


def _survey_context(case, token, selected=None, errors=None, details=None, message=""):
    survey = service.survey_for(case)
    answer = survey.answer if survey else None
    return {"case": case, "survey_token": token, "answer": answer,
            "selected": selected or (answer.score if answer else None), "errors": errors or {},
            "details": details, "closed": utcnow() >= service.window_end(case, survey),
            "window_end": service.window_end(case, survey), "message": message}


def _survey_response(context, status=200):
    response = render_fragment("surveys/answer.html", "surveys/_survey.html", **context)
    response.status_code = status
    return response


@bp.get("/survey/<token>")
def answer(token):
    """The rating the customer clicked in the e-mail, pre-selected; the page's script sends it at once."""
    try:
        case = tokens.read_case("survey", token, utcnow())
    except tokens.LinkRefused as error:
        return _refused(error, "survey")
    context = _survey_context(case, token, selected=service.parse_score(request.args.get("score")))
    # GET records nothing (mail scanners open links): a clicked rating not yet saved is posted by the browser.
    clicked = request.args.get("score") is not None and context["selected"] is not None
    saved_score = context["answer"].score if context["answer"] else None
    context["autosubmit"] = clicked and not context["closed"] and context["selected"] != saved_score
    return _survey_response(context)


@bp.post("/survey/<token>")
def record(token):
    """Record (or replace) the rating."""
    now = utcnow()
    try:
        case = tokens.read_case("survey", token, now)
    except tokens.LinkRefused as error:
        return _refused(error, "survey")
    score = service.parse_score(request.form.get("score"))
    if score is None:
        return _survey_response(_survey_context(case, token, errors={"score": "missing"}), 400)
    try:
        service.record_score(case, score, now)
    except service.AnswerRefused:
        return _survey_response(_survey_context(case, token, errors={"form": "closed"}), 410)
    db.session.commit()
    if htmx and not htmx.boosted:
        return _survey_response(_survey_context(case, token, message=_("Thank you. Your rating is saved.")))
    flash(_("Thank you. Your rating is saved."), "success")
    return redirect(url_for("surveys.answer", token=token), code=303)


@bp.post("/survey/<token>/details")
def details(token):
    """The optional questions after the rating."""
    now = utcnow()
    try:
        case = tokens.read_case("survey", token, now)
    except tokens.LinkRefused as error:
        return _refused(error, "survey")
    values, errors = service.clean_details(request.form)
    if errors:
        return _survey_response(_survey_context(case, token, errors=errors, details=request.form), 400)
    try:
        service.record_details(case, values, now)
    except service.AnswerRefused as refused:
        return _survey_response(_survey_context(case, token, errors={"form": refused.reason}), 409
                                if refused.reason == "no_score" else 410)
    db.session.commit()
    if htmx and not htmx.boosted:
        return _survey_response(_survey_context(case, token, message=_("Thank you for your answers.")))
    flash(_("Thank you for your answers."), "success")
    return redirect(url_for("surveys.answer", token=token), code=303)


@bp.route("/followup/<token>", methods=["GET", "POST"])
def followup(token):
    """The check-in's "is it fixed?": GET asks to confirm the answer clicked, POST records it."""
    now = utcnow()
    try:
        case = tokens.read_case("followup", token, now)
    except tokens.LinkRefused as error:
        return _refused(error, "followup")
    chosen = request.values.get("answer")
    if chosen not in ("yes", "no"):
        chosen = None
    if request.method == "GET" or chosen is None:
        status = 400 if request.method == "POST" else 200
        return render_template("surveys/followup.html", case=case, token=token, chosen=chosen,
                               missing=request.method == "POST"), status
    outcome = followups.record_answer(case, chosen == "yes", now)
    db.session.commit()
    return render_template("surveys/followup_done.html", case=case, outcome=outcome)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail provider POSTs without our form; the signed token is the proof
def unsubscribe(token):
    """Stop surveys and follow-up e-mails: GET asks to confirm, POST applies."""
    try:
        customer = tokens.read_customer("unsubscribe", token, utcnow())
    except tokens.LinkRefused as error:
        return _refused(error, "unsubscribe")
    if request.method == "GET":
        return render_template("surveys/unsubscribe.html", token=token, customer=customer)
    service.set_feedback_mail(customer, wanted=False)
    db.session.commit()
    return render_template("surveys/unsubscribed.html", customer=customer)


@bp.post("/account/feedback-mail")
@customer_required
def feedback_mail():
    """The account page's switch for surveys and follow-up e-mails."""
    customer = current_customer()
    wanted = request.form.get("wanted")
    if wanted not in ("on", "off"):
        abort(400)
    service.set_feedback_mail(customer, wanted=wanted == "on")
    db.session.commit()
    message = _("We will send you surveys and follow-up e-mails.") if wanted == "on" else \
        _("We will not send you surveys or follow-up e-mails any more.")
    if htmx and not htmx.boosted:
        response = make_response(render_template("account/_feedback_mail.html", customer=customer,
                                                 feedback_message=message))
    else:
        flash(message, "success")
        response = redirect(url_for("account.index"), code=303)
    response.vary.add("HX-Request")
    return no_store(response)


@bp.app_context_processor
def inline_survey():
    """`survey_inline(case)` for the case page's "rate this" slot (templates/surveys/_case_rating.html)."""
    return {"survey_inline": service.inline_state}
