"""Complaints: the form (with help articles suggested while typing) and triage."""

from flask import Blueprint

# The routes are in views.py, imported by create_app: the rules (policy, service) import without them.
bp = Blueprint("complaints", __name__, url_prefix="/complaints")
