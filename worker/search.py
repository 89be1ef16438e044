"""Search index updates when articles change: the only place, besides `flask search reindex`, that writes it."""

from flask import current_app

from portal.help import search


def reindex_article(article_id):
    """Add, replace or remove one article in this host's index; running it twice changes nothing more."""
    return search.update_article(current_app._get_current_object(), article_id)
