"""Triage quality: urgency accuracy, per-class recall and anger F1 for the word rules and the model, side by side.

Each complaint is filed as category "other" with no order, so the text alone decides. The "test" split is the
held-out evaluation set; "dev" is the development set that the reader's settings are tuned on.
"""

from datetime import UTC, datetime

from portal.complaints import reading
from portal.complaints.triage import triage
from tests.eval.search import load

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LEVELS = ("high", "medium", "low")
FILES = {"test": "triage_test.yaml", "dev": "dev/triage_dev.yaml"}


class _Customer:
    is_vip = False


def judge(items, reader):
    return [triage(item["text"], "other", None, _Customer(), [], now=NOW, reader=reader) for item in items]


def figures(items, results):
    right = sum(1 for item, result in zip(items, results, strict=True) if result.urgency == item["urgency"])
    recall = {level: sum(1 for item, result in zip(items, results, strict=True)
                         if item["urgency"] == level and result.urgency == level)
              / max(1, sum(1 for item in items if item["urgency"] == level)) for level in LEVELS}
    tp = sum(1 for item, result in zip(items, results, strict=True) if item["angry"] and result.angry)
    precision = tp / max(1, sum(1 for result in results if result.angry))
    anger_recall = tp / max(1, sum(1 for item in items if item["angry"]))
    f1 = 2 * precision * anger_recall / (precision + anger_recall) if precision + anger_recall else 0.0
    return right / len(items), recall, f1


def run(split="test"):
    items = load(FILES[split])["complaints"]
    examples = reading.bank_examples()
    model = reading.Reader(examples, reading.semantics.embed_queries([e.text for e in examples]))
    lines = [f"triage ({len(items)} complaints, tests/eval/data/{FILES[split]})",
             f"{'triage':<8} {'lang':<4} {'n':>4} {'accuracy':>8} {'high rec':>8} {'med rec':>8} {'low rec':>8}"
             f" {'anger F1':>8}"]
    for name, reader in (("rules", None), ("model", model)):
        results = judge(items, reader)
        for language in ("en", "zh", "all"):
            chosen = [n for n, item in enumerate(items) if language == "all" or _language(item["text"]) == language]
            accuracy, recall, f1 = figures([items[n] for n in chosen], [results[n] for n in chosen])
            lines.append(f"{name:<8} {language:<4} {len(chosen):>4} {accuracy:>8.3f} {recall['high']:>8.3f}"
                         f" {recall['medium']:>8.3f} {recall['low']:>8.3f} {f1:>8.3f}")
    return "\n".join(lines)


def _language(text):
    return "zh" if any("\u4e00" <= char <= "\u9fff" for char in text) else "en"
