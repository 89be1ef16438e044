"""A visitor searches as they type, opens an article, says it did not help, and is offered the fix."""

from portal.help import defaults, search
from portal.help.importer import article_files, import_files
from tests.conftest import FAQ_CORPUS_DIR
from tests.e2e.conftest import screenshot


def _prepare(app, db):
    import_files(article_files(FAQ_CORPUS_DIR))
    defaults.seed_defaults()
    db.session.commit()
    search.clear_caches()
    search.rebuild(app)


def test_live_search_updates_without_reload_then_no_vote_offers_comment_and_action(app, db, live_server, page):
    _prepare(app, db)
    page.goto(f"{live_server.url}/help/search")
    page.evaluate("window.notReloaded = true")

    box = page.get_by_label("Describe your problem in your own words")
    box.press_sequentially("damaged", delay=60)
    results = page.locator("#search-results")
    results.locator("a.result-title", has_text="damaged").first.wait_for()
    assert "Start a quality return" in results.inner_text()
    box.press_sequentially(" on arrival", delay=60)
    page.wait_for_url("**/help/search?q=damaged+on+arrival")  # the typing marker is not in history
    assert page.evaluate("window.notReloaded") is True
    assert results.get_attribute("aria-live") == "polite"
    screenshot(page, "help-live-search")

    # An answer ranked before the model read the last words asks once more; the list is final when that ask is gone.
    results.locator("span[hx-get*='settle=1']").wait_for(state="detached")
    results.locator("a.result-title").first.click()
    page.wait_for_url("**/help/a/**")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="No").click()

    comment = page.get_by_label("What was missing or unclear? (optional)")
    comment.wait_for()
    assert page.evaluate("window.notReloaded") is True
    # The button pressed is gone with the swap: the keyboard carries on from what replaced it, not from the top
    # (the focus moves once htmx has settled the swap, a moment after the new content is in).
    page.wait_for_function("document.activeElement.classList.contains('feedback-thanks')")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "feedback-comment"
    assert page.locator("#feedback-body").get_by_role("link", name="Start a quality return").is_visible()
    comment.fill("Which address do I send it to?")
    page.get_by_role("button", name="Send comment").click()
    page.get_by_text("We use every comment to improve our answers").wait_for()
    screenshot(page, "help-feedback-no")


def test_back_leaves_a_search_typed_in_pauses_and_forward_shows_its_words(app, db, live_server, page):
    _prepare(app, db)
    page.goto(f"{live_server.url}/help/")
    box = page.get_by_label("Describe your problem in your own words")
    box.press_sequentially("damaged", delay=60)
    page.wait_for_url("**/help/search?q=damaged")
    box.press_sequentially(" on arrival", delay=60)
    page.wait_for_url("**/help/search?q=damaged+on+arrival")

    page.go_back()
    page.wait_for_url("**/help/")
    page.go_forward()
    page.wait_for_url("**/help/search?q=damaged+on+arrival")
    assert page.get_by_label("Describe your problem in your own words").input_value() == "damaged on arrival"
