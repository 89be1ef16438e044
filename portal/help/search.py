"""The help-center search index: Whoosh, one index with English and Chinese fields.

Layout of SEARCH_INDEX_DIR: each full build is a directory `gen-<time>-<random>`, and the file
`CURRENT` names the one searches use. A rebuild writes a new generation and then replaces `CURRENT`
in one rename, so a search sees the old index or the new one, never half of one. Only the worker
(`update_article`) and `flask search reindex` (`rebuild`) write; web processes only read.

Queries are built here, not parsed: what a customer types is never query syntax.
"""

import fcntl
import hashlib
import logging
import os
import pickle
import re
import secrets
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import select
from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter, StemFilter, StopFilter, Token, Tokenizer
from whoosh.analysis.filters import STOP_WORDS
from whoosh.analysis.tokenizers import default_pattern
from whoosh.fields import ID, TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.query import Term

from portal import semantics
from portal.extensions import db
from portal.help import dense, scoring, typos
from portal.help.scoring import RERANK_DEPTH
from portal.models import Article, Synonym

log = logging.getLogger("portal.search")

POINTER = "CURRENT"
SWAP_LOCK = ".swap.lock"
KEEP_GENERATIONS = 2  # the current one and the one before, for readers still holding it open

LOCALE_FIELDS = {locale: (f"title_{locale}", f"keywords_{locale}", f"body_{locale}") for locale in ("en", "zh")}
FIELD_BOOST = {"title": 3.0, "keywords": 2.5, "body": 1.0}
FUZZY_WEIGHT = 0.3  # a corrected spelling counts, but less than the word as typed
SYNONYM_WEIGHT = 0.8
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 12
ATTESTED_SHARE = 0.001
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
WORD = re.compile(r"\w+")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_LETTER = re.compile(r"[A-Za-z]")

# Hybrid ranking: lexical and dense lists fused by reciprocal rank (weights and floor tuned on
# tests/eval/data/search_dev.yaml, never on the evaluation set).
# The model ranks paraphrases far better than the index, so its list weighs three times as much.
RRF_K = 10
DENSE_WEIGHT = 3.0
DENSE_DEPTH = 20
# Below this similarity (see dense.HEAD_WEIGHT) an article is not about the query at all: e5 puts text about
# nothing in the corpus, and letters typed at random ("xyzzy"), up to 0.815 (English) and 0.875 (Chinese) from
# its nearest article. Chinese went from 0.875 to 0.87 when the development set grew by 45 Chinese queries
# written afresh: recall@3 0.942 -> 0.958 over its 120 Chinese queries; English unchanged, and its unrelated
# queries answered no more often (12 of 19 at both floors, most of them by the index's words).
DENSE_FLOOR = {"en": 0.82, "zh": 0.87}
# One or two typed characters say too little for the model, and as-you-type must stay instant.
DENSE_MIN_CHARS = 3


# ---- Analysis ------------------------------------------------------------------------------------

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    """jieba with its dictionary loaded, once per process and only when Chinese text is first seen."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)  # it announces the dictionary load on stderr
                jieba.initialize()
                _jieba_ready = True
    return jieba


class ChineseTokenizer(Tokenizer):
    """jieba's Whoosh tokenizer (search mode: long words also yield their parts), loading jieba lazily.

    jieba's own `ChineseAnalyzer` imports jieba.analyse, which loads its keyword tables at import time;
    this class is what the index schema pickles, so opening an index costs nothing until Chinese text comes.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, (word, start, end) in enumerate(_jieba().tokenize(value, mode="search")):
            if not word.strip() or (len(word) == 1 and not word.isalnum()):
                continue
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


@lru_cache(maxsize=100_000)
def _stem(word):
    """The Porter stem of a lowercased word; the C cache costs a tenth of StemFilter's LFU one per token."""
    return stem(word)


