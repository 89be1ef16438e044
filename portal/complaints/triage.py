"""Triage: how urgent a complaint is, whether the customer is angry, where it sits in the queue, and why.

Pure functions over plain values: no Flask, no database. The complaints service gathers the facts (the
order's lateness from the orders service, the customer's earlier cases) and stores what this returns. The
model's reading of the text comes from a `reading.Reader` (by default the process's one, over the example bank).

Every reason is kept as an English template with its values, so the agent reads it in their language:
templates are marked with N_() for the catalog and translated where they are shown.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.casework.priority import URGENCY_RANK, priority
from portal.casework.reasons import Reason
from portal.i18n import N_, N_plural

ANGER_THRESHOLD = 3  # the score at which a text reads as angry
# With the model on, the word rules count only where its belief in their level (urgency) or in anger is at least
# this much, and each point of the anger score (strong words, sarcasm about a problem, capitals, "!!") adds
# ANGER_POINT_BELIEF to the model's anger, up to ANGER_THRESHOLD points: the model reads meaning but misses some
# sarcasm and shouting. Tuned on tests/eval/data/dev/triage_dev.yaml.
RULE_BELIEF = 0.1
LEXICON_ANGER_BELIEF = 0.1
ANGER_POINT_BELIEF = 0.1
NEGATION_WINDOW_WORDS = 3
REPEAT_CONTACTS = 2  # earlier cases about the same problem that make this one the third contact
DEFAULT_REPEAT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class OrderFacts:
    """What triage needs to know about the order the complaint is about."""

    number: str
    status: str = ""
    late: str | None = None  # the orders service's is_late(): "not_shipped", "no_carrier_event" or None
    late_since: datetime | None = None  # the ship-by date, or the last carrier event


@dataclass(frozen=True)
class PastContact:
    """One of the customer's earlier cases."""

    category: str
    order_number: str | None
    created_at: datetime


@dataclass(frozen=True)
class Triage:
    urgency: str
    angry: bool
    priority: int
    reasons: tuple

    @property
    def escalate(self):
        """High urgency or anger goes to a person at once; the rest is acknowledged first."""
        return self.urgency == "high" or self.angry


# ---- Lexicons -------------------------------------------------------------------------------------
# (phrase, weight). English phrases match whole words; Chinese ones match anywhere.

ANGER_WORDS = [
    ("furious", 3), ("outraged", 3), ("livid", 3), ("disgusted", 3), ("disgusting", 3), ("unacceptable", 3),
    ("rip off", 3), ("ripoff", 3), ("scam", 3), ("fed up", 3), ("sick of", 3), ("sick and tired", 3),
    ("pathetic", 3), ("incompetent", 3), ("wtf", 3), ("what the hell", 3), ("thanks for nothing", 3),
    ("ridiculous", 2), ("useless", 2), ("angry", 2), ("worst", 2), ("terrible", 2), ("awful", 2),
    ("horrible", 2), ("never again", 2), ("third time", 2), ("fourth time", 3), ("how many times", 2),
    ("again and again", 2), ("waste of", 2), ("frustrated", 2), ("frustrating", 2), ("not happy", 2),
    ("this is a joke", 2), ("damn", 2), ("annoyed", 1), ("upset", 1), ("disappointed", 1),
    ("气死了", 3), ("气死", 3), ("太差了", 3), ("垃圾", 3), ("骗子", 3), ("骗人", 3), ("愤怒", 3), ("受够了", 3),
    ("恶心", 3), ("太过分", 3), ("坑人", 3), ("再也不买", 3), ("什么破", 3), ("生气", 2), ("无语", 2),
    ("差劲", 2), ("离谱", 2), ("过分", 2), ("差评", 2), ("第三次", 2), ("我服了", 2), ("失望", 1), ("不满", 1),
]
# Praise that means the opposite when the same text describes a problem.
SARCASM_MARKERS = [
    ("thanks a lot", 2), ("oh great", 2), ("just great", 2), ("yeah right", 2), ("great job", 2),
    ("well done", 1), ("wonderful service", 2), ("brilliant service", 2), ("love waiting", 2),
    ("真是太好了", 2), ("真棒", 2), ("呵呵", 2), ("谢谢你们啊", 2),
]
NEGATORS = {"not", "no", "never", "hardly", "without", "nor", "neither", "cannot"}  # and every "...n't"
CHINESE_NEGATORS = "不没别未无非"
# Capitalised words that are names, not shouting.
ACRONYMS = {"DHL", "UPS", "USPS", "FAQ", "USB", "LED", "SMS", "PDF", "VIP", "USA", "EMS", "SKU", "ASAP", "FTC",
            "BBB", "GPS", "API", "URL", "QR"}

