"""The customer's case pages; the lifecycle they show is portal.casework."""

from flask import Blueprint

# The routes are in views.py, imported by create_app.
bp = Blueprint("cases", __name__, url_prefix="/cases")