class EnglishTokenizer(Tokenizer):
    """Whoosh's StemmingAnalyzer (words, lowercased, stop words and one-letter words out, Porter stems) in one
    generator: indexing spent most of its analysis time passing each token through the four chained ones."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        position = start_pos
        for match in default_pattern.finditer(value):
            word = match.group()
            lowered = word.lower()
            stopped = len(lowered) < 2 or lowered in STOP_WORDS
            if stopped and removestops:
                continue
            token.text = lowered if stopped else _stem(lowered)
            token.stopped = stopped
            token.boost = 1.0
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = position
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            if not stopped:
                position += 1
            yield token


def english_analyzer():
    return EnglishTokenizer()


def chinese_analyzer():
    return (ChineseTokenizer() | LowercaseFilter()
            | StopFilter(stoplist=STOP_WORDS | {"的", "了", "和"}, minsize=1)
            | StemFilter(cachesize=50_000))


ANALYZERS = {"en": english_analyzer(), "zh": chinese_analyzer()}


def build_schema():
    # No positions (phrase=False): queries are bags of terms, and the index is smaller and faster to write.
    # Only the id and stamp are stored: the hits shown are read from the database, text and all.
    schema = Schema(id=ID(stored=True, unique=True), stamp=ID(stored=True))
    for locale, fields in LOCALE_FIELDS.items():
        for field in fields:
            schema.add(field, TEXT(analyzer=ANALYZERS[locale], phrase=False))
    return schema


# The lookahead lets the scan skip plain letters at once: a third of the time of the alternatives alone.
MARKDOWN_MARKUP = re.compile(r"(?=[#*_`>!\[])(^#+\s*|\*\*|__|[*_`>]|!?\[([^\]]*)\]\([^)]*\))", re.MULTILINE)


def plain_text(markdown_text):
    """Article text without Markdown markup, for the index and for snippets."""
    return MARKDOWN_MARKUP.sub(lambda m: m.group(2) or "", markdown_text)


def document(article):
    """The index document for an article (a dict of field values)."""
    title, keywords, body = LOCALE_FIELDS[article.locale]
    return {
        "id": str(article.id), "stamp": _stamp(article.updated_at), title: article.title,
        keywords: "\n".join(article.keywords or []), body: plain_text(article.body),
    }


def _stamp(updated_at):
    return updated_at.isoformat() if updated_at else ""


def _indexed_stamp(ix, article_id):
    with ix.searcher() as searcher:
        fields = searcher.document(id=str(article_id))
    return fields.get("stamp") if fields else None


# ---- Index directories and writing ----------------------------------------------------------------

def current_dir(root):
    """The directory holding the index searches use (the root itself for an index made there directly)."""
    root = Path(root)
    try:
        name = (root / POINTER).read_text().strip()
    except FileNotFoundError:
        return root
    return root / name


def index_exists(root):
    try:
        return _open(current_dir(root)).latest_generation() > -1
    except (whoosh_index.EmptyIndexError, OSError):
        return False


def _open(directory):
    """The index in a generation directory.

    Segments pickle the codec class they were written with; an index whose segments name a class this code no
    longer has (one written before 2026-12 named portal.help.search.Codec) raises EmptyIndexError like no index
    at all: searches find nothing instead of failing, and the worker's next update or `flask search reindex`
    builds a new generation.
    """
    try:
        return whoosh_index.open_dir(str(directory))
    except (AttributeError, ImportError, pickle.UnpicklingError) as error:
        raise whoosh_index.EmptyIndexError(f"unreadable index in {directory}: {error}") from error


@contextmanager
def _swap_lock(root):
    """Serialises index writers and the generation swap across processes on this host."""
    Path(root).mkdir(parents=True, exist_ok=True)
    with open(Path(root) / SWAP_LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _published_articles():
    return select(Article).where(Article.published.is_(True)).order_by(Article.id)


def _write_pointer(root, name):
    temporary = Path(root) / f".{POINTER}.{secrets.token_hex(4)}"
    temporary.write_text(name)
    os.replace(temporary, Path(root) / POINTER)


def _remove_old_generations(root, keep):
    generations = sorted((p for p in Path(root).glob("gen-*") if p.is_dir()), key=lambda p: p.name)
    for old in generations:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def rebuild(app, progress=None, procs=None, limitmb=None, embed_progress=None):
    """Build a complete new index from the database, then swap it in; returns how many articles it holds.

    `progress(n)` is called as articles are added, `embed_progress(n)` as their vectors are made or reused.
    Edits that land while it builds are caught up before the swap.
    """
    with app.app_context():
        root = Path(app.config["SEARCH_INDEX_DIR"])
        root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        directory = root / name
        directory.mkdir()
        ix = whoosh_index.create_in(str(directory), build_schema())
        procs = procs or app.config["SEARCH_INDEX_PROCS"]
        writer = ix.writer(procs=procs, limitmb=limitmb or app.config["SEARCH_INDEX_LIMIT_MB"],
                           multisegment=procs > 1)
        count = 0
        try:
            for article in db.session.scalars(_published_articles().execution_options(yield_per=1000)):
                writer.add_document(**document(article))
                count += 1
                if progress and count % 100 == 0:
                    progress(100)
            writer.commit()
            if procs > 1:
                # Each process wrote its own segment; searching several costs more than one merge now.
                ix.writer().commit(optimize=True)
        except BaseException:
            writer.cancel()
            shutil.rmtree(directory, ignore_errors=True)
            raise
        if progress:
            progress(count % 100)
        if semantic_enabled(app):
            dense.sync(directory, reuse_from=current_dir(root) if (root / POINTER).exists() else None,
                       progress=embed_progress)
        db.session.rollback()  # end the read snapshot, so the catch-up sees what others committed since
        with _swap_lock(root):
            caught_up = _catch_up(ix)
            if caught_up and semantic_enabled(app):
                dense.sync(directory, ids=caught_up)
            previous = current_dir(root).name
            _write_pointer(root, name)
            _remove_old_generations(root, keep={name, previous})
        clear_caches()
        log.info("search index rebuilt: %d articles in %s", count, name)
        return count


def _catch_up(ix):
    """Apply to a fresh generation the edits and deletions made while it was being built.

    Compares each article's `updated_at` with the stamp indexed with it, so no clock needs to agree.
    """
    live = {str(article_id): _stamp(updated_at) for article_id, updated_at in db.session.execute(
        select(Article.id, Article.updated_at).where(Article.published.is_(True)))}
    with ix.searcher() as searcher:
        indexed = {fields["id"]: fields.get("stamp", "") for fields in searcher.all_stored_fields()}
    gone = indexed.keys() - live.keys()
    changed = [int(article_id) for article_id, stamp in live.items() if indexed.get(article_id) != stamp]
    if not changed and not gone:
        return set()
    writer = ix.writer(timeout=30)
    for article_id in gone:
        writer.delete_by_term("id", article_id)
    for article_id in changed:
        writer.delete_by_term("id", str(article_id))
        article = db.session.get(Article, article_id)
        if article is not None and article.published:
            writer.add_document(**document(article))
    writer.commit()
    return set(changed) | {int(article_id) for article_id in gone}


def update_article(app, article_id):
    """Bring one article's entry up to date (added, replaced or removed); the worker's job."""
    root = Path(app.config["SEARCH_INDEX_DIR"])
    if not index_exists(root):
        return f"built the index with {rebuild(app)} articles"
    article = db.session.get(Article, article_id)
    with _swap_lock(root):
        ix = _open(current_dir(root))
        if article is not None and article.published and _indexed_stamp(ix, article_id) == _stamp(article.updated_at):
            # A rebuild after the edit already has it (e.g. `make run` seeds, then rebuilds, then runs these jobs).
            return "up to date"
        writer = ix.writer(timeout=30)
        writer.delete_by_term("id", str(article_id))
        if article is not None and article.published:
            writer.add_document(**document(article))
            outcome = "indexed"
        else:
            outcome = "removed"
        writer.commit()
        if semantic_enabled(app):
            dense.sync(current_dir(root), ids=[article_id])
    return outcome


def semantic_enabled(app):
    return app.config.get("SEMANTIC_SEARCH", True)


# ---- Reading: one searcher per thread, refreshed when the index changes -------------------------------

_local = threading.local()


def searcher(root=None):
    """This thread's searcher for the current generation, refreshed if a writer committed since."""
    return _searcher(str(root or current_app.config["SEARCH_INDEX_DIR"]))[1]


