"""Help-center fixtures: the test FAQ corpus imported and indexed, and stand-ins for other journeys' pages."""

import pytest
from sqlalchemy import delete

from portal.help import defaults, search
from portal.help.importer import article_files, import_files
from portal.models import OutboxRow
from tests.conftest import FAQ_CORPUS_DIR

JOURNEY_STANDINS = {"orders.track": "/orders/track", "returns.start": "/returns/start",
                    "complaints.new": "/complaints/new", "cases.index": "/cases"}


@pytest.fixture
def faq(app, db):
    """The test corpus (60 en + 40 zh articles), default synonyms and intents, and a built index."""
    report = import_files(article_files(FAQ_CORPUS_DIR))
    assert report.errors == []
    defaults.seed_defaults()
    db.session.execute(delete(OutboxRow))  # the reindex jobs the import queued: the index is built here instead
    db.session.commit()
    search.clear_caches()
    search.rebuild(app)
    return report


@pytest.fixture
def journeys(app):
    """Stand-in pages for the journeys other packages build, so intent actions have somewhere to link."""
    for endpoint, path in JOURNEY_STANDINS.items():
        if endpoint not in app.view_functions:
            app.add_url_rule(path, endpoint=endpoint, view_func=lambda: "stand-in")
    return JOURNEY_STANDINS


def slugs(result):
    return [hit.slug for hit in result.hits]
