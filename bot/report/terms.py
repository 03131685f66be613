"""How grouping reads text as terms: lower-cased words without stop words, lightly stemmed, and word pairs.

`TermVectorizer` is scikit-learn's `TfidfVectorizer` over these terms with one difference in how it
works, none in what it gives: when it learns its vocabulary it counts terms with NumPy over all the
documents at once instead of one Python dictionary update per term, so a report over tens of thousands
of tickets spends its time on the tickets, not on the counting. The vocabulary, the matrix (values and
their order) and everything computed from them are those of `TfidfVectorizer` with the same parameters
(`tests/report/test_terms.py` holds it to that).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import repeat
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.utils._sparse import _align_api_if_sparse

# Words every support ticket uses; they say nothing about which problem it is.
_SUPPORT_WORDS = """
hi hello hey thanks thank thx regards cheers please pls sorry hope issue issues problem problems bug
bugs help helps helping ticket support team reaching reach let know kindly able unable getting
happening happens happened describe description steps reproduce expected behaviour behavior actual
result results screenshot screenshots attached attach details detail information info additional
context question questions response yes just really like does did doing using use used
ve ll don doesn didn isn wasn won hasn haven can cant couldn wouldn shouldn ok okay
"""
STOP_WORDS = ENGLISH_STOP_WORDS | frozenset(_SUPPORT_WORDS.split())
# Words of at least two characters, versions ("11.3.0") and dotted names kept whole.
_TOKEN = re.compile(r"(?u)\b\w[\w.]*\w\b")
# Crude English suffixes, so "update", "updated" and "updating" count as one term.
_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "es", "ly", "s", "e")
_MIN_STEM = 4
_BATCH = 4096  # documents whose words are held as strings at one time
_NONE, _UNKNOWN = -1, -2
# ASCII characters that are not word characters or dots, as spaces: what is left splits into the runs of
# characters the token pattern can match (in ASCII, \w is [A-Za-z0-9_]).
_ASCII_RUNS = bytes(
    code if chr(code).isascii() and (chr(code).isalnum() or chr(code) in "_.") else ord(" ")
    for code in range(256)
)


def stem(word: str) -> str:
    if len(word) <= _MIN_STEM or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM - 1:
            return word[: -len(suffix)]
    return word


class Tokenizer:
    """Lower-cased words without stop words, lightly stemmed (each word stemmed once per instance)."""

    def __init__(self) -> None:
        self._stems: dict[str, str] = {}

    def stem(self, word: str) -> str:
        found = self._stems.get(word)
        if found is None:
            found = self._stems[word] = stem(word)
        return found

    def __call__(self, text: str) -> list[str]:
        stems = self._stems
        out = []
        for word in _TOKEN.findall(text):
            if word in STOP_WORDS:
                continue
            found = stems.get(word)
            if found is None:
                found = stems[word] = stem(word)
            out.append(found)
        return out


class TermVectorizer(TfidfVectorizer):
    """TfidfVectorizer(ngram_range=(1, 2), tokenizer=Tokenizer(), ...) that learns its vocabulary fast.

    Only learning (`fit`, `fit_transform`) takes the fast path, and only with the parameters grouping
    uses (a `Tokenizer`, terms and term pairs, lower-casing, no other preprocessing); anything else is
    scikit-learn's own code.
    """

    def _count_vocab(self, raw_documents: Iterable[Any], fixed_vocab: bool) -> tuple[dict[str, int], Any]:
        documents = list(raw_documents)
        if fixed_vocab or not self._counts_fast() or not all(map(isinstance, documents, repeat(str))):
            return super()._count_vocab(documents, fixed_vocab)
        return _count_terms(documents, self.tokenizer, self.dtype)

    def _counts_fast(self) -> bool:
        return (
            isinstance(self.tokenizer, Tokenizer)
            and self.analyzer == "word"
            and tuple(self.ngram_range) == (1, 2)
            and self.lowercase
            and self.preprocessor is None
            and self.strip_accents is None
            and self.stop_words is None
            and self.input == "content"
        )


def _count_terms(documents: list[str], tokenizer: Tokenizer, dtype: Any) -> tuple[dict[str, int], Any]:
    """What `CountVectorizer._count_vocab` returns for these documents: the vocabulary (each term numbered
    in order of first appearance, a document's terms before its term pairs) and the count matrix.

    Words become stem numbers a batch of documents at a time; terms, pairs, first appearances and counts
    are then array operations. An ASCII document is cut into runs of word characters and dots by
    `bytes.translate` and `split`, much faster than the token pattern; each distinct run holds at most
    one token (the run without its leading and trailing dots, if two characters or more are left), which
    the token pattern itself finds, once per distinct run.
    """
    numbers: dict[str | bytes, int] = {}  # a run or word -> its stem's number; _NONE: no term
    stem_numbers: dict[str, int] = {}

    def number(run: str | bytes) -> int:
        found = _TOKEN.findall(run.decode("ascii") if isinstance(run, bytes) else run)
        if not found or found[0] in STOP_WORDS:
            return _NONE
        return stem_numbers.setdefault(tokenizer.stem(found[0]), len(stem_numbers))

    tokens: list[np.ndarray] = []
    token_docs: list[np.ndarray] = []
    findall = _TOKEN.findall
    for first in range(0, len(documents), _BATCH):
        words: list[str | bytes] = []
        lengths: list[int] = []
        for doc in documents[first : first + _BATCH]:
            doc = doc.lower()
            found = doc.encode("ascii").translate(_ASCII_RUNS).split() if doc.isascii() else findall(doc)
            words += found
            lengths.append(len(found))
        known = np.fromiter(
            map(numbers.get, words, repeat(_UNKNOWN, len(words))), dtype=np.int32, count=len(words)
        )
        for at in np.flatnonzero(known == _UNKNOWN).tolist():
            word = words[at]
            found_number = numbers.get(word)
            if found_number is None:
                found_number = numbers[word] = number(word)
            known[at] = found_number
        docs = np.repeat(np.arange(first, first + len(lengths), dtype=np.int32), lengths)
        kept = known >= 0
        tokens.append(known[kept])
        token_docs.append(docs[kept])
        del words
    term = np.concatenate(tokens) if tokens else np.empty(0, dtype=np.int32)
    doc = np.concatenate(token_docs) if token_docs else np.empty(0, dtype=np.int32)
    del tokens, token_docs
    if len(term) == 0:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    n_docs, n_stems = len(documents), len(stem_numbers)

    # The analyser gives a document's terms, then its term pairs. With the document's tokens at
    # [start, end) of `term`, the token at i is at start + i in its sequence and the pair at i (the
    # tokens at i and i + 1) at end + i: increasing over all documents, so the smallest is the first.
    sizes = np.bincount(doc, minlength=n_docs)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    del sizes
    stem_first = np.full(n_stems, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(stem_first, term, starts[doc] + np.arange(len(term)))
    paired = np.flatnonzero(doc[1:] == doc[:-1])
    pair_keys = term[paired].astype(np.int64) * n_stems + term[paired + 1]
    pairs, pair_first, pair_of = np.unique(pair_keys, return_index=True, return_inverse=True)
    del pair_keys
    used_stems = np.flatnonzero(stem_first < np.iinfo(np.int64).max)
    first = np.concatenate((stem_first[used_stems], ends[doc[paired[pair_first]]] + paired[pair_first]))
    del stem_first, pair_first, ends, starts
    by_appearance = np.argsort(first, kind="stable")  # every position is distinct
    del first
    number = np.empty(len(by_appearance), dtype=np.int64)
    number[by_appearance] = np.arange(len(by_appearance))
    n_terms = len(number)
    stem_number = np.full(n_stems, -1, dtype=np.int64)
    stem_number[used_stems] = number[: len(used_stems)]

    # Counts: one cell (document, term) per occurrence, sorted in place and counted.
    cells = np.concatenate(
        (
            doc.astype(np.int64) * n_terms + stem_number[term],
            doc[paired].astype(np.int64) * n_terms + number[len(used_stems) :][pair_of.ravel()],
        )
    )
    del term, doc, paired, pair_of, stem_number
    cells.sort()
    new_cell = np.empty(len(cells), dtype=bool)
    new_cell[0] = True
    np.not_equal(cells[1:], cells[:-1], out=new_cell[1:])
    at = np.flatnonzero(new_cell)
    del new_cell
    counts = np.diff(np.append(at, len(cells)))
    cells = cells[at]
    del at
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells // n_terms, minlength=n_docs), out=indptr[1:])
    index_dtype = np.int32 if len(cells) <= np.iinfo(np.int32).max else np.int64
    matrix = sp.csr_array(
        (counts.astype(np.intc), (cells % n_terms).astype(index_dtype), indptr.astype(index_dtype)),
        shape=(n_docs, n_terms),
        dtype=dtype,
    )
    matrix.sort_indices()

    stems = list(stem_numbers)
    names = [stems[stem] for stem in used_stems.tolist()]
    names += [
        f"{stems[left]} {stems[right]}" for left, right in (divmod(key, n_stems) for key in pairs.tolist())
    ]
    vocabulary = {names[feature]: position for position, feature in enumerate(by_appearance.tolist())}
    return vocabulary, _align_api_if_sparse(matrix)
