"""The help search's development set (tuned on) and test set (only measured) stay apart."""

import re

from tests.eval.search import load


def _query(text):
    # Case, spacing and punctuation aside, the same words are the same query.
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def _queries(name):
    data = load(name)
    return {_query(item["q"]) for part in ("queries", "cross_script", "unrelated") for item in data.get(part) or []}


def test_the_development_and_test_sets_share_no_query():
    shared = _queries("search_dev.yaml") & _queries("search_test.yaml")
    # Only the count: a failure must not print test queries for someone to tune on.
    assert not shared, f"{len(shared)} queries are in both the development and the test set"


def test_each_set_names_only_articles_of_the_corpus():
    from tests.conftest import FAQ_CORPUS_DIR

    slugs = {match.group(1) for path in FAQ_CORPUS_DIR.rglob("*.md")
             for match in [re.search(r"^slug:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)] if match}
    for name in ("search_dev.yaml", "search_test.yaml"):
        data = load(name)
        named = {slug for part in ("queries", "cross_script") for item in data.get(part) or []
                 for slug in item["relevant"]}
        assert named <= slugs, f"{name} names {len(named - slugs)} articles the corpus does not have"