# (signal code, urgency, phrases). The first matching phrase of each signal becomes its reason.
URGENCY_SIGNALS = [
    # Not "lost" or "还没发货" alone: "lost suction" is no parcel, and an order paid this morning is not shipped yet
    # either; whether an order is overdue is the order's own fact (`_order_reasons`).
    ("lost_or_late", "high", [
        "lost parcel", "lost package", "lost my parcel", "lost my package", "lost my order", "parcel was lost",
        "package was lost", "order was lost", "lost in the post", "lost in transit", "got lost",
        "never arrived", "never received", "not arrived", "hasn't arrived", "has not arrived",
        "didn't arrive", "did not arrive", "not received my order", "haven't received my order",
        "have not received my order", "missing parcel", "missing package", "order is late", "parcel is late",
        "package is late", "delivery is late", "still not arrived", "still hasn't arrived", "delayed",
        "丢了", "丢件", "没收到货", "还没收到", "还没到", "没到货", "延误", "一直没发货", "物流不动"]),
    ("damaged_or_unsafe", "high", [
        "damaged", "broken", "smashed", "cracked", "shattered", "unsafe", "dangerous", "caught fire", "fire",
        "smoke", "smoking", "sparks", "sparking", "overheated", "overheating", "electric shock", "melted",
        "exploded", "破损", "损坏", "摔坏", "碎了", "压坏", "冒烟", "着火", "起火", "漏电", "爆炸", "危险"]),
    ("allergy_or_injury", "high", [
        "allergic", "allergy", "rash", "hives", "swelling", "swollen", "injury", "injured", "hurt myself",
        "got hurt", "burned", "burnt", "cut myself", "bleeding", "hospital", "doctor", "emergency room",
        "过敏", "红肿", "起疹子", "皮疹", "受伤", "烫伤", "割伤", "医院", "就医"]),
    ("double_charge", "high", [
        "charged twice", "double charge", "double charged", "double-charged", "two charges", "billed twice",
        "duplicate charge", "paid twice", "charged two times",
        "扣了两次", "重复扣款", "扣款两次", "付了两次", "多扣"]),
    ("public_or_regulator", "high", [
        "social media", "twitter", "tweet", "facebook", "instagram", "tiktok", "the news", "journalist",
        "the press", "regulator", "consumer protection", "trading standards", "ftc", "better business bureau",
        "bbb", "lawyer", "attorney", "legal action", "sue you", "court", "ombudsman",
        "曝光", "媒体", "微博", "抖音", "小红书", "消协", "消费者协会", "12315", "律师", "起诉", "法院"]),
    ("repeat_contact", "high", [
        "third time", "3rd time", "fourth time", "three times", "第三次", "第四次", "三次了"]),
    ("not_working", "medium", [
        "not working", "doesn't work", "does not work", "stopped working", "won't turn on", "will not turn on",
        "doesn't turn on", "defective", "faulty", "not as expected", "not as described", "poor quality",
        "不能用", "用不了", "坏了", "不工作", "故障", "质量问题", "质量差", "开不了机"]),
    ("refund_late", "medium", [
        "where is my refund", "still no refund", "haven't received my refund", "have not received my refund",
        "not received my refund", "refund is late", "refund still", "refund has not", "refund hasn't",
        "waiting for my refund", "waiting for a refund", "refund was promised",
        "退款还没", "还没退款", "退款没到", "没收到退款", "退款迟迟"]),
    ("wrong_size_or_colour", "medium", [
        "wrong size", "wrong colour", "wrong color", "too small", "too big", "too large", "doesn't fit",
        "does not fit", "wrong item", "尺码不对", "尺寸不对", "颜色不对", "发错", "太小", "太大", "不合身"]),
    ("coupon", "medium", [
        "coupon", "promo code", "discount code", "voucher", "优惠券", "优惠码", "折扣码"]),
]
SIGNAL_TEXT = {
    "lost_or_late": N_("the customer writes that the order is late or lost (“%(phrase)s”)"),
    "damaged_or_unsafe": N_("the customer writes that the product is damaged or unsafe (“%(phrase)s”)"),
    "allergy_or_injury": N_("the customer mentions an allergy or injury (“%(phrase)s”)"),
    "double_charge": N_("the customer writes that they were charged twice (“%(phrase)s”)"),
    "public_or_regulator": N_("the customer mentions going public or to a regulator (“%(phrase)s”)"),
    "repeat_contact": N_("the customer says they have contacted us about this before (“%(phrase)s”)"),
    "not_working": N_("the product does not work as expected (“%(phrase)s”)"),
    "refund_late": N_("the refund is later than promised (“%(phrase)s”)"),
    "wrong_size_or_colour": N_("wrong size, colour or item (“%(phrase)s”)"),
    "coupon": N_("a coupon or discount problem (“%(phrase)s”)"),
}

