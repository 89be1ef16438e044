"""Returns, exchanges and repairs: the eligibility policy, the 4-step wizard, the label and the parcel."""

from flask import Blueprint

# The routes are in views.py, imported by create_app: the rules (policy, service) import without them.
bp = Blueprint("returns", __name__, url_prefix="/returns")