def _searcher(root):
    """(generation directory, searcher); raises EmptyIndexError or OSError when there is no index."""
    cached = getattr(_local, "searchers", None)
    if cached is None:
        cached = _local.searchers = {}
    directory = current_dir(root)
    held = cached.get(root)
    if held is not None and held[0] == directory:
        current = held[1]
        if not current.up_to_date():
            # A fresh searcher, not refresh(): refresh() reuses segment readers and so misses new deletions.
            current.close()
            current = _open(directory).searcher()
            cached[root] = (directory, current)
        return directory, current
    if held is not None:
        held[1].close()
    current = _open(directory).searcher()
    cached[root] = (directory, current)
    return directory, current


_synonym_cache = {}


def clear_caches():
    """Forget the synonyms read (after synonyms are edited); nothing else is cached between queries."""
    _synonym_cache.clear()


# ---- Queries ------------------------------------------------------------------------------------------

@dataclass
class Hit:
    slug: str
    title: str
    category: str
    scenario: str
    locale: str
    snippet: Markup
    score: float


@dataclass
class SearchResult:
    query: str
    locale: str  # the locale of the hits: the visitor's, or the other one as a fallback
    hits: list
    fell_back: bool = False
    # False when an as-you-type answer ranked with a stand-in for the finished words (their vector was not ready):
    # the page then asks once more, waiting for the vector, so what it shows at rest is what the text says.
    settled: bool = True

    @property
    def total(self):
        return len(self.hits)

    @property
    def ranking_key(self):
        """A short mark of what the answer lists, in order: a settled answer with the same mark shows nothing new."""
        listed = "|".join([self.locale, str(self.fell_back), *(hit.slug for hit in self.hits)])
        return hashlib.blake2s(listed.encode(), digest_size=6).hexdigest()


