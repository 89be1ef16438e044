"""Triage as pure functions: urgency, anger (with negation, quotes and sarcasm), priority and reasons."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from portal.casework.priority import priority
from portal.complaints.reading import ANGRY_SHARE, Example, Reading
from portal.complaints.triage import ANGER_POINT_BELIEF, OrderFacts, PastContact, anger, triage

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
STANDARD = SimpleNamespace(is_vip=False)
VIP = SimpleNamespace(is_vip=True)


def run(text, category="other", order=None, customer=STANDARD, history=(), now=NOW):
    return triage(text, category, order, customer, list(history), now=now, reader=None)


def codes(result):
    return {reason.code for reason in result.reasons}


@pytest.mark.parametrize("text, signal", [
    ("My parcel was lost somewhere between the depot and my house.", "lost_or_late"),
    ("The kettle arrived damaged, the handle is cracked.", "damaged_or_unsafe"),
    ("The charger started sparking when I plugged it in.", "damaged_or_unsafe"),
    ("My daughter had an allergic reaction to the night cream.", "allergy_or_injury"),
    ("I was charged twice for the same order.", "double_charge"),
    ("If this is not fixed I will post it on social media.", "public_or_regulator"),
    ("I will report you to consumer protection.", "public_or_regulator"),
    ("This is the third time I am writing about the same jeans.", "repeat_contact"),
])
def test_high_urgency_signals_in_english(text, signal):
    result = run(text)

    assert result.urgency == "high"
    assert signal in codes(result)
    assert result.escalate


@pytest.mark.parametrize("text, signal", [
    ("The headphones stopped working after two days.", "not_working"),
    ("Where is my refund? It was promised last week.", "refund_late"),
    ("You sent the wrong size, I ordered M.", "wrong_size_or_colour"),
    ("The coupon code from your newsletter is refused at checkout.", "coupon"),
])
def test_medium_urgency_signals_are_acknowledged_not_escalated(text, signal):
    result = run(text)

    assert result.urgency == "medium"
    assert signal in codes(result)
    assert not result.angry
    assert not result.escalate


def test_a_suggestion_is_low_urgency_with_a_reason_in_words():
    result = run("It would be lovely if you sold the mug set in green as well.", category="suggestion")

    assert result.urgency == "low"
    assert not result.escalate
    assert [str(r) for r in result.reasons] == [
        "no sign of an urgent problem: feedback, a suggestion or a question"]


def test_polite_but_urgent_is_escalated_for_its_urgency_not_its_tone():
    text = ("Hello, I hope you are well. I am sorry to bother you, but I was charged twice for order 1042. "
            "Could you please look into it when you have a moment? Thank you so much, kind regards.")

    result = run(text)

    assert result.urgency == "high"
    assert result.angry is False
    assert result.escalate


def test_angry_but_trivial_is_escalated_for_the_anger_with_low_urgency():
    result = run("WHY is the font on your website SO TINY?!?! This is RIDICULOUS.", category="suggestion")

    assert result.urgency == "low"
    assert result.angry is True
    assert result.escalate
    assert {"capitals", "punctuation", "angry_words"} <= codes(result)


@pytest.mark.parametrize("text", [
    "I am not angry, just letting you know the coupon did not apply.",
    "I'm not upset and this isn't unacceptable, but the coupon code failed.",
    "No frustration here. The coupon code failed, could you send a new one?",
])
def test_negated_anger_is_not_anger(text):
    result = run(text)

    assert result.angry is False
    assert result.urgency == "medium"


def test_negated_damage_is_not_urgent():
    result = run("The box was not damaged at all, but the coupon did not apply.")

    assert "damaged_or_unsafe" not in codes(result)
    assert result.urgency == "medium"


def test_anger_inside_quotes_is_someone_elses_words():
    text = ('Your product page says "the worst blender ever made is not this one, this is unacceptable quality". '
            "Does it come in blue?")

    assert run(text).angry is False


def test_quoted_lines_of_an_earlier_email_do_not_count():
    text = "Could you check the coupon again please?\n> This is UNACCEPTABLE!!! I am FURIOUS."

    assert run(text).angry is False


def test_sarcasm_about_a_problem_reads_as_anger():
    result = run("Oh great, my order is late again. Thanks a lot, really wonderful service.")

    assert result.angry is True
    assert "sarcasm" in codes(result)
    assert result.urgency == "high"


def test_sincere_thanks_without_a_problem_is_not_sarcasm():
    result = run("Great job on the new website, thanks a lot! Will you sell gift cards?", category="suggestion")

    assert result.angry is False
    assert "sarcasm" not in codes(result)


class FixedReader:
    """A model that reads every text the same way."""

    def __init__(self, urgency, anger_belief):
        angry_example = Example("the driver threw my parcel over the gate", "medium", True, "delivery")
        self.reading = Reading(urgency=urgency, urgency_example=angry_example, angry=anger_belief >= ANGRY_SHARE,
                               anger_example=angry_example, anger_belief=anger_belief)

    def read(self, text):
        return self.reading


def read_by(reader, text):
    return triage(text, "other", None, STANDARD, [], now=NOW, reader=reader)


def test_strong_words_tip_a_borderline_reading_into_anger_and_both_are_given_as_reasons():
    text = "the lamp flickers, ridiculous"  # two points
    below_by_two_points = ANGRY_SHARE - 2 * ANGER_POINT_BELIEF

    assert read_by(FixedReader("medium", below_by_two_points - 0.05), text).angry is False
    assert read_by(FixedReader("medium", below_by_two_points + 0.05), "the lamp flickers").angry is False
    result = read_by(FixedReader("medium", below_by_two_points + 0.05), text)
    assert result.angry is True
    assert {"reads_angry", "angry_words"} <= codes(result)


def test_words_do_not_overrule_a_model_that_reads_no_anger_at_all():
    assert read_by(FixedReader("medium", 0.0), "FURIOUS, ABSOLUTELY FURIOUS!!").angry is False


def test_praise_is_sarcasm_when_the_model_reads_a_problem_the_word_rules_miss():
    text = "Oh great, the lid of the pan came off. Thanks a lot."

    about_a_problem = read_by(FixedReader("medium", 0.15), text)
    assert about_a_problem.angry is True and "sarcasm" in codes(about_a_problem)
    assert read_by(FixedReader("low", 0.15), text).angry is False


@pytest.mark.parametrize("text, urgency, angry", [
    ("气死了！！快递还没到，这已经是第三次联系你们了", "high", True),
    ("你们的服务太差了，耳机用了两天就坏了", "medium", True),
    ("孩子用了面霜以后过敏了，请尽快联系我", "high", False),
    ("我不生气，只是想问一下优惠券怎么用", "medium", False),
    ("建议你们增加更多颜色的马克杯，谢谢", "low", False),
    ("我被重复扣款了，请帮我查一下", "high", False),
])
def test_chinese_texts(text, urgency, angry):
    result = run(text)

    assert (result.urgency, result.angry) == (urgency, angry)


@pytest.mark.parametrize("text, urgency, angry", [
    ("My order 还没到 and this is unacceptable!!", "high", True),
    ("The serum gave me 过敏, please advise what to do.", "high", False),
    ("优惠券 code WELCOME10 does not work at checkout", "medium", False),
    ("太差了 the headphones stopped working, 气死了", "medium", True),
])
def test_mixed_language_texts(text, urgency, angry):
    result = run(text)

    assert (result.urgency, result.angry) == (urgency, angry)


def test_a_late_order_from_the_orders_service_is_high_with_its_delay_in_words():
    order = OrderFacts(number="1042", status="paid", late="not_shipped", late_since=NOW - timedelta(days=3, hours=2))

    result = run("Just checking on my order, no rush.", order=order)

    assert result.urgency == "high"
    assert "order #1042 is 3 days past its ship-by date" in [str(r) for r in result.reasons]


def test_a_silent_carrier_is_reported_in_hours_when_under_a_day():
    order = OrderFacts(number="W9", status="in_transit", late="no_carrier_event", late_since=NOW - timedelta(hours=20))

    result = run("Any news?", order=order)

    assert "order #W9 has had no carrier update for 20 hours" in [str(r) for r in result.reasons]


def test_a_delay_of_one_day_or_one_hour_is_written_in_the_singular():
    one_day = OrderFacts(number="1043", status="paid", late="not_shipped", late_since=NOW - timedelta(days=1, hours=5))
    one_hour = OrderFacts(number="W10", status="in_transit", late="no_carrier_event",
                          late_since=NOW - timedelta(minutes=70))

    assert "order #1043 is 1 day past its ship-by date" in [str(r) for r in run("Hi", order=one_day).reasons]
    assert "order #W10 has had no carrier update for 1 hour" in [str(r) for r in run("Hi", order=one_hour).reasons]


def test_a_stored_delay_reads_in_the_readers_language_with_the_right_form(app):
    from flask_babel import force_locale

    from portal.cases.views import reason_text

    order = OrderFacts(number="1044", status="paid", late="not_shipped", late_since=NOW - timedelta(days=1, hours=1))
    [stored] = [r.as_dict() for r in run("Hi", order=order).reasons]
    with app.test_request_context("/"):
        english = reason_text(stored)
        with force_locale("zh"):
            chinese = reason_text(stored)

    assert english == "order #1044 is 1 day past its ship-by date"
    assert chinese == "订单 #1044 已超过最晚发货日期 1 天"


def test_the_third_contact_about_the_same_order_is_high():
    order = OrderFacts(number="1042", status="delivered")
    history = [PastContact("other", "1042", NOW - timedelta(days=9)),
               PastContact("coupon", "1042", NOW - timedelta(days=2))]

    result = run("The zip is still stuck.", order=order, history=history)

    assert result.urgency == "high"
    assert "contact number 3 about the same problem in 30 days" in [str(r) for r in result.reasons]


def test_old_or_unrelated_contacts_do_not_count_as_repeats():
    history = [PastContact("coupon", None, NOW - timedelta(days=45)),
               PastContact("suggestion", None, NOW - timedelta(days=1)),
               PastContact("coupon", None, NOW - timedelta(days=3))]

    result = run("A question about the coupon.", category="coupon", history=history)

    assert result.urgency == "medium"


def test_the_chosen_category_sets_a_floor_that_text_cannot_lower():
    result = run("Just wanted to mention it.", category="allergy_or_injury")

    assert result.urgency == "high"
    assert "category" in codes(result)


def test_priority_orders_urgency_then_anger_then_age_then_vip_only_among_equals():
    older, newer = NOW - timedelta(hours=2), NOW
    ranked = sorted([
        ("low angry vip", priority("low", True, older, vip=True)),
        ("medium calm old", priority("medium", False, older)),
        ("medium angry new", priority("medium", True, newer)),
        ("high calm new standard", priority("high", False, newer)),
        ("high calm new vip", priority("high", False, newer, vip=True)),
        ("high calm old standard", priority("high", False, older)),
        ("high angry new", priority("high", True, newer)),
    ], key=lambda pair: pair[1])

    assert [name for name, _ in ranked] == [
        "high angry new", "high calm old standard", "high calm new vip", "high calm new standard",
        "medium angry new", "medium calm old", "low angry vip"]


def test_priority_fits_a_32_bit_column():
    assert priority("low", False, datetime(2200, 1, 1, tzinfo=UTC)) < 2**31


def test_vip_customers_get_the_same_urgency_as_everyone_else():
    text = "The headphones stopped working."

    assert run(text, customer=VIP).urgency == run(text, customer=STANDARD).urgency == "medium"


def test_anger_scores_capitals_only_beyond_acronyms():
    score, reasons = anger("Can DHL or UPS deliver to my office?")

    assert score == 0
    assert reasons == []


def test_a_huge_text_is_triaged_in_one_pass():
    result = run("the coupon failed. " * 5000)

    assert result.urgency == "medium"
