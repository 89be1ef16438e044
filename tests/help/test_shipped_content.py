"""The shipped help articles name only buttons, links, pages and statuses the portal really shows.

A bold phrase counts as the name of a UI element when it follows a UI verb ("select **X**", "open **X**",
"点击**X**", "在**X**中") or is a step of a path ("**A** > **B**"). Each such phrase must be, word for word, a
message of the catalog in the article's language: an English msgid, or a Chinese msgstr. Every label the portal
shows is in the catalog: templates use `_()`, and the labels defined in code (order and case statuses, complaint
categories, return reasons) use `_l()`. Bold phrases elsewhere (amounts, deadlines, emphasis) are not checked.
"""

import re

import pytest
from babel.messages.pofile import read_po

from portal.demo import CONTENT_DIR as CONTENT
from portal.help.importer import article_files, parse_article
from tests.test_i18n import ZH_CATALOG, _forms

BOLD = r"\*\*([^*\n]+)\*\*"
# English: an action verb, then at most "the" (or "the e-mail", for an e-mail's subject line) before the label;
# or a place or status word directly before it ("under **Your cases**", "the status shows **Delivered**").
EN_UI_VERB = re.compile(r"(?i)\b(?:(?:select|click|tap|press|open|choose|use|go to)\s+(?:the\s+(?:e-mail\s+)?)?"
                        r"|(?:under|in|shows|says|status is)\s+)" + BOLD)
# Chinese: the verb directly before the label, quotes allowed ("打开主题为“**您的登录链接**”的邮件"); "在" only as
# "在**X**中/里" (a place), not "在**7天**内" (a time).
ZH_UI_VERB = re.compile(r"(?:点击|打开|选择|选中|勾选|进入|前往|显示|显示为|状态是|状态为|主题为)[“「]?" + BOLD
                        + r"|在" + BOLD + r"(?=[中里])")
PATH = re.compile(BOLD + r"(?:\s*>\s*" + BOLD + r")+")

# Labels the portal shows that the catalog cannot hold word for word. Keep this short, and say why.
ALLOWED = {
    # A setting on the customer's own phone (its Bluetooth menu), not a page of the portal.
    "en": {"Forget this device"},
    "zh": {"忽略此设备"},
}


def _catalog_labels():
    with ZH_CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    english, chinese = set(), set()
    for message in catalog:
        if not message.id:
            continue
        english.update(_forms(message.id))
        chinese.update(text for text in _forms(message.string) if text)
    return {"en": english, "zh": chinese}


LABELS = _catalog_labels()


def ui_phrases(body, locale):
    """Every bold phrase in `body` that stands for a UI element, in order, without duplicates."""
    verb = EN_UI_VERB if locale == "en" else ZH_UI_VERB
    found = [next(group for group in match.groups() if group) for match in verb.finditer(body)]
    for match in PATH.finditer(body):
        found.extend(re.findall(BOLD, match.group(0)))
    return list(dict.fromkeys(phrase.strip() for phrase in found))


ARTICLES = sorted((CONTENT / "en").glob("*.md")) + sorted((CONTENT / "zh").glob("*.md"))


def test_every_shipped_article_is_checked():
    assert len(list((CONTENT / "en").glob("*.md"))) >= 30
    assert len(list((CONTENT / "zh").glob("*.md"))) >= 30


@pytest.mark.parametrize("path", ARTICLES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_bold_ui_names_exist_in_the_portal(path):
    locale = path.parent.name
    unknown = [phrase for phrase in ui_phrases(parse_article(path).body, locale)
               if phrase not in LABELS[locale] and phrase not in ALLOWED[locale]]
    assert not unknown, f"{path.name} names UI the portal does not show: {unknown}"


@pytest.mark.parametrize(("body", "locale", "expected"), [
    ("Open the order and select **Start a return**.", "en", ["Start a return"]),
    ("Go to **Your account** > **Your cases**.", "en", ["Your account", "Your cases"]),
    ("Open the e-mail **Your sign-in link**.", "en", ["Your sign-in link"]),
    ("A fee of **$4.95** applies within **7 days**, for a **full refund**.", "en", []),
    ("In the **original packaging**, with tags.", "en", []),
    ("打开订单，点击**申请退货**。", "zh", ["申请退货"]),
    ("进入**我的账户** > **我的工单**。", "zh", ["我的账户", "我的工单"]),
    ("签收后**7天内**可以退，可获**全额退款**。", "zh", []),
    ("在**7-10个工作日**内完成，可在**我的工单**中查看。", "zh", ["我的工单"]),
])
def test_ui_phrases_are_the_ones_after_a_ui_verb_or_in_a_path(body, locale, expected):
    assert ui_phrases(body, locale) == expected


def test_an_invented_label_is_caught():
    body = "Go to **Account** > **Wallet** and select **Start a return**."
    assert [p for p in ui_phrases(body, "en") if p not in LABELS["en"]] == ["Account", "Wallet"]


def test_each_shipped_chinese_translation_names_an_english_article_on_the_same_topic():
    # The language switch on an article follows `translation_of`; a missing or wrong one strands the reader.
    articles = {path.stem: parse_article(path) for path in article_files(CONTENT)}
    translations = [article for article in articles.values() if article.translation_of]

    assert len(translations) >= 20
    for article in translations:
        english = articles.get(article.translation_of)
        assert english is not None and english.locale == "en", article.slug
        assert (english.category, english.scenario) == (article.category, article.scenario), article.slug
    named = [article.translation_of for article in translations]
    assert len(named) == len(set(named)), "an English article has two Chinese translations"