def clean_query(text):
    """What we search for: control characters out, whitespace collapsed, at most MAX_QUERY_CHARS."""
    text = CONTROL_CHARS.sub(" ", str(text or ""))
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def _synonyms(locale):
    """{term: [expansions]} for a locale, re-read from the database every SEARCH_SYNONYM_TTL seconds."""
    ttl = current_app.config["SEARCH_SYNONYM_TTL"]
    cached = _synonym_cache.get(locale)
    if cached and time.monotonic() - cached[0] < ttl:
        return cached[1]
    rows = db.session.execute(select(Synonym.term, Synonym.expansions).where(Synonym.locale == locale)).all()
    table = {term.lower(): list(expansions or []) for term, expansions in rows}
    _synonym_cache[locale] = (time.monotonic(), table)
    return table


def _mentions(query, term, locale):
    if locale == "zh" or not term.isascii():
        return term in query
    return f" {term} " in f" {' '.join(WORD.findall(query))} "


def _terms(text, locale):
    """(term as indexed, word as typed) for each distinct word of the text, in order."""
    seen = {}
    for token in ANALYZERS[locale](text, keeporiginal=True, mode="query"):
        if token.text not in seen:
            seen[token.text] = token.original.lower()
    return list(seen.items())


@dataclass
class _Group:
    """One word of the query (or one synonym expansion): its exact and fuzzy terms over the fields."""

    clauses: list
    doc_frequency: int


