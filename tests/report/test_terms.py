"""Grouping's term vectorizer gives exactly what scikit-learn's TfidfVectorizer gives, only faster."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.report.terms import TermVectorizer, Tokenizer

SAMPLES = [
    "After updating to 11.3.0 Acme OS won't launch. It shows a database error on start and quits.",
    "The app crashes when I open settings; crash log: java.lang.IllegalStateException at foo.bar",
    "Same here, still crashing after the update to v11.3.1 ...",
    "",
    "the and of to",  # stop words only
    "a",
    "Ünïcödé ÄBC Straße İstanbul ǅemal ﬁle 11.3.0 café CAFÉ naïve",
    "日本語のテキスト テスト v2.x a.b.c ..x.. _under_score_ __",
    "word word word word word.word word..word .word. ..",
    "Tab\tseparated\nlines\r\nand\x00nul\x0bvertical\x1cfile\x1fseps and http://example.com/a/b?c=d#e",
    "Crash crashing crashed CRASHES crashed crashing",
]


def vectorizers(max_df: float | int) -> tuple[TfidfVectorizer, TermVectorizer]:
    params = dict(
        ngram_range=(1, 2),
        token_pattern=None,
        stop_words=None,
        lowercase=True,
        sublinear_tf=True,
        dtype=np.float32,
        max_df=max_df,
    )
    return TfidfVectorizer(tokenizer=Tokenizer(), **params), TermVectorizer(tokenizer=Tokenizer(), **params)


def assert_same(documents: list[str], max_df: float | int) -> None:
    plain, fast = vectorizers(max_df)
    try:
        expected = plain.fit_transform(documents)
    except ValueError as error:
        try:
            fast.fit_transform(documents)
        except ValueError as same:
            assert str(same) == str(error)
            return
        raise AssertionError("TermVectorizer learnt a vocabulary where TfidfVectorizer found none") from error
    got = fast.fit_transform(documents)
    assert type(got) is type(expected)
    assert list(fast.vocabulary_.items()) == list(plain.vocabulary_.items())  # same numbers, same order
    for name in ("data", "indices", "indptr"):
        mine, theirs = getattr(got, name), getattr(expected, name)
        assert mine.dtype == theirs.dtype and mine.tobytes() == theirs.tobytes(), name
    assert got.has_sorted_indices == expected.has_sorted_indices
    assert fast.idf_.tobytes() == plain.idf_.tobytes()
    again, theirs_again = fast.transform(documents[:5]), plain.transform(documents[:5])
    assert again.data.tobytes() == theirs_again.data.tobytes()
    assert again.indices.tobytes() == theirs_again.indices.tobytes()


def test_the_matrix_and_vocabulary_are_scikit_learns_own():
    joined = [f"{a} {b}" for a, b in itertools.pairwise(SAMPLES)]
    documents = SAMPLES * 3 + [s.upper() for s in SAMPLES] + joined
    for max_df in (1.0, 3, max(2, len(documents) // 2)):
        assert_same(documents, max_df)


def test_documents_without_any_term_fail_as_scikit_learn_does():
    assert_same(["the and", "of", ""], 1.0)
    assert_same([], 1.0)


def test_a_cut_that_leaves_no_term_fails_as_scikit_learn_does():
    assert_same(["crash crash", "crash", "crash again"], 1)


_PIECES = [*"ab cd.e_1 2\n\t.-,İıßﬁé日", "the ", "crash ", "11.3.0 ", "Fails ", ".."]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=12), st.sampled_from([1.0, 2, 3]))
def test_any_documents_give_scikit_learns_matrix(documents, max_df):
    assert_same(documents, max_df)


def test_other_parameters_take_scikit_learns_own_path():
    fast = TermVectorizer(ngram_range=(1, 1), tokenizer=Tokenizer(), token_pattern=None, lowercase=True)
    plain = TfidfVectorizer(ngram_range=(1, 1), tokenizer=Tokenizer(), token_pattern=None, lowercase=True)
    assert (fast.fit_transform(SAMPLES) != plain.fit_transform(SAMPLES)).nnz == 0
    assert fast.vocabulary_ == plain.vocabulary_
