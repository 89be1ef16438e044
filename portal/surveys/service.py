"""Satisfaction surveys: who is asked and when, the signed rating links, and recording the answer.

One answer per case; the customer may change it until the survey's window closes. A rating of 1-2
asks an agent to call the customer back (portal/surveys/followups.py).
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from portal import settings
from portal.extensions import db
from portal.models import Survey, SurveyAnswer, utcnow
from portal.models.cases import RESOLVED_STATUSES
from portal.numbers import parse_int
from portal.surveys import followups, tokens
from portal.web import external_url

SCORES = (1, 2, 3, 4, 5)
LOW_SCORES = (1, 2)
MAX_COMMENT_CHARS = 2000
# The optional questions after the rating: field -> allowed values (None: any text up to MAX_COMMENT_CHARS).
DETAIL_RANGES = {"ces": range(1, 8), "speed": range(1, 6), "attitude": range(1, 6), "nps": range(11)}


class AnswerRefused(Exception):
    """The answer cannot be recorded; `reason` is 'closed' (window over) or 'no_score' (details first)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def survey_for(case):
    return db.session.scalar(select(Survey).where(Survey.case_id == case.id))


def window_end(case, survey=None):
    """Until when the customer may answer: 14 days (setting) from the invitation, or from when it was due."""
    if survey is not None and survey.expires_at is not None:
        return survey.expires_at
    config = current_app.config
    resolved = case.resolved_at or case.updated_at or utcnow()
    return resolved + settings.survey_delay() + config["SURVEY_LINK_LIFETIME"]


def token_for(case, survey=None):
    return tokens.case_token("survey", case, window_end(case, survey))


def rating_links(case, survey):
    """The five one-click links of the invitation, 1 (worst) to 5 (best)."""
    token = token_for(case, survey)
    return [(score, external_url("surveys.answer", token=token, score=score)) for score in SCORES]


def is_answerable(case):
    return case.status in RESOLVED_STATUSES


# ---- Who is asked -------------------------------------------------------------------------------------------

def skip_reason(case, now):
    """Why no invitation goes out for this case now, or None to send it."""
    customer = case.customer
    if customer is None or customer.anonymised_at is not None:
        return "no recipient"
    if customer.feedback_mail_opt_out:
        return "opted out"
    if not is_answerable(case):
        return "case not resolved"
    survey = survey_for(case)
    if survey is not None and survey.sent_at is not None:
        return "already sent"
    if survey is not None and survey.answer is not None:
        return "already answered"
    if surveyed_recently(customer.id, case.id, now):
        return "surveyed recently"
    return None


def surveyed_recently(customer_id, case_id, now):
    """Whether another case's survey went to this customer within the cooldown (7 days, setting)."""
    since = now - settings.survey_cooldown()
    return db.session.scalar(select(exists().where(
        Survey.customer_id == customer_id, Survey.case_id != case_id, Survey.sent_at >= since)))


def mark_sent(case, now):
    """The survey row of an invitation sent at `now`; the window runs from here."""
    survey = survey_for(case) or Survey(case_id=case.id, customer_id=case.customer_id)
    survey.sent_at = now
    survey.expires_at = now + current_app.config["SURVEY_LINK_LIFETIME"]
    db.session.add(survey)
    return survey


def reminder_skip_reason(case, survey, now):
    """Why the one reminder does not go out, or None to send it."""
    customer = case.customer
    if customer is None or customer.anonymised_at is not None:
        return "no recipient"
    if customer.feedback_mail_opt_out:
        return "opted out"
    if survey is None or survey.sent_at is None:
        return "never invited"
    if survey.answer is not None:
        return "already answered"
    if survey.reminder_sent_at is not None:
        return "already reminded"
    if survey.expires_at is not None and survey.expires_at <= now:
        return "survey expired"
    return None


# ---- The answer ---------------------------------------------------------------------------------------------

def parse_score(raw):
    """A score 1-5 from a form or query value, or None."""
    return parse_int(raw, min(SCORES), max(SCORES))


def record_score(case, score, now=None):
    """Record (or replace) the case's rating; a low one asks an agent to call. Returns the answer."""
    now = now or utcnow()
    if score not in SCORES:
        raise ValueError(score)
    survey = survey_for(case)
    if now >= window_end(case, survey):
        raise AnswerRefused("closed")
    try:
        answer = _upsert_answer(case, survey, score, now)
    except IntegrityError:
        # The same customer answered twice at the same moment (two tabs): the other won; replace its score.
        db.session.rollback()
        answer = _upsert_answer(case, survey_for(case), score, now)
    if score in LOW_SCORES:
        followups.ensure_callback(case, "low_rating", now)
    return answer


def _upsert_answer(case, survey, score, now):
    if survey is None:
        survey = Survey(case_id=case.id, customer_id=case.customer_id, expires_at=window_end(case))
        db.session.add(survey)
    answer = survey.answer
    if answer is None:
        answer = SurveyAnswer(survey=survey, score=score, answered_at=now, updated_at=now)
        db.session.add(answer)
    else:
        answer.score = score
        answer.updated_at = now
    db.session.flush()
    return answer


def clean_details(form):
    """The optional answers from a submitted form: ({field: value}, {field: error code})."""
    values, errors = {}, {}
    for field, allowed in DETAIL_RANGES.items():
        raw = (form.get(field) or "").strip()
        if not raw:
            values[field] = None
        elif parse_int(raw) in allowed:
            values[field] = parse_int(raw)
        else:
            errors[field] = "range"
    solved = (form.get("solved") or "").strip()
    if solved in ("yes", "no"):
        values["solved"] = solved == "yes"
    elif solved:
        errors["solved"] = "range"
    else:
        values["solved"] = None
    comment = (form.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        errors["comment"] = "length"
    values["comment"] = comment
    return values, errors


def record_details(case, values, now=None):
    """Add the optional answers to the rating; they replace earlier ones."""
    now = now or utcnow()
    survey = survey_for(case)
    if now >= window_end(case, survey):
        raise AnswerRefused("closed")
    if survey is None or survey.answer is None:
        raise AnswerRefused("no_score")
    answer = survey.answer
    for field, value in values.items():
        setattr(answer, field, value)
    answer.updated_at = now
    return answer


@dataclass
class InlineSurvey:
    """What the case page's survey partial shows."""

    token: str
    answer: SurveyAnswer | None
    closed: bool


def inline_state(case, now=None):
    """The survey as the case page shows it, or None when the case is not one to rate."""
    now = now or utcnow()
    if not is_answerable(case):
        return None
    survey = survey_for(case)
    return InlineSurvey(token=token_for(case, survey), answer=survey.answer if survey else None,
                        closed=now >= window_end(case, survey))


# ---- Feedback mail preference -------------------------------------------------------------------------------

def unsubscribe_link(customer):
    return external_url("surveys.unsubscribe", token=tokens.customer_token("unsubscribe", customer))


def feedback_headers(customer):
    """List-Unsubscribe for surveys and follow-ups, one-click (RFC 8058): the POST needs no other click."""
    return {"List-Unsubscribe": f"<{unsubscribe_link(customer)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def set_feedback_mail(customer, wanted):
    """Switch surveys and follow-up e-mails on or off; transactional mail is not affected."""
    customer.feedback_mail_opt_out = not wanted
    return customer
