"""Browser tests: real Chromium (Debian's package) driven by Playwright against a live portal.

Without /usr/bin/chromium they skip with a message, except in CI (CI=true), where they fail.
"""

import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
# Headless flags for a machine with no network but loopback (see the project's CI notes).
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WIDTHS = {"mobile": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served over HTTP on a free loopback port, as a browser sees it."""
    from werkzeug.serving import make_server

    app.config.update(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def new_page(browser):
    """new_page(width='desktop', locale='en-US') -> a page in a fresh browser context."""
    contexts = []

    def make(width="desktop", locale="en-US"):
        context = browser.new_context(viewport=WIDTHS[width], locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """Where the walks save their screenshots: pytest's tmp dir, kept for a look after the run."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def module_server(_schema, test_environ, tmp_path_factory):
    """One app and server for a whole module of browser walks, with data the module sets up once; the
    tables are emptied after it."""
    from werkzeug.serving import make_server

    from portal.extensions import db
    from tests.conftest import _empty_all_tables, make_app

    base = tmp_path_factory.mktemp("walk")
    environ = dict(test_environ, MAIL_URL=f"file://{base / 'mail'}", SEARCH_INDEX_DIR=str(base / "search"),
                   UPLOAD_DIR=str(base / "uploads"))
    app = make_app(environ, WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app)
        server.shutdown()
        thread.join(timeout=5)
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()
