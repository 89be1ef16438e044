"""Leave-one-out on the triage example bank: how the reader's settings were chosen (never the evaluation set).

    python -m tests.eval.tune_triage
"""

import itertools

from portal.complaints import reading, triage


def leave_one_out(examples, vectors, combine):
    urgency_right = high_found = 0
    angry_pairs = []
    for n, example in enumerate(examples):
        judged = reading.Reader(examples, vectors, exclude=n).read_vector(vectors[n])
        urgency = combine(judged.urgency, example.text)
        urgency_right += urgency == example.urgency
        high_found += example.urgency == "high" and urgency == "high"
        angry_pairs.append((example.angry, judged.angry))
    tp = sum(1 for truth, guess in angry_pairs if truth and guess)
    precision = tp / max(1, sum(1 for _t, guess in angry_pairs if guess))
    recall = tp / max(1, sum(1 for truth, _g in angry_pairs if truth))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    highs = sum(1 for e in examples if e.urgency == "high")
    return urgency_right / len(examples), high_found / highs, f1


def model_only(urgency, _text):
    return urgency


def rules_raise(urgency, text):
    """The most urgent of the model's and the word rules' levels."""
    levels = [urgency] + [level for _code, level, _phrase in triage.urgency_signals(text)]
    return min(levels, key=triage.URGENCY_RANK.__getitem__)


def main():
    examples = reading.bank_examples()
    vectors = reading.semantics.embed_queries([e.text for e in examples])
    print(f"{'combine':<12} {'high':>5} {'angry':>5} {'accuracy':>8} {'high rec':>8} {'anger F1':>8}")
    for combine, high, angry in itertools.product((model_only, rules_raise), (0.25, 0.3, 0.4), (0.3, 0.4, 0.5)):
        reading.HIGH_SHARE, reading.ANGRY_SHARE = high, angry
        accuracy, high_recall, f1 = leave_one_out(examples, vectors, combine)
        print(f"{combine.__name__:<12} {high:>5} {angry:>5} {accuracy:>8.3f} {high_recall:>8.3f} {f1:>8.3f}")


if __name__ == "__main__":
    main()
