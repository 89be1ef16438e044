"""Which intent a customer's message has: nearest examples of the bank in intents.json, by meaning.

The bank is embedded once per process (`embed_passages`) and each message once (`embed_query`); an
intent's score is the mean cosine of its two nearest examples. When the model is off, the same bank is
compared by shared words (English) and character pairs (Chinese), so the assistant still answers.
"""

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portal import semantics

BANK_FILE = Path(__file__).with_name("intents.json")
# Intents below this score are not trusted: the message is treated as a question for the help center.
MIN_SCORE = {"semantic": 0.86, "lexical": 0.34}
NEAREST = 2
_WORD = re.compile(r"[a-z0-9']+")
_CJK = re.compile(r"[\u3400-\u9fff]")

_lock = threading.Lock()
_bank = None
_intents = None


@dataclass(frozen=True)
class Guess:
    intent: str  # "" when no intent is close enough: a question for the help center
    score: float
    runner_up: str = ""


@dataclass(frozen=True)
class Intent:
    name: str
    scenario: str = ""  # the help articles that answer it, by their scenario
    category: str = ""  # the complaint category a hand-over files
    handover: bool = False  # a problem for a person at once (it reads as urgent)


def _data(path):
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {name: entry for name, entry in data.items() if not name.startswith("_")}


def load_examples(path=BANK_FILE):
    """[(intent, language, sentence)] from the data file."""
    return [(name, language, sentence) for name, entry in _data(path).items()
            for language, sentences in entry["examples"].items() for sentence in sentences]


def load_intents(path=BANK_FILE):
    """{name: Intent} from the data file."""
    return {name: Intent(name, entry.get("scenario", ""), entry.get("category", ""), entry.get("handover", False))
            for name, entry in _data(path).items()}


def _features(text):
    """Words for Latin text, character pairs for Chinese: what the lexical fallback compares."""
    lowered = text.lower()
    features = set(_WORD.findall(lowered))
    han = "".join(_CJK.findall(lowered))
    features |= {han[i:i + 2] for i in range(len(han) - 1)} | set(han)
    return features


class Bank:
    def __init__(self, examples):
        self.intents = [intent for intent, _language, _sentence in examples]
        self.features = [_features(sentence) for _intent, _language, sentence in examples]
        self.names = sorted(set(self.intents))
        self.columns = {name: np.array([i for i, intent in enumerate(self.intents) if intent == name])
                        for name in self.names}
        self.vectors = None
        if semantics.available():
            try:
                self.vectors = semantics.embed_passages([sentence for _i, _l, sentence in examples])
            except semantics.SemanticsUnavailable:
                self.vectors = None

    def _similarities(self, text):
        if self.vectors is not None:
            try:
                # The per-process cache: triage and the help search read the same message.
                return self.vectors @ semantics.embed_query(text), "semantic"
            except semantics.SemanticsUnavailable:
                pass
        wanted = _features(text)
        scores = [len(wanted & have) / (len(wanted | have) or 1) for have in self.features]
        return np.array(scores, dtype=np.float32), "lexical"

    def guess(self, text):
        similarities, mode = self._similarities(text)
        ranked = []
        for name in self.names:
            nearest = np.sort(similarities[self.columns[name]])[-NEAREST:]
            ranked.append((float(nearest.mean()), name))
        ranked.sort(reverse=True)
        (score, best), (_second_score, second) = ranked[0], ranked[1]
        return Guess(best if score >= MIN_SCORE[mode] else "", score, second)


def bank():
    """The process's bank, built on first use."""
    global _bank
    if _bank is None:
        with _lock:
            if _bank is None:
                _bank = Bank(load_examples())
    return _bank


def guess(text):
    return bank().guess(text)


def intent(name):
    """What the data file says about an intent (an empty Intent for none)."""
    global _intents
    if _intents is None:
        _intents = load_intents()
    return _intents.get(name) or Intent(name)
