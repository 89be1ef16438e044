"""Help-center fixtures: the test FAQ corpus imported and indexed."""

import pytest
from sqlalchemy import delete

from portal.help import defaults, search
from portal.help.importer import article_files, import_files
from portal.models import OutboxRow
from tests.conftest import FAQ_CORPUS_DIR


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


def slugs(result):
    return [hit.slug for hit in result.hits]
