"""Intent detection from the example bank, with the real model and on the lexical path, and the scenario set."""

from collections import Counter

from portal.assistant import intents
from tests.eval.assistant import load_scenarios


def test_paraphrases_find_their_intent_in_both_languages():
    assert intents.guess("wheres my stuff, ordered it last week").intent == "order_status"
    assert intents.guess("搬家了，想换个地方收件").intent == "change_address"
    assert intents.guess("promo code SAVE10 is not working").intent == "coupon"


def test_without_the_model_the_same_bank_is_read_by_shared_words():
    bank = intents.Bank(intents.load_examples())
    bank.vectors = None  # as when the model could not load
    assert bank.guess("cancel my order").intent == "cancel_order"
    assert bank.guess("我要人工客服").intent == "person"
    assert bank.guess("zzz qqq").intent == ""


def test_every_intent_has_examples_in_both_languages_and_handover_intents_a_category():
    for name, entry in intents.load_intents().items():
        languages = {language for intent, language, _ in intents.load_examples() if intent == name}
        assert languages == {"en", "zh"}, name
        assert not entry.handover or entry.category, name


def test_the_scenario_set_has_120_conversations_half_in_each_language_none_copied_from_the_bank():
    scenarios = load_scenarios()
    assert len(scenarios) >= 120
    assert Counter(s["lang"] for s in scenarios) == {"en": len(scenarios) // 2, "zh": len(scenarios) // 2}
    bank = {sentence.lower() for _intent, _language, sentence in intents.load_examples()}
    assert not [s["id"] for s in scenarios if s["turns"][0].lower() in bank]


def test_hostile_text_never_raises():
    for text in ("", "😀😀😀", "\x00\x1b[31m", "a" * 10_000, "混合 mixed 文字 text"):
        intents.guess(text)
