"""How the triage reader's settings were chosen: its variants on the DEVELOPMENT set, never the evaluation set.

    python -m tests.eval.tune_triage

Reads tests/eval/data/dev/triage_dev.yaml and prints urgency accuracy, recall of "high" and anger F1 (each
complaint filed as category "other" with no order, word rules combined as triage combines them) for each
belief threshold and weight of the anger score's points, with the shipped settings marked.
"""

import itertools

from portal.complaints import reading, triage
from tests.eval.search import load
from tests.eval.triage import FILES, NOW, _Customer, figures


class _Cached:
    """A reader over vectors embedded once, so each setting costs no model time."""

    def __init__(self, reader, vectors):
        self.reader, self.vectors = reader, vectors

    def read(self, text):
        return self.reader.read_vector(self.vectors[text])


def main():
    items = load(FILES["dev"])["complaints"]
    examples = reading.bank_examples()
    reader = reading.Reader(examples, reading.semantics.embed_queries([e.text for e in examples]))
    texts = [item["text"] for item in items]
    cached = _Cached(reader, dict(zip(texts, reading.semantics.embed_queries(
        [text[:reading.READ_CHARS] for text in texts]), strict=True)))
    shipped = (reading.HIGH_SHARE, reading.ANGRY_SHARE, triage.RULE_BELIEF, triage.ANGER_POINT_BELIEF)
    print(f"triage development set ({len(items)} complaints, tests/eval/data/{FILES['dev']})")
    print(f"{'high':>5} {'angry':>5} {'rules':>5} {'point':>5} {'accuracy':>8} {'high rec':>8} {'anger F1':>8}")
    for setting in itertools.product((0.3, 0.35, 0.4), (0.3, 0.35, 0.4, 0.45), (0.0, 0.1, 0.2), (0.0, 0.05, 0.1, 0.15)):
        reading.HIGH_SHARE, reading.ANGRY_SHARE, triage.RULE_BELIEF, triage.ANGER_POINT_BELIEF = setting
        results = [triage.triage(text, "other", None, _Customer(), [], now=NOW, reader=cached) for text in texts]
        accuracy, recall, f1 = figures(items, results)
        mark = "  (shipped)" if setting == shipped else ""
        high, angry, rules, point = setting
        print(f"{high:>5} {angry:>5} {rules:>5} {point:>5} {accuracy:>8.3f} {recall['high']:>8.3f} {f1:>8.3f}{mark}")
    reading.HIGH_SHARE, reading.ANGRY_SHARE, triage.RULE_BELIEF, triage.ANGER_POINT_BELIEF = shipped


if __name__ == "__main__":
    main()
