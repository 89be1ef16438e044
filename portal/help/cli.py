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
    """Build a fresh index of every published article, then swap it in at once."""
    from portal.help import search
    from portal.models import Article

    app = current_app._get_current_object()
    total = db.session.scalar(select(func.count()).select_from(Article).where(Article.published.is_(True)))
    started = time.perf_counter()
    with click.progressbar(length=total, label="indexing", show_pos=True) as bar:
        count = search.rebuild(app, progress=bar.update, procs=procs)
    elapsed = time.perf_counter() - started
    rate = count / elapsed if elapsed else 0
    click.echo(f"indexed {count} articles in {elapsed:.1f} s ({rate:.0f} articles/s) "
               f"into {search.current_dir(app.config['SEARCH_INDEX_DIR'])}")
