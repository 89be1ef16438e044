"""The triage example bank against the evaluation sets: nothing shared, and enough examples of each kind."""

import re
from collections import Counter

from portal.complaints import reading
from tests.eval.search import load
from tests.eval.triage import FILES, _language


def _sentence(text):
    # Case, spacing and punctuation aside, the same words are the same sentence.
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def test_the_bank_the_development_set_and_the_test_set_share_no_sentence():
    sets = {"bank": {_sentence(e.text) for e in reading.bank_examples()}}
    for split, name in FILES.items():
        sets[split] = {_sentence(item["text"]) for item in load(name)["complaints"]}
    for first, second in (("bank", "dev"), ("bank", "test"), ("dev", "test")):
        shared = sets[first] & sets[second]
        assert not shared, f"{first} and {second} share sentences"


def test_the_bank_has_forty_examples_of_each_urgency_and_of_anger_and_calm_in_each_language():
    examples = reading.bank_examples()
    counts = Counter((_language(e.text), e.urgency) for e in examples)
    counts.update((_language(e.text), "angry" if e.angry else "calm") for e in examples)
    for language in ("en", "zh"):
        for kind in (*reading.URGENCIES, "angry", "calm"):
            assert counts[language, kind] >= 40, (language, kind, counts[language, kind])
