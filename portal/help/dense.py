"""Article vectors for the dense half of help search: written beside the Whoosh index, read as one matrix.

Each index generation holds `vectors.npz`: per published article its id, locale, the hash of the text that was
embedded (the article version the vector came from) and the vector. Writers (the worker's job, `flask search
reindex`) re-embed only articles whose text hash changed. Each web process keeps one float32 matrix per locale
and reloads it when the file or the index pointer changes. A missing or unreadable file means lexical search only.
"""

import hashlib
import logging
import os
import secrets
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from sqlalchemy import select

from portal import semantics
from portal.extensions import db
from portal.models import Article

log = logging.getLogger("portal.search")

VECTORS_FILE = "vectors.npz"
EMBED_BATCH = 32
# What the model reads of an article: its title and keywords say most, the body's opening says the rest.
PASSAGE_CHARS = 400
# Vectors embedded in this process by hash, so a rebuild into a fresh directory reuses them too.
PASSAGE_CACHE_SIZE = 4096

_passage_cache = OrderedDict()
_loaded = {}
_load_lock = threading.Lock()
_warned_bad_files = set()


def passage_text(title, keywords, body_text):
    return f"{title}\n{'; '.join(keywords or [])}\n{body_text}"[:PASSAGE_CHARS]


def text_hash(text):
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _published_texts(ids=None):
    from portal.help.search import plain_text

    statement = select(Article.id, Article.locale, Article.title, Article.keywords, Article.body).where(
        Article.published.is_(True))
    if ids is not None:
        statement = statement.where(Article.id.in_(list(ids)))
    return {row.id: (row.locale, passage_text(row.title, row.keywords, plain_text(row.body)))
            for row in db.session.execute(statement)}


def read(directory):
    """{id: (locale, hash, vector)} from a generation's file; {} if it has none; None if the file is bad."""
    path = Path(directory) / VECTORS_FILE
    if not path.exists():
        return {}
    try:
        with np.load(path, allow_pickle=False) as stored:
            ids, locales, hashes, matrix = stored["ids"], stored["locales"], stored["hashes"], stored["matrix"]
        if matrix.ndim != 2 or matrix.shape != (len(ids), semantics.DIMENSIONS) or not (
                len(ids) == len(locales) == len(hashes)):
            raise ValueError(f"shapes {matrix.shape}, {len(ids)} ids")
        matrix = matrix.astype(np.float32, copy=False)
        rows = zip(ids, locales, hashes, strict=True)
        return {int(i): (str(loc), str(h), matrix[n]) for n, (i, loc, h) in enumerate(rows)}
    except Exception:  # a truncated or foreign file: dense search is off until the next write replaces it
        if str(path) not in _warned_bad_files:
            _warned_bad_files.add(str(path))
            log.warning("unreadable article vectors in %s: lexical search only", path, exc_info=True)
        return None


def _write(directory, entries):
    ids = sorted(entries)
    matrix = (np.stack([entries[i][2] for i in ids]).astype(np.float32) if ids
              else np.zeros((0, semantics.DIMENSIONS), dtype=np.float32))
    temporary = Path(directory) / f".{VECTORS_FILE}.{secrets.token_hex(4)}.npz"
    np.savez(temporary, ids=np.asarray(ids, dtype=np.int64),
             locales=np.asarray([entries[i][0] for i in ids], dtype="U8"),
             hashes=np.asarray([entries[i][1] for i in ids], dtype="U32"), matrix=matrix)
    os.replace(temporary, Path(directory) / VECTORS_FILE)


