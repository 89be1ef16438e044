"""Help search quality: recall@3 and MRR per language for lexical, dense and fused ranking.

Runs against the test FAQ corpus (tests/data/faq), imported into a throwaway SQLite database and index.
"""

import tempfile
from pathlib import Path

import yaml

from portal import create_app, semantics
from portal.extensions import db
from portal.help import defaults, search
from portal.help.importer import article_files, import_files
from portal.models import Article

DATA = Path(__file__).resolve().parent / "data"
CORPUS = Path(__file__).resolve().parent.parent / "data" / "faq"
MODES = ("lexical", "dense", "fused")
DEPTH = 10


def load(name):
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def corpus_app(workdir):
    """An app over a fresh SQLite database holding the FAQ corpus, with its index and article vectors built."""
    workdir = Path(workdir)
    app = create_app({"ENVIRON": {"SECRET_KEY": "eval", "DATABASE_URL": f"sqlite:///{workdir / 'eval.db'}",
                                  "SEARCH_INDEX_DIR": str(workdir / "search"), "REDIS_URL": "redis://127.0.0.1:1/0",
                                  "MAIL_URL": f"file://{workdir / 'mail'}"}})
    with app.app_context():
        db.create_all()
        report = import_files(article_files(CORPUS))
        assert not report.errors, report.errors
        defaults.seed_defaults()
        db.session.commit()
        search.rebuild(app)
    return app


def ranking(query, locale, mode, slug_of):
    lexical, dense = search.ranked_ids(query, locale, mode="lexical" if mode == "lexical" else
                                       "dense" if mode == "dense" else "hybrid", depth=DEPTH)
    ids = lexical if mode == "lexical" else dense if mode == "dense" else [
        article_id for article_id, _score in search.fuse(lexical, dense, DEPTH)]
    return [slug_of[i] for i in ids]


def scores(app, queries):
    """{(mode, locale): (recall@3, MRR, n)} over the queries."""
    with app.app_context():
        slug_of = dict(db.session.execute(db.select(Article.id, Article.slug)).all())
        totals = {}
        for item in queries:
            relevant = set(item["relevant"])
            for mode in MODES:
                ranked = ranking(item["q"], item["locale"], mode, slug_of)
                first = next((n for n, slug in enumerate(ranked, 1) if slug in relevant), None)
                hit3, rr, n = totals.get((mode, item["locale"]), (0, 0.0, 0))
                totals[(mode, item["locale"])] = (hit3 + (first is not None and first <= 3),
                                                  rr + (1 / first if first else 0.0), n + 1)
    return {key: (hit3 / n, rr / n, n) for key, (hit3, rr, n) in totals.items()}


def unrelated_hits(app, items):
    """How many of the unrelated queries the fused search answers at all (should be none)."""
    with app.app_context():
        return sum(1 for item in items if search.search(item["q"], item["locale"], fallback=False).hits)


def table(title, figures):
    lines = [title, f"{'mode':<8} {'lang':<4} {'n':>4} {'recall@3':>9} {'MRR':>6}"]
    for mode in MODES:
        for locale in ("en", "zh"):
            recall, mrr, n = figures[(mode, locale)]
            lines.append(f"{mode:<8} {locale:<4} {n:>4} {recall:>9.3f} {mrr:>6.3f}")
    return "\n".join(lines)


def run(split="test"):
    with tempfile.TemporaryDirectory() as workdir:
        app = corpus_app(workdir)
        if not semantics.available():
            return "help search: the embedding model could not be loaded; only lexical figures are meaningful"
        data = load(f"search_{split}.yaml")
        output = table(f"help search ({split} set, corpus tests/data/faq)", scores(app, data["queries"]))
        if data.get("unrelated"):
            output += f"\nunrelated queries answered: {unrelated_hits(app, data['unrelated'])}/{len(data['unrelated'])}"
        return output