# The urgency a chosen category guarantees at least; the text can only raise it.
CATEGORY_URGENCY = {
    "late_or_lost": "high", "damaged_or_unsafe": "high", "allergy_or_injury": "high", "double_charge": "high",
    "not_working": "medium", "refund_delay": "medium", "wrong_item": "medium", "coupon": "medium",
    "service": "low", "suggestion": "low", "other": "low",
}

_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”]*”|「[^」]*」|『[^』]*』|^\s*>.*$", re.MULTILINE)
_CLAUSE_END = re.compile(r"[.!?,;:。！？，；：\n]")
_REPEATED_PUNCTUATION = re.compile(r"[!?！？]{2,}")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
_WORD = re.compile(r"[a-z']+")


def _compile(phrase):
    if phrase.isascii():
        body = r"\s+".join(re.escape(part) for part in phrase.split())
        return re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])")
    return re.compile(re.escape(phrase))


_ANGER = [(phrase, weight, _compile(phrase)) for phrase, weight in ANGER_WORDS]
_SARCASM = [(phrase, weight, _compile(phrase)) for phrase, weight in SARCASM_MARKERS]
_SIGNALS = [(code, urgency, [(phrase, _compile(phrase)) for phrase in phrases])
            for code, urgency, phrases in URGENCY_SIGNALS]


def normalise(text):
    """Lower case with one kind of apostrophe: what the lexicons match."""
    return (text or "").replace("’", "'").replace("‘", "'").lower()


def strip_quoted(text):
    """Text without what the customer quotes (an e-mail, a product page): those are someone else's words."""
    return _QUOTED.sub(" ", text or "")


def _negated(text, start):
    """Whether a negation governs the match at `start`, looking back only within its clause."""
    before = text[max(0, start - 40):start]
    clause = _CLAUSE_END.split(before)[-1]
    if clause and not clause.isascii() and any(char in CHINESE_NEGATORS for char in clause[-2:]):
        return True
    words = _WORD.findall(clause)[-NEGATION_WINDOW_WORDS:]
    return any(word in NEGATORS or word.endswith("n't") for word in words)


def _find(text, patterns):
    """[(phrase, weight)] of the phrases found in `text` and not negated; each phrase counted once."""
    found = []
    for phrase, weight, pattern in patterns:
        if any(not _negated(text, match.start()) for match in pattern.finditer(text)):
            found.append((phrase, weight))
    return found


def _without_overlaps(found):
    # "气死了" also contains "气死": count the longer phrase only.
    return [(p, w) for p, w in found if not any(p != other and p in other for other, _ in found)]


def urgency_signals(text):
    """[(code, urgency, phrase)] for every urgency signal in the text, negations excluded."""
    text = normalise(text)
    signals = []
    for code, urgency, phrases in _SIGNALS:
        for phrase, pattern in phrases:
            if any(not _negated(text, match.start()) for match in pattern.finditer(text)):
                signals.append((code, urgency, phrase))
                break
    return signals


