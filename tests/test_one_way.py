"""One way to do each thing: one money formatter and one date formatter (portal.formatting), one translation door
(portal.i18n), every template filter registered in one place (portal.templating), one no-store helper, one phone
mask, one writer of case audit events, one path for an order's status. A second way, once added, fails here."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("portal/**/*.py"), *ROOT.glob("worker/**/*.py")])
TEMPLATES = sorted(ROOT.glob("templates/**/*.*"))

# (what is forbidden, where it is allowed, why)
RULES = [
    (re.compile(r"^\s*(from|import) flask_babel\b", re.M), {"portal/i18n.py", "portal/formatting.py",
                                                             "portal/extensions.py"},
     "translate through portal.i18n, format through portal.formatting"),
    (re.compile(r"^\s*(from babel\.(dates|numbers) import|import babel\.(dates|numbers))", re.M),
     {"portal/formatting.py", "portal/hours.py"},  # hours.py names time zones, it formats no value
     "money and dates are formatted by portal.formatting"),
    (re.compile(r"\.strftime\("), {"portal/help/search.py"},  # an index folder's name, read by no person
     "dates people read come from portal.formatting"),
    (re.compile(r"\bdef (money|\w*format_(currency|date|datetime|time|moment))\b"), {"portal/formatting.py"},
     "portal.formatting already has this formatter"),
    (re.compile(r"_cents\s*/\s*100\b|cents\s*/\s*100\b"), set(), "portal.formatting.money takes minor units"),
    (re.compile(r"Cache-Control"), {"portal/web.py"}, "a page kept by no cache goes through portal.web.no_store"),
    (re.compile(r"\bdef mask_(phone|email)\b"), {"portal/masking.py"}, "contact details are masked by portal.masking"),
    (re.compile(r"(?<!class )\bCaseEvent\("), {"portal/casework/service.py"},
     "case audit events are written by portal.casework.service.record_event"),
    (re.compile(r"\border\.status = "), {"portal/orders/service.py"},
     "an order's status changes through portal.orders.service.move_to"),
    (re.compile(r"app_template_(filter|global)|jinja_env\.(filters|globals)\b"),
     {"portal/templating.py", "portal/i18n.py", "portal/web.py"},
     "register template filters and globals in portal/templating.py"),
]


@pytest.mark.parametrize(("pattern", "allowed", "why"), RULES, ids=[r[2] for r in RULES])
def test_no_second_way_in_the_code(pattern, allowed, why):
    offenders = [f"{path.relative_to(ROOT)}:{text[:match.start()].count(chr(10)) + 1}"
                 for path in SOURCES if str(path.relative_to(ROOT)) not in allowed
                 for text in [path.read_text(encoding="utf-8")] for match in pattern.finditer(text)]

    assert offenders == [], why


def test_templates_format_money_from_minor_units_and_dates_through_the_filters():
    maths = re.compile(r"/\s*100\b|\|currencyformat|\.strftime\(")
    offenders = [str(path.relative_to(ROOT)) for path in TEMPLATES if maths.search(path.read_text(encoding="utf-8"))]

    assert offenders == []