def _group(reader, fields, term, typed, weight=1.0):
    clauses, frequency = [], 0
    # A word found in enough articles is spelled right: its neighbours are other words, not corrections.
    attested = max(3, reader.doc_count() * ATTESTED_SHARE)
    for field in fields:
        boost = FIELD_BOOST[field.rsplit("_", 1)[0]] * weight
        exact = reader.doc_frequency(field, term)
        if exact:
            clauses.append(Term(field, term, boost=boost))
            frequency = max(frequency, exact)
        if exact >= attested:
            continue
        for variant in typos.variants(reader, field, term, typed):
            clauses.append(Term(field, variant, boost=boost * FUZZY_WEIGHT))
            frequency = max(frequency, reader.doc_frequency(field, variant))
    return _Group(clauses, frequency) if clauses else None


def _groups(reader, query, locale):
    fields = LOCALE_FIELDS[locale]
    groups = []
    terms = _terms(query, locale)[:MAX_QUERY_TERMS]
    for term, typed in terms:
        group = _group(reader, fields, term, typed)
        if group:
            groups.append(group)
    lowered = query.lower()
    known = {term for term, _typed in terms}
    for phrase, expansions in _synonyms(locale).items():
        if not _mentions(lowered, phrase, locale):
            continue
        for expansion in expansions:
            for term, typed in _terms(expansion, locale):
                if term in known:
                    continue
                known.add(term)
                group = _group(reader, fields, term, typed, weight=SYNONYM_WEIGHT)
                if group:
                    groups.append(group)
    return groups


def _hits(ranked, groups, locale):
    """The hits for [(article id, score)], read from the database (the index stores no text); one deleted or
    unpublished since it was indexed is left out until the worker removes it."""
    marked = {c.text for g in groups for c in g.clauses}
    ids = [article_id for article_id, _score in ranked]
    rows = {row.id: row for row in db.session.execute(
        select(Article.id, Article.slug, Article.title, Article.category, Article.scenario, Article.locale,
               Article.body).where(Article.id.in_(ids), Article.published.is_(True)))}
    hits = []
    for article_id, score in ranked:
        row = rows.get(article_id)
        if row is not None:
            hits.append(Hit(slug=row.slug, title=row.title, category=row.category, scenario=row.scenario or "",
                            locale=row.locale, snippet=snippet(row.body, marked, locale), score=score))
    return hits


def fuse(lexical, semantic, limit):
    """[(article id, fused score)] by reciprocal-rank fusion of two ranked id lists, best first."""
    scores = {}
    for weight, ranked in ((1.0, lexical), (DENSE_WEIGHT, semantic)):
        for position, article_id in enumerate(ranked):
            scores[article_id] = scores.get(article_id, 0.0) + weight / (RRF_K + position + 1)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


def ranked_ids(query, locale, mode="hybrid", depth=RERANK_DEPTH):
    """(lexical ids, dense ids) for one locale, each best first; `mode` "lexical" or "dense" leaves the
    other list empty. For evaluation and for callers that fuse lists of their own."""
    directory, current = _searcher(str(current_app.config["SEARCH_INDEX_DIR"]))
    groups = _groups(current.reader(), query, locale)
    return _ranked(directory, current, groups, query, locale, mode, depth)


def knows_words(query, locale):
    """Whether any word of the query (or a near spelling of one) is in the locale's articles; True when there
    is no index to ask, since then nothing can be told."""
    try:
        _directory, current = _searcher(str(current_app.config["SEARCH_INDEX_DIR"]))
    except (whoosh_index.EmptyIndexError, OSError):
        return True
    return bool(scoring.rank(current, _groups(current.reader(), clean_query(query), locale), 1))