def anger(text, problem_described=False):
    """(score, reasons) for anger or strong frustration in the customer's own words.

    Sarcastic praise only counts when the text also describes a problem, so "thanks a lot for your help"
    stays polite.
    """
    own_words = strip_quoted(text)
    lowered = normalise(own_words)
    reasons = []
    words = _without_overlaps(_find(lowered, _ANGER))
    score = sum(weight for _, weight in words)
    if words:
        reasons.append(Reason("angry_words", N_("strong words: %(words)s"),
                              {"words": ", ".join(f"“{phrase}”" for phrase, _ in words)}))
    negative = problem_described or bool(words)
    sarcasm = _find(lowered, _SARCASM) if negative else []
    if sarcasm:
        score += sum(weight for _, weight in sarcasm)
        reasons.append(Reason("sarcasm", N_("sarcasm about a problem: %(words)s"),
                              {"words": ", ".join(f"“{phrase}”" for phrase, _ in sarcasm)}))
    latin = _LATIN_WORD.findall(own_words)
    shouting = [word for word in latin if word.isupper() and word not in ACRONYMS]
    if len(shouting) >= 2:
        score += 2 if len(shouting) * 2 < len(latin) else 3
        reasons.append(Reason("capitals", N_("writes in capitals (%(words)s)"),
                              {"words": " ".join(shouting[:5])}))
    marks = _REPEATED_PUNCTUATION.findall(own_words)
    if marks:
        score += min(len(marks), 2)
        reasons.append(Reason("punctuation", N_("repeated punctuation (%(marks)s)"), {"marks": " ".join(marks[:3])}))
    return score, reasons


