"""Feedback after a case: the satisfaction survey, the follow-up check-in's answers, and unsubscribing."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)

from portal.surveys import views  # noqa: E402,F401  (registers the routes on bp)
