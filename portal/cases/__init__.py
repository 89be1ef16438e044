"""The case lifecycle shared by returns and complaints, and the customer's case pages."""

from flask import Blueprint

# The routes are in views.py, imported by create_app: the rules (policy, service) import without them.
bp = Blueprint("cases", __name__, url_prefix="/cases")