def _ranked(directory, current, groups, dense_text, locale, mode, depth):
    """(lexical ids, dense ids): the index answers `groups`, the model reads `dense_text`."""
    lexical = []
    if mode != "dense":
        lexical = [int(current.stored_fields(docnum)["id"]) for docnum, _score in scoring.rank(current, groups, depth)]
    semantic = []
    if (mode != "lexical" and len(dense_text) >= DENSE_MIN_CHARS and _written_for(dense_text, locale)
            and semantic_enabled(current_app)):
        semantic = [article_id for article_id, similarity in dense.rank(directory, dense_text, locale, DENSE_DEPTH)
                    if similarity >= DENSE_FLOOR[locale]]
    return lexical, semantic


def finished_words(typed):
    """What the model reads while a visitor is still typing: the words before the last space, since a half-typed
    word is noise to it and the vector of the finished ones is reused until the next space. Chinese is read whole:
    it has no spaces, and an input method hands over whole words."""
    query = clean_query(typed)
    if _written_for(query, "zh") or str(typed)[-1:].isspace():
        return query
    return query.rpartition(" ")[0]


def _ready_start(text):
    """The longest start of the text that ends at a word (any character in Chinese), itself included, whose vector
    is cached; "" when there is none."""
    in_chinese = _written_for(text, "zh")
    ends = (end for end in range(len(text), 0, -1) if end == len(text) or in_chinese or text[end] == " ")
    return next((text[:end] for end in ends if semantics.query_ready(text[:end])), "")


def _written_for(query, locale):
    """Whether the query is written mostly in the locale's script. The model matches across languages, so without
    this a Chinese query on the English pages would get English articles by meaning and never fall back to the
    Chinese ones its writer can read. A word of the other script ("return these shoes 退货") does not count: a
    Chinese character says about as much as three Latin letters."""
    han = len(HAN.findall(query))
    latin = len(LATIN_LETTER.findall(query))
    in_chinese = han > 0 and 3 * han >= latin
    return in_chinese if locale == "zh" else not in_chinese


def search(query, locale, limit=10, fallback=True, typing=False, wait=False):
    """Articles for what a visitor typed, best first, in their locale or else the other one.

    Lexical matches from the index and the nearest articles by meaning are fused; without the model (or
    without article vectors) the lexical list alone ranks. `typing` marks an as-you-type request: the model then
    reads only the finished words (see `finished_words`), and not while this request waits unless `wait` says so;
    give it the text as typed, trailing space and all.
    """
    dense_text = finished_words(query) if typing else clean_query(query)
    query = clean_query(query)
    if not query:
        return SearchResult(query=query, locale=locale, hits=[])
    try:
        # Opening is the check that the index exists: a separate check cost as much as a small query.
        directory, current = _searcher(str(current_app.config["SEARCH_INDEX_DIR"]))
    except (whoosh_index.EmptyIndexError, OSError):
        return SearchResult(query=query, locale=locale, hits=[])
    order = [locale] + ([other for other in LOCALE_FIELDS if other != locale] if fallback else [])
    if len(dense_text) < DENSE_MIN_CHARS or not semantic_enabled(current_app):
        return _first_with_hits(directory, current, query, dense_text, order, limit)
    model_locales = [candidate for candidate in order if _written_for(dense_text, candidate)]
    if not typing:
        # The model embeds the query on its own thread while the index does the lexical part.
        dense.embed_ahead(directory, dense_text, model_locales, until_started=True)
        return _first_with_hits(directory, current, query, dense_text, order, limit)
    # As-you-type never waits for the model, nor shares the cores with it: the longest text typed before whose
    # vector is ready stands in for the finished words, embedded after the answer, by the next keystroke.
    stand_in = dense_text if wait else _ready_start(dense_text)
    result = _first_with_hits(directory, current, query, stand_in, order, limit)
    if stand_in != dense_text and dense.embed_ahead(directory, dense_text, model_locales):
        result.settled = False
    return result


