"""A search result's snippet starts where a sentence or a list item starts, without Markdown, in both languages."""

import html
import re

import pytest

from portal.help import search
from tests.help.conftest import slugs

WRAPPED_EN = """There are two parts to every refund: when we issue it, and how long your payment
provider takes to show it. Refunds of 3.5 EUR or more, e.g. for shoes, go back to your card.

## When we issue it

- **Returns**: within 3-5 business days after the warehouse
  receives your parcel.
1. Open the order under **Account** > **Orders** and choose refund.

| Payment method | Time after we issue it |
|---|---|
| Credit card | 5-10 business days for the refund |
"""

WRAPPED_ZH = """电子产品或小家电在保修期内出现故障，可以在线
预约维修。

## 预约步骤

1. 打开订单，点击商品旁的**预约维修**。超出保修期的订单显示保外
维修选项。
- 描述故障，必要时上传照片或视频。
"""


def _text(snippet):
    return html.unescape(re.sub(r"</?mark>", "", str(snippet)))


def test_a_hard_wrapped_sentence_is_shown_whole_from_its_start():
    assert _text(search.snippet(WRAPPED_EN, {"provid"}, "en")) == (
        "There are two parts to every refund: when we issue it, and how long your payment provider takes to "
        "show it.")
    assert _text(search.snippet(WRAPPED_EN, {"shoe"}, "en")) == (
        "Refunds of 3.5 EUR or more, e.g. for shoes, go back to your card.")


def test_a_list_item_starts_without_its_marker_or_markup():
    assert _text(search.snippet(WRAPPED_EN, {"warehous"}, "en")) == (
        "Returns: within 3-5 business days after the warehouse receives your parcel.")
    assert _text(search.snippet(WRAPPED_EN, {"order", "choos"}, "en")) == (
        "Open the order under Account > Orders and choose refund.")
    assert _text(search.snippet(WRAPPED_EN, {"credit"}, "en")) == "Credit card · 5-10 business days for the refund"


def test_chinese_snippets_start_at_a_sentence_or_list_item():
    assert _text(search.snippet(WRAPPED_ZH, {"在线"}, "zh")) == "电子产品或小家电在保修期内出现故障，可以在线预约维修。"
    assert _text(search.snippet(WRAPPED_ZH, {"保外"}, "zh")) == "超出保修期的订单显示保外维修选项。"
    assert _text(search.snippet(WRAPPED_ZH, {"照片"}, "zh")) == "描述故障，必要时上传照片或视频。"


def test_a_long_sentence_is_cut_at_a_word_and_says_so():
    text = "Refund " + "word " * 100 + "end."

    shown = _text(search.snippet(text, {"refund"}, "en"))
    assert shown.startswith("Refund word") and shown.endswith("word…") and len(shown) <= search.SNIPPET_CHARS + 1


@pytest.mark.parametrize(("query", "locale"), [("refund", "en"), ("return label", "en"), ("repair", "en"),
                                               ("cancel order", "en"), ("退款", "zh"), ("维修", "zh"),
                                               ("取消订单", "zh")])
def test_every_search_snippet_starts_a_sentence_without_markdown(faq, query, locale):
    result = search.search(query, locale)

    assert slugs(result)
    for hit in result.hits:
        text = _text(hit.snippet)
        assert not re.match(r"[-*+#|>]|\d+[.)]\s", text), (hit.slug, text)
        if locale == "en":
            assert text[0].isupper() or text[0].isdigit(), (hit.slug, text)
        else:
            assert text[0] not in "，。、；：）", (hit.slug, text)