def _order_reasons(order, now):
    if order is None:
        return "low", []
    params = {"number": f"#{order.number.lstrip('#')}"}
    if order.late and order.late_since is not None:
        overdue = now - order.late_since
        in_days = overdue.days >= 1
        params["num"] = overdue.days if in_days else int(overdue.total_seconds() // 3600)
        if order.late == "not_shipped":
            template = (N_plural("order %(number)s is %(num)s day past its ship-by date",
                                 "order %(number)s is %(num)s days past its ship-by date") if in_days
                        else N_plural("order %(number)s is %(num)s hour past its ship-by date",
                                      "order %(number)s is %(num)s hours past its ship-by date"))
        else:
            template = (N_plural("order %(number)s has had no carrier update for %(num)s day",
                                 "order %(number)s has had no carrier update for %(num)s days") if in_days
                        else N_plural("order %(number)s has had no carrier update for %(num)s hour",
                                      "order %(number)s has had no carrier update for %(num)s hours"))
        return "high", [Reason("order_late", template, params)]
    if order.status == "delivery_exception":
        return "high", [Reason("delivery_problem", N_("the carrier reported a delivery problem for order %(number)s"),
                               params)]
    return "low", []


def _same_problem(past, category, order):
    if order is not None and past.order_number and past.order_number == order.number:
        return True
    return category not in ("", "other") and past.category == category


def _repeat_reasons(category, order, history, now, window):
    earlier = [p for p in history or () if p.created_at >= now - window and _same_problem(p, category, order)]
    if len(earlier) < REPEAT_CONTACTS:
        return "low", []
    return "high", [Reason("third_contact", N_("contact number %(count)s about the same problem in %(days)s days"),
                           {"count": len(earlier) + 1, "days": window.days})]


def _most_urgent(*levels):
    return min(levels, key=URGENCY_RANK.__getitem__)


# What the model says a text reads like, by the topic of the example it is closest to.
TOPIC_TEXT = {
    "unsafe": N_("reads like an unsafe product, close to “%(example)s”"),
    "damaged": N_("reads like a product that arrived damaged, close to “%(example)s”"),
    "injury": N_("reads like an injury or allergic reaction, close to “%(example)s”"),
    "double_charge": N_("reads like a double charge, close to “%(example)s”"),
    "lost_or_late": N_("reads like a lost or late order, close to “%(example)s”"),
    "public": N_("reads like a threat to go public or to a regulator, close to “%(example)s”"),
    "repeat": N_("reads like a repeated contact, close to “%(example)s”"),
    "not_working": N_("reads like a product that does not work, close to “%(example)s”"),
    "refund_late": N_("reads like a late or short refund, close to “%(example)s”"),
    "wrong_item": N_("reads like a wrong or missing item, close to “%(example)s”"),
    "coupon": N_("reads like a coupon problem, close to “%(example)s”"),
    "delivery": N_("reads like a delivery problem, close to “%(example)s”"),
    "returns": N_("reads like a return problem, close to “%(example)s”"),
    "price": N_("reads like a price question, close to “%(example)s”"),
    "question": N_("reads like a question, close to “%(example)s”"),
    "suggestion": N_("reads like a suggestion, close to “%(example)s”"),
    "feedback": N_("reads like feedback, close to “%(example)s”"),
    "service": N_("reads like a complaint about our service, close to “%(example)s”"),
}
# Agents' examples carry no topic: the urgency they gave is what the reason says.
LEARNED_TEXT = {
    "high": N_("reads like an urgent case an agent marked, close to “%(example)s”"),
    "medium": N_("reads like a standard case an agent marked, close to “%(example)s”"),
    "low": N_("reads like a general case an agent marked, close to “%(example)s”"),
}
EXAMPLE_QUOTE_CHARS = 120
_DEFAULT_READER = object()


def _quote(example):
    text = example.text
    return text if len(text) <= EXAMPLE_QUOTE_CHARS else text[:EXAMPLE_QUOTE_CHARS - 1] + "…"


def _model_reasons(judged):
    example = judged.urgency_example
    template = TOPIC_TEXT.get(example.topic) or LEARNED_TEXT[judged.urgency]
    return [Reason("reads_like", template, {"example": _quote(example)})]


def triage(text, category, order, customer, history, now=None, repeat_window=DEFAULT_REPEAT_WINDOW,
           reader=_DEFAULT_READER):
    """Urgency, anger, queue priority and the reasons for them, for one complaint.

    `order` is an OrderFacts or None, `customer` anything with `is_vip`, `history` the customer's earlier
    cases as PastContact. The SLA targets come from the urgency alone, the same for every customer.
    `reader` reads the text by meaning (default: the process's, if the model is on); None keeps to the word
    rules. The model and the rules each judge the text, and the most urgent of them and of the facts wins.
    """
    if reader is _DEFAULT_READER:
        from portal.complaints.reading import current_reader

        reader = current_reader()
    judged = reader.read(text) if reader is not None else None
    now = now or datetime.now(UTC)
    reasons = []
    category_urgency = CATEGORY_URGENCY.get(category, "low")
    if category_urgency != "low":
        reasons.append(Reason("category", N_("the customer chose the category “%(category)s”"),
                              {"category": category}))
    text_urgency = "low"
    # A word rule raises the urgency only where the model sees that level as possible at all: "lost" in "lost
    # suction" or "还没发货" in a question about an order placed this morning is not a lost parcel.
    signals = [(code, level, phrase) for code, level, phrase in urgency_signals(text)
               if judged is None or judged.belief(level) >= RULE_BELIEF]
    for code, level, phrase in signals:
        text_urgency = _most_urgent(text_urgency, level)
        reasons.append(Reason(code, SIGNAL_TEXT[code], {"phrase": phrase}))
    if judged is not None and judged.urgency_example is not None:
        text_urgency = _most_urgent(text_urgency, judged.urgency)
        reasons += _model_reasons(judged)
    order_urgency, order_reasons = _order_reasons(order, now)
    repeat_urgency, repeat_reasons = _repeat_reasons(category, order, history, now, repeat_window)
    reasons += order_reasons + repeat_reasons
    urgency = _most_urgent(category_urgency, text_urgency, order_urgency, repeat_urgency)
    if urgency == "low":
        reasons.append(Reason("low", N_("no sign of an urgent problem: feedback, a suggestion or a question")))

    # Praise is sarcasm when the text is about a problem, whether a word rule or the model found the problem.
    problem = bool(signals) or category_urgency != "low" or (judged is not None and judged.urgency != "low")
    score, anger_reasons = anger(text, problem_described=problem)
    if judged is not None:
        angry = judged.anger_belief >= LEXICON_ANGER_BELIEF and judged.angry_with(
            ANGER_POINT_BELIEF * min(score, ANGER_THRESHOLD))
        if angry and judged.anger_example is not None:
            reasons.append(Reason("reads_angry", N_("reads as angry, close to “%(example)s”"),
                                  {"example": _quote(judged.anger_example)}))
    else:
        angry = score >= ANGER_THRESHOLD
    if angry:
        reasons += anger_reasons
    vip = bool(getattr(customer, "is_vip", False))
    return Triage(urgency=urgency, angry=angry, priority=priority(urgency, angry, now, vip),
                  reasons=tuple(reasons))