def _first_with_hits(directory, current, query, dense_text, order, limit):
    """The search in the first of the locales in `order` with hits."""
    for position, candidate in enumerate(order):
        groups = _groups(current.reader(), query, candidate)
        lexical, semantic = _ranked(directory, current, groups, dense_text, candidate, "hybrid",
                                    max(limit, RERANK_DEPTH))
        ranked = fuse(lexical, semantic, limit)
        if ranked:
            return SearchResult(query=query, locale=candidate, hits=_hits(ranked, groups, candidate),
                                fell_back=position > 0)
    return SearchResult(query=query, locale=order[0], hits=[])


# ---- Snippets -----------------------------------------------------------------------------------------

SNIPPET_CHARS = 220


def _spans(sentence, terms, locale):
    """(start, end) of the words of a sentence that are query terms (as indexed: stemmed, lowercased)."""
    if locale == "zh":
        spans = []
        for term in terms:
            start = sentence.find(term)
            while start >= 0:
                spans.append((start, start + len(term)))
                start = sentence.find(term, start + len(term))
        return sorted(spans)
    return [m.span() for m in WORD.finditer(sentence) if _stem(m.group().lower()) in terms]


# Where a snippet may start: a list item, a heading, a table row or a blank line begins a block; the lines
# between are one hard-wrapped paragraph. Sentences end at . ! ? before a space (not inside "3.5", "e.g.").
BLOCK_START = re.compile(r"^\s*(?:[-+*]\s+|\d+[.)]\s+|#+\s|\|)")
LINE_MARKER = re.compile(r"^\s*(?:>\s*)*(?:(?:[-+*]|\d+[.)])\s+)?")  # quote and list markers
SENTENCE_END = re.compile(r"(?<=[.!?])(?<!e\.g\.)(?<!i\.e\.)\s+|(?<=[。！？])\s*")


def _blocks(markdown_text):
    """Paragraphs (wrapped lines joined again), list items without their markers, headings and table rows."""
    block = []
    for line in markdown_text.splitlines():
        if (not line.strip() or BLOCK_START.match(line)) and block:
            yield block
            block = []
        if line.strip():
            block.append(LINE_MARKER.sub("", line).strip())
    if block:
        yield block


def _sentences(markdown_text, locale):
    """Whole sentences of an article without Markdown, each a place a snippet may start."""
    joiner = "" if locale == "zh" else " "  # Chinese text wraps between characters, English between words
    for block in _blocks(markdown_text):
        text = joiner.join(block)
        if text.startswith("|"):
            text = " · ".join(cell.strip() for cell in text.strip("|").split("|") if cell.strip())
        # A ">" left inside a line is text ("Account > Wallet"), not the quote marker plain_text strips.
        for sentence in SENTENCE_END.split(plain_text(text.replace(">", "\0")).replace("\0", ">")):
            if WORD.search(sentence):
                yield sentence.strip()


def _shortened(sentence, locale):
    if len(sentence) <= SNIPPET_CHARS:
        return sentence
    cut = sentence[:SNIPPET_CHARS]
    return (cut if locale == "zh" else cut.rsplit(" ", 1)[0]) + "…"


def snippet(markdown_text, terms, locale):
    """The sentence that mentions most query terms, escaped, with those words in <mark>."""
    if not markdown_text:
        return Markup("")
    best, best_spans, best_score = "", [], -1
    for position, sentence in enumerate(_sentences(markdown_text, locale)):
        sentence = _shortened(sentence, locale)
        spans = _spans(sentence, terms, locale)
        found = len({sentence[a:b].lower() for a, b in spans})
        if found > best_score:
            best, best_spans, best_score = sentence, spans, found
        if position > 40 or (best_score and best_score >= len(terms)):
            break
    return _mark(best, best_spans)


def _mark(sentence, spans):
    out, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        out.append(escape(sentence[last:start]))
        out.append(Markup("<mark>%s</mark>") % sentence[start:end])
        last = end
    out.append(escape(sentence[last:]))
    return Markup("").join(out)
