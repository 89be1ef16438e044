"""The hand-written BM25F beside Whoosh's own searcher: the same scores, the same ranking."""

from whoosh.query import Or, Term

from portal.help import scoring, search


def test_each_terms_score_is_whooshs_own_bm25f_score_also_when_skipping_to_some_articles(faq):
    current = search.searcher()
    for clause in [Term("body_en", "refund"), Term("title_en", "track", boost=3.0), Term("keywords_zh", "物流")]:
        ours = scoring.clause_scores(current, clause)
        whoosh = {hit.docnum: hit.score for hit in current.search(clause, limit=None)}

        assert ours.keys() == whoosh.keys() and ours
        assert all(abs(ours[docnum] - score) < 1e-9 for docnum, score in whoosh.items()), clause
        some = sorted(whoosh)[::2]
        assert scoring.clause_scores(current, clause, some) == {docnum: ours[docnum] for docnum in some}


def test_a_one_word_query_ranks_as_whooshs_searcher_ranks_it(faq):
    current = search.searcher()
    for query, locale in [("refund", "en"), ("tracknig", "en"), ("cancel", "en"), ("退款", "zh")]:
        groups = search._groups(current.reader(), query, locale)
        ours = scoring.rank(current, groups, 10)
        whoosh = current.search(Or([c for g in groups for c in g.clauses]), limit=10)

        assert [docnum for docnum, _score in ours] == [hit.docnum for hit in whoosh], query
        assert all(abs(score - hit.score) < 1e-9 for (_docnum, score), hit in zip(ours, whoosh, strict=True))

