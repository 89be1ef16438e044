"""What every browser walk checks on every page a person reaches: axe-core finds no serious or critical
accessibility violation, and the visible text holds no internal code. axe-core comes bundled with
axe-playwright-python, so nothing is downloaded."""

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.labels import WORDS

BLOCKING_IMPACTS = ("serious", "critical")
# snake_case words ("late_or_lost", "internal_note"): stored codes, never words a person reads. A word in
# braces is a placeholder the lead types into a canned reply ("{first_name}"), shown on purpose.
SNAKE_CASE = re.compile(r"(?<![\w@./:{-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/}-])")
# E-mail addresses and links are the person's own text even with an underscore in them.
ADDRESSES = re.compile(r"\S+@\S+|https?://\S+")
# A stored code shown alone in a badge, cell or field ("escalated", "high"), in any language.
CODES = frozenset(code for words in WORDS.values() for code in words)
# A <mark>ed word in a search snippet is part of its sentence, not a stored code on its own.
LEAF_TEXTS = """() => [...document.body.querySelectorAll('*')]
  .filter(element => element.children.length === 0 && element.tagName !== 'MARK'
          && element.getClientRects().length > 0)
  .map(element => element.textContent.trim())"""

# Finite animations and transitions still running (an htmx swap fades new content in for 0.2 s; axe-core would
# measure the contrast of half-faded text). A spinner's endless turn is left alone.
RUNNING_ANIMATIONS_FINISHED = """() => Promise.all(document.getAnimations()
  .filter(animation => animation.effect && animation.effect.getComputedTiming().iterations !== Infinity)
  .map(animation => animation.finished.catch(() => null)))"""

_axe = Axe()


def settle(page):
    """Wait until htmx has settled its last swap and what it faded in is fully drawn."""
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-swapping")).to_have_count(0)
    page.evaluate(RUNNING_ANIMATIONS_FINISHED)


def accessibility_violations(page):
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    found = _axe.run(page).response["violations"]
    return [f"{rule['id']} ({rule['impact']}): {rule['help']} — "
            + ", ".join(" ".join(map(str, node["target"])) for node in rule["nodes"][:5])
            for rule in found if rule.get("impact") in BLOCKING_IMPACTS]


def internal_codes(page):
    """Internal codes in the page's visible text: snake_case words, and stored codes standing alone."""
    text = ADDRESSES.sub(" ", page.inner_text("body"))
    found = set(SNAKE_CASE.findall(text))
    found.update(leaf for leaf in page.evaluate(LEAF_TEXTS) if leaf in CODES)
    return sorted(found)


def sideways_overflow(page):
    """Elements (outside a table's own scroll region) that stick out past the right edge of the window."""
    return page.evaluate("""() => [...document.body.querySelectorAll('*')]
      .filter(element => !element.closest('.table-wrap')
              && element.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5).map(element => element.tagName.toLowerCase() + (element.id ? '#' + element.id : ''))""")


def page_scroll_width(page):
    """How wide the page scrolls: above the window's width it scrolls sideways. Unlike sideways_overflow, this
    also catches what escapes a table's scroll region (its absolutely positioned, visually hidden text)."""
    return page.evaluate("document.documentElement.scrollWidth")


def check_page(page, name, screenshots):
    """Screenshot the page into `screenshots` (a pytest tmp dir), then fail on a blocking accessibility
    violation or an internal code on it."""
    settle(page)
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    violations = accessibility_violations(page)
    assert not violations, f"{name} ({page.url}) has accessibility violations:\n" + "\n".join(violations)
    codes = internal_codes(page)
    assert not codes, f"{name} ({page.url}) shows internal codes: {', '.join(codes)}"
