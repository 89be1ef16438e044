"""The help assistant: a short conversation that answers common questions or hands over to a person."""

from flask import Blueprint

bp = Blueprint("assistant", __name__)

from portal.assistant import views  # noqa: E402, F401 - registers the routes on bp
