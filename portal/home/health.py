"""What /healthz reports: each part of the system, up or down, and the queue's state."""

from flask import current_app
from sqlalchemy import func, select, text

from portal.extensions import db, redis_connection
from portal.models import OutboxRow

WORKER_HEARTBEAT_PREFIX = "portal:worker:heartbeat:"
QUEUES = ("high", "default", "low")


def _database():
    db.session.execute(text("SELECT 1"))
    failed = db.session.scalar(select(func.count()).where(OutboxRow.status == "failed"))
    pending = db.session.scalar(select(func.count()).where(OutboxRow.status.in_(("pending", "enqueued"))))
    return {"status": "up", "outbox_pending": pending, "outbox_failed": failed}


def _redis():
    client = redis_connection()
    client.ping()
    depths = {name: client.llen(f"rq:queue:{name}") for name in QUEUES}
    return {"status": "up", "queues": depths}


def _search():
    from portal.help.search import index_exists

    # The index lives in a generation directory that SEARCH_INDEX_DIR/CURRENT names (see portal/help/search.py).
    if not index_exists(current_app.config["SEARCH_INDEX_DIR"]):
        raise RuntimeError("no search index: run `flask search reindex`")
    return {"status": "up"}


def _worker():
    client = redis_connection()
    workers = list(client.scan_iter(match=WORKER_HEARTBEAT_PREFIX + "*", count=100))
    if not workers:
        raise RuntimeError("no worker heartbeat in the last 30 seconds")
    return {"status": "up", "workers": len(workers)}


def _inbound():
    from portal.inbound.health import report

    return report()


def _semantic():
    from portal import semantics

    # Off is not down: search and triage keep working on their lexical path.
    if not current_app.config["SEMANTIC_SEARCH"]:
        return {"status": "up", "semantic": "off", "reason": "disabled by SEMANTIC_SEARCH=0"}
    if not semantics.available():
        return {"status": "up", "semantic": "off", "reason": "the embedding model could not be loaded"}
    from portal.help import dense, search

    # Triage still reads meaning; help search alone falls back to its lexical half.
    root = current_app.config["SEARCH_INDEX_DIR"]
    problem = dense.problem(search.current_dir(root)) if search.index_exists(root) else None
    if problem:
        return {"status": "up", "semantic": "on", "help_search": "lexical only", "reason": problem}
    return {"status": "up", "semantic": "on"}


CHECKS = {"database": _database, "redis": _redis, "search": _search, "worker": _worker, "semantic": _semantic,
          "inbound": _inbound}


def check():
    """Run every check; returns (all_up, report)."""
    report = {}
    for name, probe in CHECKS.items():
        try:
            report[name] = probe()
        except Exception as error:  # noqa: BLE001 - any failure means this part is down
            if name == "database":
                db.session.rollback()
            report[name] = {"status": "down", "error": f"{type(error).__name__}: {error}"[:300]}
    all_up = all(part["status"] == "up" for part in report.values())
    return all_up, report
