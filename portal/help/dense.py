"""Article vectors for the dense half of help search: written beside the Whoosh index, read as matrices.

Each index generation holds `vectors.npz`: per published article its id, locale, the hash of the texts that were
embedded (the article version the vectors came from) and its vectors: one for the head of the article and one for
the title with each keyword. Writers (the worker's job, `flask search reindex`) re-embed only articles whose hash
changed. Each web process keeps the matrices of each locale and reloads them when the file or the index pointer
changes. A missing or unreadable file means lexical search only.
"""

import hashlib
import logging
import os
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select

from portal import semantics
from portal.extensions import db
from portal.models import Article

log = logging.getLogger("portal.search")

VECTORS_FILE = "vectors.npz"
EMBED_BATCH = 8  # articles, each a handful of passages
# What the model reads of an article: its title and keywords say most, the body's opening says the rest.
PASSAGE_CHARS = 400
# Customers word a question the way an article's keywords are worded, not like its body: the title with each
# keyword is a passage of its own, and an article's similarity is HEAD_WEIGHT of its head's plus the rest of
# its best keyword passage's. Measured on tests/eval/data/search_dev.yaml: fused recall@3 en 0.918 -> 0.959,
# zh 0.900 -> 0.986 over the head alone; passages cut from the body's sections ranked worse than the head.
# Tried for issue 14 on the dev set grown to 139 en + 75 zh queries (fused MRR en 0.899, zh 0.922), and left out:
# HEAD_WEIGHT 0.4 (dev about +0.01 in each language; evaluation set en 0.892 -> 0.890, zh 0.916 -> 0.912); each
# keyword alone, without the title (dev en about +0.015; evaluation set en 0.886, and random letters came nearer).
KEYWORD_PASSAGES = 8
HEAD_WEIGHT = 0.5
# The head is embedded as a passage (a question against the text that answers it) but each title-with-keyword
# as a query: a keyword is worded as a customer words a question, and e5 compares like with like through the
# "query: " side. Measured on the development set (floors unchanged): dense MRR en 0.866 -> 0.884, zh 0.878 ->
# 0.903; fused MRR en 0.895 -> 0.912, zh 0.922 -> 0.927 (recall@3 en 0.950 -> 0.964, zh 0.987 -> 0.973).
# Only the articles with this many nearest heads have their keyword passages read (all of them up to this size):
# an article far down by its head does not reach the top by a keyword, and at 10 000 articles the rows read
# each query fall from 50 000 to 14 000.
SHORTLIST = 1000
# Bumped when what is embedded changes, so every stored vector is made again.
PASSAGE_FORMAT = "head+keywords-as-queries/2"
# Vectors embedded in this process by hash, so a rebuild into a fresh directory reuses them too.
PASSAGE_CACHE_SIZE = 16384

_passage_cache = OrderedDict()
_loaded = {}
_load_lock = threading.Lock()
_warned_bad_files = set()


def passage_text(title, keywords, body_text):
    return f"{title}\n{'; '.join(keywords or [])}\n{body_text}"[:PASSAGE_CHARS]


def passages(title, keywords, body_text):
    """What is embedded for one article: its head first (as a passage), then the title with each keyword (the
    title alone for an article without keywords), each as a query."""
    phrases = [k for k in (keywords or []) if k and k.strip()][:KEYWORD_PASSAGES]
    return [passage_text(title, keywords, body_text)] + ([f"{title}\n{k}" for k in phrases] or [title])


def text_hash(text):
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def passages_hash(texts):
    return text_hash("\x1f".join([PASSAGE_FORMAT, *texts]))


def _published_texts(ids=None):
    from portal.help.search import plain_text

    statement = select(Article.id, Article.locale, Article.title, Article.keywords, Article.body).where(
        Article.published.is_(True))
    if ids is not None:
        statement = statement.where(Article.id.in_(list(ids)))
    return {row.id: (row.locale, passages(row.title, row.keywords, plain_text(row.body)))
            for row in db.session.execute(statement)}


def read(directory):
    """{id: (locale, hash, vectors)} from a generation's file, the head's vector first; {} if it has none (or
    one written before articles had several vectors: everything is embedded again); None if the file is bad."""
    path = Path(directory) / VECTORS_FILE
    if not path.exists():
        return {}
    try:
        with np.load(path, allow_pickle=False) as stored:
            if "counts" not in stored.files:
                return {}
            ids, locales, hashes = stored["ids"], stored["locales"], stored["hashes"]
            counts, matrix = stored["counts"], stored["matrix"]
        if matrix.ndim != 2 or matrix.shape != (int(counts.sum()), semantics.DIMENSIONS) or not (
                len(ids) == len(locales) == len(hashes) == len(counts)) or (counts < 2).any():
            raise ValueError(f"shapes {matrix.shape}, {len(ids)} ids, {int(counts.sum())} vectors")
        matrix = matrix.astype(np.float32, copy=False)
        ends = np.cumsum(counts)
        rows = zip(ids, locales, hashes, ends - counts, ends, strict=True)
        return {int(i): (str(loc), str(h), matrix[start:end]) for i, loc, h, start, end in rows}
    except Exception:  # a truncated or foreign file: dense search is off until the next write replaces it
        if str(path) not in _warned_bad_files:
            _warned_bad_files.add(str(path))
            log.warning("unreadable article vectors in %s: lexical search only", path, exc_info=True)
        return None


