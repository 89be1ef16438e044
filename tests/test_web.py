"""What every page shares: template links, the cached parts of the layout, form tokens, pooled connections."""

import pytest
from flask import render_template_string, session, url_for
from flask_wtf.csrf import validate_csrf
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.web import _signed_form_token, form_token
from tests.conftest import make_app


def test_template_links_match_url_for_and_follow_the_mount_point(app):
    template = "{{ url_for('static', filename='css/portal.css') }} {{ url_for('orders.track') }}"
    with app.test_request_context("/"):
        at_root = render_template_string(template)
        expected_at_root = f"{url_for('static', filename='css/portal.css')} {url_for('orders.track')}"
    with app.test_request_context("/", base_url="http://localhost/support/"):
        mounted = render_template_string(template)
    with app.test_request_context("/"):
        again_at_root = render_template_string(template)

    assert at_root == expected_at_root == "/static/css/portal.css /orders/track"
    assert mounted == "/support/static/css/portal.css /support/orders/track"
    assert again_at_root == at_root


def test_template_links_with_page_values_are_built_for_each_page(app):
    template = "{{ url_for('orders.detail', number=number) }}"
    with app.test_request_context("/"):
        first = render_template_string(template, number="1001")
        second = render_template_string(template, number="1002")

    assert (first, second) == ("/orders/1001", "/orders/1002")


def test_layout_cache_renders_once_per_key_and_keeps_apart_what_the_key_names(app):
    template = '{% cache "greeting", lang %}{{ word }}{% endcache %}'
    with app.test_request_context("/"):
        first = render_template_string(template, lang="en", word="hello")
        same_key = render_template_string(template, lang="en", word="changed")
        other_key = render_template_string(template, lang="zh", word="你好")

    assert (first, same_key, other_key) == ("hello", "hello", "你好")


def test_layout_nav_marks_the_current_page_on_each_page(client):
    track = client.get("/orders/track").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)

    assert 'href="/orders/track" aria-current="page"' in track
    assert 'href="/orders/track" aria-current="page"' not in home


def test_layout_follows_the_language_although_it_is_cached(client):
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    chinese = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert "Skip to content" in english and "Skip to content" not in chinese
    assert "Shop Help Center" in english and "Shop Help Center" not in chinese


def _pooled_dbapi_connection(engine):
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        return connection.connection.dbapi_connection


def test_a_connection_that_died_while_idle_is_replaced_before_use(test_environ):
    app = make_app(test_environ, DB_PING_AFTER_IDLE_SECONDS=0)
    with app.app_context():
        dead = _pooled_dbapi_connection(db.engine)
        dead.close()  # as a database restart leaves it

        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
            assert connection.connection.dbapi_connection is not dead
        db.engine.dispose()


def test_a_connection_used_moments_ago_is_not_pinged_first(test_environ):
    app = make_app(test_environ, DB_PING_AFTER_IDLE_SECONDS=3600)
    with app.app_context():
        _pooled_dbapi_connection(db.engine).close()

        # No ping spent on it, so the statement itself meets the closed connection.
        with pytest.raises(DBAPIError), db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        db.engine.dispose()


def test_a_sessions_form_token_is_signed_once_and_stays_valid(app):
    with app.app_context(), app.test_request_context("/"):  # a request of its own, as in production
        session["csrf_token"] = "a" * 40
        first = form_token()
        validate_csrf(first)  # raises when invalid

    with app.app_context(), app.test_request_context("/"):
        session["csrf_token"] = "a" * 40
        hits = _signed_form_token.cache_info().hits
        assert form_token() == first
        assert _signed_form_token.cache_info().hits == hits + 1  # the signature made before, not a new one

    with app.app_context(), app.test_request_context("/"):
        session["csrf_token"] = "b" * 40
        other = form_token()
        assert other != first
        validate_csrf(other)


def test_a_form_token_with_a_time_limit_is_signed_afresh_by_flask_wtf(app):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    with app.app_context(), app.test_request_context("/"):
        session["csrf_token"] = "c" * 40
        signed_before = _signed_form_token.cache_info().currsize
        token = form_token()
        validate_csrf(token)
        assert _signed_form_token.cache_info().currsize == signed_before


def test_a_session_without_a_form_token_gets_one(app):
    with app.app_context(), app.test_request_context("/"):
        token = form_token()
        assert isinstance(session["csrf_token"], str)
        validate_csrf(token)
