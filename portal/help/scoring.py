"""BM25F over the query's terms in one loop over each term's postings, instead of Whoosh's matcher tree.

Kept because a target needs it. Measured 2026-12-07 by `make bench` at 10 000 articles (load average 9):
ranking a query took p50 1.3 / p99 17.1 ms here against 11.0 / 59.9 ms with Whoosh's own `searcher.search`
over the same terms; interleaved in one process, the whole search took about twice as long with it (p50 17.8
against 8.7 ms), which would cost the README's target of a ranked LIKE >= 10x slower than ours at 10 000
articles. The scores are Whoosh's BM25F: tests/help/test_scoring.py compares them with its searcher's.
"""

import heapq

RERANK_DEPTH = 20
COMMON_TERM_SHARE = 0.02  # a term found in more of the articles than this tells little: it ranks, it does not select
BM25_B, BM25_K1 = 0.75, 1.2  # Whoosh's BM25F defaults, the searcher's weighting


def _plan(groups, doc_count):
    """(clauses that choose the candidates, clauses per group left out of them, to add when re-scoring).

    Selective words choose the articles; very common ones (in more than COMMON_TERM_SHARE of them) would
    make every article a candidate, so they only add to the score of the candidates. With only common words,
    a match in a title or keyword list is what makes an article a candidate.
    """
    threshold = max(50, doc_count * COMMON_TERM_SHARE)
    selective = [g for g in groups if g.doc_frequency <= threshold]
    if selective:
        return ([c for g in selective for c in g.clauses],
                [[] if g.doc_frequency <= threshold else g.clauses for g in groups])
    required = [c for g in groups for c in g.clauses if not c.fieldname.startswith("body_")]
    if not required:
        return _everything(groups)
    return required, [[c for c in g.clauses if c.fieldname.startswith("body_")] for g in groups]


def _everything(groups):
    return [c for g in groups for c in g.clauses], [[] for _g in groups]


def clause_scores(searcher, clause, docnums=None):
    """{docnum: score} for one term, as the searcher's BM25F scores it times the clause's boost; only for the
    sorted `docnums` if given, skipping the postings to them.

    One loop over the postings costs a fraction of Whoosh's matcher tree and collector, which took most of a
    query's time (about 12 µs for each matching article).
    """
    field, text = clause.fieldname, clause.text
    factor = clause.boost * searcher.idf(field, text) * (BM25_K1 + 1)
    flat = BM25_K1 * (1 - BM25_B)
    per_length = BM25_K1 * BM25_B / (searcher.avg_field_length(field) or 1)
    scores = {}
    for leaf, offset in searcher.reader().leaf_readers():
        if (field, text) not in leaf:
            continue
        postings, length = leaf.postings(field, text), leaf.doc_field_length
        if docnums is None:
            while postings.is_active():
                docnum, frequency = postings.id(), postings.weight()
                scores[docnum + offset] = factor * frequency / (frequency + flat + per_length
                                                                * length(docnum, field, 1))
                postings.next()
            continue
        end = offset + leaf.doc_count_all()
        for docnum in docnums:
            if docnum < offset or docnum >= end or not postings.is_active():
                continue
            postings.skip_to(docnum - offset)
            if postings.is_active() and postings.id() == docnum - offset:
                frequency = postings.weight()
                scores[docnum] = factor * frequency / (frequency + flat + per_length
                                                       * length(docnum - offset, field, 1))
    return scores


def _rescore(searcher, groups, left_out, scored, per_clause):
    """Add the left-out clauses' scores and a coordination factor (favouring articles that match more of the
    words) to the candidates, by skipping the left-out postings to just those documents."""
    totals = dict(scored)
    ordered = sorted(totals)
    counts = dict.fromkeys(ordered, 0)
    for group, extra in zip(groups, left_out, strict=True):
        matched = set()
        for clause in group.clauses:
            if clause in extra:
                for docnum, score in clause_scores(searcher, clause, ordered).items():
                    totals[docnum] += score
                    matched.add(docnum)
            else:
                matched.update(docnum for docnum in ordered if docnum in per_clause[id(clause)])
        for docnum in matched:
            counts[docnum] += 1
    size = len(groups)
    return _best((docnum, total * (0.5 + 0.5 * counts[docnum] / size)) for docnum, total in totals.items())


def _best(scored, depth=None):
    """Highest score first; equal scores by document number, as Whoosh's collector ranks them."""
    return heapq.nsmallest(depth, scored, key=_rank) if depth else sorted(scored, key=_rank)


def _rank(pair):
    return -pair[1], pair[0]


def _candidates(searcher, clauses, depth):
    """(the `depth` best documents for the clauses with their scores, {id(clause): its scores})."""
    per_clause = {id(clause): clause_scores(searcher, clause) for clause in clauses}
    totals = {}
    for scores in per_clause.values():
        for docnum, score in scores.items():
            totals[docnum] = totals.get(docnum, 0.0) + score
    return _best(totals.items(), depth), per_clause


def rank(searcher, groups, limit):
    """[(docnum, score)] best first for the query's word groups (see portal.help.search._groups)."""
    if not groups:
        return []
    clauses, left_out = _plan(groups, searcher.doc_count())
    depth = max(limit, RERANK_DEPTH)
    scored, per_clause = _candidates(searcher, clauses, depth)
    if not scored and any(left_out):
        clauses, left_out = _everything(groups)
        scored, per_clause = _candidates(searcher, clauses, depth)
    if scored and (len(groups) > 1 or any(left_out)):
        scored = _rescore(searcher, groups, left_out, scored, per_clause)
    return scored[:limit]