def _embed(texts, progress=None):
    """Vectors for the passage texts, reusing this process's cache; `progress(n)` as batches finish."""
    hashes = [text_hash(t) for t in texts]
    missing = [n for n, h in enumerate(hashes) if h not in _passage_cache]
    for start in range(0, len(missing), EMBED_BATCH):
        batch = missing[start:start + EMBED_BATCH]
        for n, vector in zip(batch, semantics.embed_passages([texts[n] for n in batch]), strict=True):
            _passage_cache[hashes[n]] = vector
        if progress:
            progress(len(batch))
    vectors = [_passage_cache[h] for h in hashes]
    for h in hashes:
        _passage_cache.move_to_end(h)
    while len(_passage_cache) > PASSAGE_CACHE_SIZE:
        _passage_cache.popitem(last=False)
    if progress:
        progress(len(texts) - len(missing))
    return vectors


def sync(directory, ids=None, reuse_from=None, progress=None):
    """Bring the generation's vectors in step with the published articles (only `ids`, if given).

    Vectors whose text hash did not change are kept, from this directory's file or `reuse_from`'s; returns how
    many articles were embedded, or None when the model is off (the file is then left as it is).
    """
    if not semantics.available():
        return None
    entries = read(directory)
    if entries is None or (ids is not None and not entries):
        entries, ids = {}, None  # no usable file yet: a full one, not a file of just these articles
    known = dict(entries)
    if reuse_from is not None:
        known.update(read(reuse_from) or {})
    texts = _published_texts(ids)
    for article_id in (set(entries) if ids is None else set(ids)) - set(texts):
        entries.pop(article_id, None)
    stale = {i: t for i, t in texts.items() if not _current(known, i, *t)}
    for article_id in texts.keys() - stale.keys():
        entries[article_id] = known[article_id]
    if progress:
        progress(len(texts) - len(stale))
    order = sorted(stale)
    vectors = _embed([stale[i][1] for i in order], progress)
    for article_id, vector in zip(order, vectors, strict=True):
        locale, text = stale[article_id]
        entries[article_id] = (locale, text_hash(text), vector)
    _write(directory, entries)
    return len(stale)


def to_embed(directory, reuse_from=None):
    """How many published articles a sync would embed (for a progress bar's length)."""
    known = dict(read(reuse_from) or {}) if reuse_from else {}
    known.update(read(directory) or {})
    return sum(1 for i, t in _published_texts().items() if not _current(known, i, *t))


def _current(known, article_id, locale, text):
    entry = known.get(article_id)
    return entry is not None and entry[0] == locale and entry[1] == text_hash(text)


# ---- Reading: one matrix per locale, per process ------------------------------------------------------

def _file_key(directory):
    try:
        stat = (Path(directory) / VECTORS_FILE).stat()
    except OSError:
        return None
    return str(directory), stat.st_mtime_ns, stat.st_size


def matrices(directory):
    """{locale: (ids, matrix)} for the generation, reloaded when its file changed; {} without vectors."""
    key = _file_key(directory)
    if key is None:
        return {}
    held = _loaded.get("current")
    if held is not None and held[0] == key:
        return held[1]
    with _load_lock:
        held = _loaded.get("current")
        if held is not None and held[0] == key:
            return held[1]
        entries = read(directory) or {}
        by_locale = {}
        for locale in {e[0] for e in entries.values()}:
            ids = sorted(i for i, e in entries.items() if e[0] == locale)
            by_locale[locale] = (np.asarray(ids, dtype=np.int64),
                                 np.ascontiguousarray(np.stack([entries[i][2] for i in ids]), dtype=np.float32))
        _loaded["current"] = (key, by_locale)
        return by_locale


def rank(directory, query, locale, depth):
    """[(article id, cosine similarity)] of the locale's articles nearest the query, best first; [] when off."""
    held = matrices(directory).get(locale)
    if held is None or not semantics.available():
        return []
    ids, matrix = held
    similarities = matrix @ semantics.embed_query(query)
    depth = min(depth, len(ids))
    best = np.argpartition(-similarities, depth - 1)[:depth]
    best = best[np.argsort(-similarities[best], kind="stable")]
    return [(int(ids[n]), float(similarities[n])) for n in best]
