"""Triage's reading of a complaint by meaning: the nearest labelled examples vote on urgency and anger.

The examples are the bank in portal/complaints/examples/bank.yaml plus the texts agents re-labelled
(`TriageExample`, urgency only). Their vectors are made once: the bank's are cached in the instance folder
under the hash of the bank and the model, an agent's example carries its own. Both sides are embedded as
queries: this compares like with like, not a question with its answer.
"""

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from flask import current_app, has_app_context
from sqlalchemy import func, select

from portal import semantics
from portal.extensions import db
from portal.models import TriageExample

log = logging.getLogger(__name__)

BANK_FILE = Path(__file__).resolve().parent / "examples" / "bank.yaml"
URGENCIES = ("high", "medium", "low")
# Tuned on the development set tests/eval/data/dev/triage_dev.yaml (python -m tests.eval.tune_triage), never on
# the evaluation set. Urgency and anger are each the mean of two beliefs: a softmax regression over the examples'
# vectors (smooth, but it leans towards "high" for any text about an order) and a vote of the nearest examples
# (sharp where the bank has a close example); together they beat either alone, and class prototypes, on the
# development set. Alone, the anger regression read calm questions on a topic of angry examples as angry.
L2_PENALTY = 1e-3
FIT_STEPS = 500
LEARNING_RATE = 2.0
NEAREST = 9
# Similarity differences between close examples are a few hundredths: a low temperature lets the closest count most.
VOTE_TEMPERATURE = 0.1
# Missing an urgent case costs most, so "high" needs only 35 % belief; below that, "low" is the default unless
# "medium" is at least as likely, and "not angry" unless anger (with the word signals triage adds) reaches 35 %.
HIGH_SHARE = 0.35
ANGRY_SHARE = 0.35
# A complaint's opening says what it is about; the model's time grows with the length it reads.
READ_CHARS = 600


@dataclass(frozen=True)
class Example:
    text: str
    urgency: str
    angry: bool | None  # agents' examples say nothing about anger
    topic: str = ""


@dataclass(frozen=True)
class Reading:
    """What the model makes of one text: urgency and anger, with the nearest example of the urgency and the
    nearest angry one."""

    urgency: str
    urgency_example: Example
    angry: bool
    anger_example: Example | None
    urgency_belief: tuple = (0.0, 0.0, 0.0)  # per URGENCIES, summing to 1
    anger_belief: float = 0.0

    def belief(self, urgency):
        return self.urgency_belief[URGENCIES.index(urgency)]

    def angry_with(self, evidence):
        """Whether anger reaches its share once `evidence` (a belief from signals the model does not see) is added."""
        return self.anger_belief + evidence >= ANGRY_SHARE


