from whoosh.fields import ID, Schema
from whoosh.index import create_in

from portal.home.health import WORKER_HEARTBEAT_PREFIX


def _make_search_index(app):
    from pathlib import Path

    directory = Path(app.config["SEARCH_INDEX_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    create_in(str(directory), Schema(slug=ID(stored=True)))


def test_healthz_is_200_when_every_part_is_up(app, client, redis):
    _make_search_index(app)
    redis.set(WORKER_HEARTBEAT_PREFIX + "test", 1, ex=30)

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "up"
    assert set(body["checks"]) == {"database", "redis", "search", "worker", "semantic", "inbound"}
    assert body["checks"]["redis"]["queues"] == {"high": 0, "default": 0, "low": 0}
    assert body["checks"]["worker"]["workers"] == 1
    assert response.headers["Cache-Control"] == "private, no-store"


def test_healthz_names_the_missing_worker_with_503(app, client, redis):
    _make_search_index(app)

    response = client.get("/healthz")

    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["worker"]["status"] == "down"
    assert checks["database"]["status"] == "up"


def test_healthz_names_a_missing_search_index(client, redis):
    redis.set(WORKER_HEARTBEAT_PREFIX + "test", 1, ex=30)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["search"]["status"] == "down"
    assert "reindex" in response.get_json()["checks"]["search"]["error"]