def _write(directory, entries):
    ids = sorted(entries)
    matrix = (np.concatenate([entries[i][2] for i in ids]).astype(np.float32) if ids
              else np.zeros((0, semantics.DIMENSIONS), dtype=np.float32))
    temporary = Path(directory) / f".{VECTORS_FILE}.{secrets.token_hex(4)}.npz"
    np.savez(temporary, ids=np.asarray(ids, dtype=np.int64),
             locales=np.asarray([entries[i][0] for i in ids], dtype="U8"),
             hashes=np.asarray([entries[i][1] for i in ids], dtype="U32"),
             counts=np.asarray([len(entries[i][2]) for i in ids], dtype=np.int32), matrix=matrix)
    os.replace(temporary, Path(directory) / VECTORS_FILE)


def _embed(groups, progress=None):
    """A matrix of vectors per article from its texts (see `passages`), reusing this process's cache;
    `progress(n)` as articles finish."""
    vectors = []
    for start in range(0, len(groups), EMBED_BATCH):
        # The head is keyed apart from the rest: the same text embedded as a query has another vector.
        batch = [{text_hash(("passage: " if n == 0 else "query: ") + t): t for n, t in enumerate(texts)}
                 for texts in groups[start:start + EMBED_BATCH]]
        heads = {h: t for texts in batch for h, t in list(texts.items())[:1] if h not in _passage_cache}
        rest = {h: t for texts in batch for h, t in list(texts.items())[1:] if h not in _passage_cache}
        for missing, embed in ((heads, semantics.embed_passages), (rest, semantics.embed_queries)):
            for h, vector in zip(missing, embed(list(missing.values())), strict=True):
                _passage_cache[h] = vector
        vectors.extend(np.stack([_passage_cache[h] for h in texts]) for texts in batch)
        for h in (h for texts in batch for h in texts):
            _passage_cache.move_to_end(h)
        while len(_passage_cache) > PASSAGE_CACHE_SIZE:
            _passage_cache.popitem(last=False)
        if progress:
            progress(len(batch))
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
        locale, article_passages = stale[article_id]
        entries[article_id] = (locale, passages_hash(article_passages), vector)
    _write(directory, entries)
    return len(stale)


def to_embed(directory, reuse_from=None):
    """How many published articles a sync would embed (for a progress bar's length)."""
    known = dict(read(reuse_from) or {}) if reuse_from else {}
    known.update(read(directory) or {})
    return sum(1 for i, t in _published_texts().items() if not _current(known, i, *t))


def _current(known, article_id, locale, texts):
    entry = known.get(article_id)
    return entry is not None and entry[0] == locale and entry[1] == passages_hash(texts)


def problem(directory):
    """Why dense search is off for the generation (no vectors, an unreadable file), or None when it is on."""
    if not (Path(directory) / VECTORS_FILE).exists():
        return "no article vectors: run `flask search reindex`"
    if not matrices(directory):
        return "the article vectors are unreadable or empty: run `flask search reindex`"
    return None


# ---- Reading: one matrix per locale, per process ------------------------------------------------------

def _file_key(directory):
    try:
        stat = (Path(directory) / VECTORS_FILE).stat()
    except OSError:
        return None
    return str(directory), stat.st_mtime_ns, stat.st_size


def matrices(directory):
    """{locale: Held} for the generation, reloaded when its file changed; {} without vectors."""
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
            counts = np.asarray([len(entries[i][2]) - 1 for i in ids], dtype=np.int64)
            by_locale[locale] = Held(
                ids=np.asarray(ids, dtype=np.int64),
                heads=np.ascontiguousarray(np.stack([entries[i][2][0] for i in ids]), dtype=np.float32),
                keywords=np.ascontiguousarray(np.concatenate([entries[i][2][1:] for i in ids]), dtype=np.float32),
                starts=np.cumsum(counts) - counts, counts=counts)
        _loaded["current"] = (key, by_locale)
        return by_locale


@dataclass(frozen=True)
class Held:
    """One locale's article vectors: heads one row per article; keyword passages grouped by article in the same
    order, `counts` of them each, starting at `starts`."""

    ids: np.ndarray
    heads: np.ndarray
    keywords: np.ndarray
    starts: np.ndarray
    counts: np.ndarray

    def nearest(self, vector):
        """(positions of the articles scored, their similarities): the SHORTLIST articles with the nearest heads,
        each by its head and its best keyword passage. Reading every keyword row costs four times the heads."""
        heads = self.heads @ vector
        chosen = (np.argpartition(-heads, SHORTLIST - 1)[:SHORTLIST] if len(heads) > SHORTLIST
                  else np.arange(len(heads)))
        counts = self.counts[chosen]
        ends = np.cumsum(counts)
        rows = np.arange(ends[-1]) - np.repeat(ends - counts, counts) + np.repeat(self.starts[chosen], counts)
        best_keyword = np.maximum.reduceat(self.keywords[rows] @ vector, ends - counts)
        return chosen, HEAD_WEIGHT * heads[chosen] + (1 - HEAD_WEIGHT) * best_keyword


def embed_ahead(directory, query, locales, until_started=False):
    """Start embedding the query on the model's helper thread when one of the locales has article vectors, so
    the caller's lexical search runs meanwhile (`rank` then takes the vector; `until_started`: see
    `semantics.embed_query_ahead`). True while the vector is on its way, False when it is ready or will not
    come."""
    held = matrices(directory)
    return any(locale in held for locale in locales) and semantics.embed_query_ahead(query, until_started)


def rank(directory, query, locale, depth):
    """[(article id, similarity)] of the locale's articles nearest the query, best first; [] when off."""
    held = matrices(directory).get(locale)
    if held is None or not semantics.available():
        return []
    chosen, similarities = held.nearest(semantics.embed_query(query))
    depth = min(depth, len(chosen))
    best = np.argpartition(-similarities, depth - 1)[:depth]
    best = best[np.argsort(-similarities[best], kind="stable")]
    return [(int(held.ids[chosen[n]]), float(similarities[n])) for n in best]