def _unit(matrix):
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _fit(features, labels, classes):
    """Weights and biases of a softmax regression, by full-batch gradient descent (a few ms at this size)."""
    weights = np.zeros((features.shape[1], classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    truth = np.eye(classes, dtype=np.float32)[labels]
    for _step in range(FIT_STEPS):
        logits = features @ weights + bias
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = probabilities - truth
        weights -= LEARNING_RATE * (features.T @ error / len(features) + L2_PENALTY * weights)
        bias -= LEARNING_RATE * error.mean(axis=0)
    return weights, bias


def _probabilities(features, model):
    weights, bias = model
    logits = features @ weights + bias
    exp = np.exp(logits - logits.max())
    return exp / exp.sum()


class Reader:
    """Urgency and anger from the examples' vectors: centred (e5 vectors share a large common part), then a
    softmax regression each, averaged with a vote of the nearest examples; the reason quotes the nearest example
    with the chosen label."""

    def __init__(self, examples, matrix, exclude=None):
        self.examples = list(examples)
        matrix = np.asarray(matrix, dtype=np.float32)
        keep = np.ones(len(self.examples), bool)
        if exclude is not None:
            keep[exclude] = False
        self.centre = matrix[keep].mean(axis=0)
        self.features = _unit(matrix - self.centre)
        self.urgency = np.array([URGENCIES.index(e.urgency) for e in self.examples])
        self.angry = np.array([bool(e.angry) for e in self.examples])
        self.has_anger = np.array([e.angry is not None for e in self.examples]) & keep
        self.keep = keep
        self.urgency_model = _fit(self.features[keep], self.urgency[keep], len(URGENCIES))
        self.anger_model = _fit(self.features[self.has_anger], self.angry[self.has_anger].astype(int), 2)

    def read(self, text):
        # Through the per-process cache: the assistant's intent and help search, and the complaint form's
        # suggestions, have often embedded this very text already.
        return self.read_vector(semantics.embed_query(" ".join(str(text or "").split())[:READ_CHARS]))

    def read_vector(self, vector):
        features = _unit(vector - self.centre)
        similarities = np.where(self.keep, self.features @ features, -np.inf)
        urgency_belief = (_probabilities(features, self.urgency_model) + self._vote(similarities)) / 2
        urgency = 0 if urgency_belief[0] >= HIGH_SHARE else 1 if urgency_belief[1] >= urgency_belief[2] else 2
        anger_belief = float(_probabilities(features, self.anger_model)[1]
                             + self._vote(similarities, anger=True)[1]) / 2
        angry = anger_belief >= ANGRY_SHARE
        return Reading(urgency=URGENCIES[urgency],
                       urgency_example=self._nearest(similarities, self.urgency == urgency),
                       angry=angry, anger_example=self._nearest(similarities, self.angry & self.has_anger),
                       urgency_belief=tuple(float(b) for b in urgency_belief), anger_belief=anger_belief)

    def _vote(self, similarities, anger=False):
        """Each urgency's (or calm's and anger's) share of the nearest examples' votes, a vote weighing
        exp(similarity / temperature)."""
        labels, classes = (self.angry.astype(int), 2) if anger else (self.urgency, len(URGENCIES))
        usable = np.flatnonzero(np.isfinite(similarities) & (self.has_anger if anger else True))
        nearest = usable[np.argsort(-similarities[usable])[:NEAREST]]
        if not len(nearest):
            return np.full(classes, 1 / classes)
        weights = np.exp((similarities[nearest] - similarities[nearest].max()) / VOTE_TEMPERATURE)
        votes = np.bincount(labels[nearest], weights=weights, minlength=classes)
        return votes / votes.sum()

    def _nearest(self, similarities, usable):
        candidates = np.flatnonzero(usable & np.isfinite(similarities))
        if not len(candidates):
            return None
        return self.examples[int(candidates[np.argmax(similarities[candidates])])]


def bank_examples():
    data = yaml.safe_load(BANK_FILE.read_text(encoding="utf-8"))
    return [Example(text=e["text"], urgency=e["urgency"], angry=bool(e["angry"]), topic=e["topic"])
            for e in data["examples"]]


def _bank_vectors(examples):
    """The bank's passage vectors, from the instance cache when the bank and model are unchanged."""
    digest = hashlib.blake2b(BANK_FILE.read_bytes() + str(semantics.DIMENSIONS).encode(), digest_size=8).hexdigest()
    cache = Path(current_app.instance_path) / f"triage-bank-{digest}.npy" if has_app_context() else None
    if cache is not None and cache.exists():
        try:
            matrix = np.load(cache, allow_pickle=False)
            if matrix.shape == (len(examples), semantics.DIMENSIONS):
                return matrix
        except (OSError, ValueError):
            log.warning("unreadable triage bank cache %s: embedding the bank again", cache)
    matrix = semantics.embed_queries([e.text for e in examples])
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            temporary = cache.with_suffix(".tmp.npy")
            np.save(temporary, matrix)
            temporary.replace(cache)
        except OSError:
            log.warning("could not cache the triage bank's vectors in %s", cache)
    return matrix


_lock = threading.Lock()
_bank = None
_readers = {}


def _learned_version():
    if not has_app_context():
        return None
    # The newest time as well as the count and the newest id: an id freed by a removal can be handed out again
    # (SQLite reuses the highest one), and the same count and id would then name another set of examples.
    return tuple(db.session.execute(select(func.count(TriageExample.id), func.max(TriageExample.id),
                                           func.max(TriageExample.created_at))).one())


def current_reader():
    """The Reader over the bank and the agents' examples, rebuilt when examples were added or removed;
    None when the model is off."""
    global _bank
    if (has_app_context() and not current_app.config["SEMANTIC_SEARCH"]) or not semantics.available():
        return None
    version = _learned_version()
    reader = _readers.get(version)
    if reader is not None:
        return reader
    with _lock:
        if _bank is None:
            examples = bank_examples()
            _bank = (examples, _bank_vectors(examples))
        examples, matrix = _bank
        if version and version[0]:
            learned = [(row.text, row.urgency, row.vector) for row in db.session.scalars(
                select(TriageExample).order_by(TriageExample.id))]
            usable = [(t, u, v) for t, u, v in learned if len(v) == semantics.DIMENSIONS * 4]
            if usable:
                examples = examples + [Example(text=t, urgency=u, angry=None) for t, u, _v in usable]
                matrix = np.vstack([matrix, np.stack([np.frombuffer(v, dtype=np.float32) for _t, _u, v in usable])])
        reader = Reader(examples, matrix)
        _readers.clear()
        _readers[version] = reader
        return reader


def learn(text, urgency, case_id=None, staff_id=None):
    """Add a text with the urgency an agent gave it to the examples triage reads by."""
    text = " ".join((text or "").split())[:semantics.MAX_CHARS]
    if not text or urgency not in URGENCIES:
        return None
    vector = b""
    if semantics.available():
        vector = semantics.embed_queries([text[:READ_CHARS]])[0].astype(np.float32).tobytes()
    example = TriageExample(text=text, urgency=urgency, vector=vector, case_id=case_id, staff_id=staff_id)
    db.session.add(example)
    db.session.flush()
    return example
