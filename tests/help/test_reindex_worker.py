"""An article edit reaches search through the outbox and a real worker process, within 5 seconds."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.help import search
from portal.home.health import WORKER_HEARTBEAT_PREFIX
from portal.models import Article, OutboxRow
from tests.help.conftest import slugs
from tests.worker.test_outbox_to_mail import _worker_env

pytestmark = pytest.mark.integration
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_an_article_edit_is_searchable_within_5_seconds_with_the_worker_running(app, db, redis, faq):
    worker = subprocess.Popen([sys.executable, "-m", "worker"], cwd=PROJECT_ROOT,
                              env=_worker_env(app, app.config["REDIS_URL"]),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # The clock starts once the worker is up (its heartbeat is in Redis), as in production.
        deadline = time.monotonic() + 60
        while not redis.keys(WORKER_HEARTBEAT_PREFIX + "*") and time.monotonic() < deadline:
            time.sleep(0.1)
        article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))
        article.keywords = [*article.keywords, "platypus"]
        db.session.commit()
        edited = time.monotonic()

        found = False
        while time.monotonic() - edited < 5 and not found:
            found = slugs(search.search("platypus", "en")) == ["lost-parcel"]
            time.sleep(0.05)
        elapsed = time.monotonic() - edited
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode()
    assert found, f"not searchable after {elapsed:.1f} s; worker said:\n{output}"
    db.session.expire_all()
    row = db.session.scalar(select(OutboxRow).where(OutboxRow.job_name == "search.reindex_article"))
    assert row.status == "done" and row.result == "indexed"


def test_deleting_an_article_removes_it_from_search_through_the_queue(app, db, redis, faq):
    from worker import runtime

    article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))
    db.session.delete(article)
    db.session.commit()

    runtime.run(app, burst=True)

    assert "lost-parcel" not in slugs(search.search("lost parcel", "en"))
