"""The index itself: atomic rebuilds, one-article updates, the searcher refresh, the CLI commands."""

from pathlib import Path

from sqlalchemy import select, update
from whoosh import index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.codec.whoosh3 import W3Codec

from portal.help import search
from portal.models import Article, OutboxRow, utcnow
from tests.conftest import FAQ_CORPUS_DIR
from tests.help.conftest import slugs


def _generations(app):
    return sorted(p.name for p in Path(app.config["SEARCH_INDEX_DIR"]).glob("gen-*"))


def test_rebuild_swaps_in_a_new_generation_and_keeps_only_the_previous_one(app, faq):
    first = search.current_dir(app.config["SEARCH_INDEX_DIR"]).name
    search.rebuild(app)
    second = search.current_dir(app.config["SEARCH_INDEX_DIR"]).name
    search.rebuild(app)
    third = search.current_dir(app.config["SEARCH_INDEX_DIR"]).name

    assert len({first, second, third}) == 3
    assert _generations(app) == sorted([second, third])
    assert search.index_exists(app.config["SEARCH_INDEX_DIR"])


def test_a_searcher_open_before_a_rebuild_keeps_working_and_then_moves_to_the_new_index(app, faq, db):
    assert slugs(search.search("refund timing", "en"))
    article = db.session.scalar(select(Article).where(Article.slug == "refund-timing"))
    article.title = "Zanzibar refund schedule"
    db.session.commit()

    search.rebuild(app)

    assert "refund-timing" in slugs(search.search("zanzibar", "en"))


def test_update_article_adds_replaces_and_removes_one_entry(app, faq, db):
    article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))
    article.keywords = [*article.keywords, "quokka"]
    db.session.commit()
    assert search.search("quokka", "en").hits == []

    assert search.update_article(app, article.id) == "indexed"
    assert slugs(search.search("quokka", "en")) == ["lost-parcel"]

    article.published = False
    db.session.commit()
    assert search.update_article(app, article.id) == "removed"
    assert search.search("quokka", "en").hits == []


def test_update_article_skips_an_article_the_index_already_holds_as_it_is(app, faq, db):
    article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))

    assert search.update_article(app, article.id) == "up to date"

    article.title = "Lost parcel: what we do"
    db.session.commit()
    assert search.update_article(app, article.id) == "indexed"
    assert search.update_article(app, article.id) == "up to date"


def test_update_article_builds_the_whole_index_when_there_is_none(app, db, faq):
    import shutil

    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    article = db.session.scalar(select(Article).where(Article.slug == "lost-parcel"))

    assert search.update_article(app, article.id) == "built the index with 100 articles"
    assert "refund-timing" in slugs(search.search("refund", "en"))


def test_edits_made_while_a_rebuild_runs_are_caught_up_before_the_swap(app, db, faq):
    article_id = db.session.scalar(select(Article.id).where(Article.slug == "lost-parcel"))
    edits = []

    def edit_midway(count):
        # Another process edits the article after the rebuild has read it.
        if not edits:
            with db.engine.begin() as connection:
                connection.execute(update(Article).where(Article.id == article_id)
                                   .values(title="Wombat parcel", updated_at=utcnow()))
            edits.append(article_id)

    search.rebuild(app, progress=edit_midway)

    assert slugs(search.search("wombat", "en")) == ["lost-parcel"]


def test_healthz_sees_the_generation_index(app, client, faq):
    assert client.get("/healthz").get_json()["checks"]["search"]["status"] == "up"


def test_flask_search_reindex_rebuilds_with_a_progress_bar_and_summary(app, runner, faq):
    before = search.current_dir(app.config["SEARCH_INDEX_DIR"])

    result = runner.invoke(args=["search", "reindex"])

    assert result.exit_code == 0, result.output
    assert "indexing" in result.output and "indexed 100 articles" in result.output
    assert search.current_dir(app.config["SEARCH_INDEX_DIR"]) != before


def test_flask_faq_import_queues_reindexing_for_changed_articles_only(app, runner, db):
    first = runner.invoke(args=["faq", "import", str(FAQ_CORPUS_DIR)])
    again = runner.invoke(args=["faq", "import", str(FAQ_CORPUS_DIR)])

    assert first.exit_code == 0 and "100 created" in first.output
    assert "100 unchanged" in again.output
    rows = db.session.scalars(select(OutboxRow).where(OutboxRow.job_name == "search.reindex_article")).all()
    assert len(rows) == 100


def test_flask_faq_import_reports_bad_files_by_name_and_imports_the_rest(runner, db, tmp_path):
    (tmp_path / "good-one.md").write_text((FAQ_CORPUS_DIR / "en" / "lost-parcel.md").read_text()
                                          .replace("slug: lost-parcel", "slug: good-one"))
    (tmp_path / "bad-one.md").write_text("no front matter")

    result = runner.invoke(args=["faq", "import", str(tmp_path)])

    assert "1 created" in result.output and "skipped bad-one.md: no front matter" in result.output


def test_the_english_analyzer_gives_the_terms_of_whooshs_stemming_analyzer():
    text = ("Returning 3 PARCELS, e.g. a refund_id or v2.1 -- we'd ship it again; I was charged twice "
            "for the tracking* emails. Ünïcode Straße, naïve café, 退款 and a b c")
    for mode, removestops in [("index", True), ("query", True), ("query", False)]:
        ours = [(t.text, t.stopped) for t in search.english_analyzer()(text, mode=mode, removestops=removestops)]
        whoosh = [(t.text, t.stopped) for t in StemmingAnalyzer()(text, mode=mode, removestops=removestops)]
        assert ours == whoosh, mode


def test_an_index_naming_a_codec_class_since_removed_finds_nothing_until_the_worker_rebuilds_it(
        app, faq, db, client, monkeypatch):
    # Indexes written before 2026-12 name portal.help.search.Codec in their segments; that class is gone.
    class Codec(W3Codec):
        pass

    Codec.__module__, Codec.__qualname__ = search.__name__, "Codec"
    monkeypatch.setattr(search, "Codec", Codec, raising=False)
    ix = whoosh_index.open_dir(str(search.current_dir(app.config["SEARCH_INDEX_DIR"])))
    with ix.writer(codec=Codec()) as writer:
        writer.add_document(id="0", stamp="")
    monkeypatch.delattr(search, "Codec")

    assert not search.index_exists(app.config["SEARCH_INDEX_DIR"])
    assert search.search("refund", "en").hits == []
    assert client.get("/help/search?q=refund").status_code == 200

    article_id = db.session.scalar(select(Article.id).where(Article.slug == "lost-parcel"))
    assert search.update_article(app, article_id) == "built the index with 100 articles"
    assert "refund-timing" in slugs(search.search("refund", "en"))


def test_the_index_stores_no_article_text(app, faq):
    stored = next(iter(search.searcher().reader().all_stored_fields()))

    assert set(stored) == {"id", "stamp"}


def test_a_rebuild_with_several_writer_processes_leaves_one_segment(app, faq):
    assert search.rebuild(app, procs=2) == 100

    reader = search.searcher().reader()
    assert len(list(reader.leaf_readers())) == 1
    assert "refund-timing" in slugs(search.search("refund timing", "en"))


def test_markdown_markup_is_left_out_of_the_indexed_and_snippet_text():
    text = "# Refunds\n**Bold** and __under__ [a link](http://x.y/z.html) ![pic](p.png) `code` > quote_d"

    assert search.plain_text(text) == "Refunds\nBold and under a link pic code  quoted"
