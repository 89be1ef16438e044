"""flask search reindex: rebuild this host's search index from the database."""

import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from portal.extensions import db


@click.group("search")
def search_group():
    """The help-center search index."""


@search_group.command("reindex")
@click.option("--procs", type=click.IntRange(min=1, max=16), default=None,
              help="Writer processes (default: SEARCH_INDEX_PROCS).")
@with_appcontext
def reindex_command(procs):
    """Build a fresh index of every published article, then swap it in at once; re-embed only articles whose
    text changed since the vectors of the current index were made."""
    from portal.help import dense, search
    from portal.models import Article

    app = current_app._get_current_object()
    total = db.session.scalar(select(func.count()).select_from(Article).where(Article.published.is_(True)))
    root = app.config["SEARCH_INDEX_DIR"]
    to_embed = (dense.to_embed(search.current_dir(root)) if search.semantic_enabled(app) and search.index_exists(root)
                else total)
    semantic = search.semantic_enabled(app) and dense.semantics.available()
    started = time.perf_counter()
    # One bar: each article is counted once when indexed and once when its vector is made or reused.
    label = f"indexing, then vectors ({to_embed} to embed)" if semantic else "indexing"
    with click.progressbar(length=total * (2 if semantic else 1), label=label, show_pos=True) as bar:
        count = search.rebuild(app, progress=bar.update, procs=procs, embed_progress=bar.update)
    elapsed = time.perf_counter() - started
    rate = count / elapsed if elapsed else 0
    click.echo(f"indexed {count} articles in {elapsed:.1f} s ({rate:.0f} articles/s) "
               f"into {search.current_dir(root)}")
    click.echo(f"article vectors: {to_embed} embedded, {count - to_embed} reused" if semantic
               else "article vectors: none (the semantic layer is off; search is lexical only)")
