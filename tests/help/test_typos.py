"""The typo corrections beside Whoosh's own: the same edit distance, and the words `terms_within` also finds."""

import random

from whoosh.support.levenshtein import damerau_levenshtein

from portal.help import search, typos


def test_two_edit_typo_check_agrees_with_damerau_levenshtein():
    rng = random.Random(3)
    pairs = [("recieved", "received"), ("tracknig", "tracking"), ("refnud", "refund"), ("abcdef", "badcfe")]
    for _ in range(20_000):
        word = typo = "".join(rng.choices("abcde", k=rng.randint(1, 9)))
        for _ in range(rng.randint(0, 3)):
            at, letter = rng.randrange(len(typo) + 1), rng.choice("abcde")
            typo = rng.choice([typo[:at] + letter + typo[at:], typo[:at] + typo[at + 1:],
                               typo[:at] + letter + typo[at + 1:],
                               typo[:at] + typo[at + 1:at + 2] + typo[at:at + 1] + typo[at + 2:]])
        pairs.append((word, typo))
    for word, typo in pairs:
        distance = damerau_levenshtein(word, typo)
        assert typos.within_two_edits(word, typo) == (word != typo and distance <= 2), (word, typo)
        assert typos.within_one_edit(word, typo) == (distance == 1), (word, typo)


def test_corrections_are_whooshs_terms_within_plus_swapped_neighbours(faq):
    reader = search.searcher().reader()
    words = ["refnud", "recieve", "tracknig", "cancle", "delivry", "adress", "pasword", "shippign", "retrun"]
    for field in ("title_en", "keywords_en", "body_en"):
        for word in words:
            ours = set(typos.variants(reader, field, word, word))
            whoosh = {w for w in reader.terms_within(field, word, 1, prefix=1) if w != word}
            # Whoosh's automaton counts a swap of neighbours as two edits; with two allowed it finds those too.
            with_swaps = {w for w in reader.terms_within(field, word, 2, prefix=1)
                          if w != word and damerau_levenshtein(word, w) == 1}
            frequent = sorted(with_swaps, key=lambda w: -reader.doc_frequency(field, w))[:typos.MAX_VARIANTS]
            assert whoosh <= with_swaps
            assert ours == set(frequent) or len(with_swaps) > typos.MAX_VARIANTS, (field, word, ours, with_swaps)


def test_a_swap_of_neighbours_is_corrected_where_whooshs_automaton_needs_two_edits(faq):
    reader = search.searcher().reader()

    assert "track" in typos.variants(reader, "title_en", "trakc", "trakc")
    assert "track" not in set(reader.terms_within("title_en", "trakc", 1, prefix=1))
