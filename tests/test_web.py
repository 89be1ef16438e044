"""What every page shares: template links, the layout, form tokens, pooled connections."""

import re

import pytest
from flask import render_template_string, session, url_for
from flask_wtf.csrf import validate_csrf
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from tests.conftest import make_app


def test_template_links_match_url_for_and_follow_the_mount_point(app):
    template = "{{ url_for('static', filename='css/portal.css') }} {{ url_for('orders.track') }}"
    with app.test_request_context("/"):
        at_root = render_template_string(template)
        expected_at_root = f"{url_for('static', filename='css/portal.css')} {url_for('orders.track')}"
    with app.test_request_context("/", base_url="http://localhost/support/"):
        mounted = render_template_string(template)

    assert at_root == expected_at_root == "/static/css/portal.css /orders/track"
    assert mounted == "/support/static/css/portal.css /support/orders/track"


def test_layout_nav_marks_the_current_page_on_each_page(client):
    track = client.get("/orders/track").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)

    assert 'href="/orders/track" aria-current="page"' in track
    assert 'href="/orders/track" aria-current="page"' not in home


def test_a_form_sent_back_refused_keeps_its_page_marked_in_the_nav(client, customer):
    from tests.orders.helpers import sign_in_as

    sign_in_as(client, customer)
    refused = client.post("/complaints/new", data={"description": "", "category": "", "desired_outcome": ""})

    assert refused.status_code == 400
    assert 'href="/complaints/new" aria-current="page"' in refused.text


def test_layout_follows_the_language(client):
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


def test_the_layouts_form_token_validates_with_flask_wtf(app, client):
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    with client.session_transaction() as stored:
        raw_token = stored["csrf_token"]

    assert f'name="csrf_token" value="{token}"' in page  # the language form sends the same one
    with app.test_request_context("/"):
        session["csrf_token"] = raw_token
        validate_csrf(token)  # raises when invalid
