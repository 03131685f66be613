"""Common issues: groups of tickets that describe the same problem, each with a title and a summary.

How it works:
1. Each ticket becomes three short plain texts: its title (without "[Bug]:" prefixes), the human
   text of its body and of its first comments (text.clean_lines drops issue-form boilerplate, code
   and pasted logs). Lines found in many tickets (a template the cleaner does not know, a canned
   team reply) are dropped too.
2. scikit-learn's TF-IDF (word 1- and 2-grams, sublinear tf, light stemming) turns each text into a
   sparse vector; a ticket's vector is the weighted sum of its three (title and body weigh alike).
3. Pairs of tickets with a cosine similarity above a threshold come from chunked sparse products:
   all pairs for up to a few thousand tickets, beyond that only the candidates sharing a ticket's
   most distinctive terms, so cost grows linearly. Each connected set of similar pairs is then split
   by average-linkage agglomerative clustering (SciPy), so one loose chain of similar pairs does not
   become one huge group.
4. "Duplicate of #N" in a ticket's body or comments joins it to #N's group (same repository); a team
   member's "same as #N", "similar issue to <URL>" joins it only when the texts are also somewhat
   similar (`relations.py`).
5. Groups of at least two tickets are ranked by size, then activity; each ticket is in at most one.

The title is the member title closest to the group's centroid; the summary has four parts
(`summaries.py`): the problem, who and what is affected, the team's status and what to tell users.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from itertools import islice
from typing import NamedTuple

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from bot.report.activity import comments_by_ticket
from bot.report.derived import COMMENT_CHARS, clean_body, clean_comment, clean_title
from bot.report.models import Comment, IssueGroup, Ticket, ref
from bot.report.relations import TicketLink, ticket_links
from bot.report.summaries import summarize
from bot.report.terms import TermVectorizer, Tokenizer
from bot.report.text import excerpt

# Weights of a ticket's parts in its vector: each part is a unit TF-IDF vector, the sum is normalised.
_TITLE_WEIGHT = 1.0
_BODY_WEIGHT = 1.0
_COMMENTS_WEIGHT = 0.5
_MAX_COMMENTS = 3  # comments per ticket read for grouping (the first ones: they state the problem)
_REPRESENTATIVES = 20  # members read for a group's title and symptom

# Similarity thresholds (cosine of TF-IDF vectors), tuned on synthetic support tickets.
_NEIGHBOUR_SIMILARITY = 0.2  # a pair this similar is a candidate for the same group
_GROUP_SIMILARITY = 0.2  # a group's members are this similar on average (average linkage)
_MAX_COMPONENT = 1500  # larger candidate sets are split with a stricter threshold first
_MAX_SIMILARITY = 0.9  # the strictest threshold used to split a very large candidate set
_EXACT_LIMIT = 2000  # up to this many tickets every pair is compared
_CANDIDATE_TERMS = 10  # beyond, tickets are compared when they share one of their top terms...
_CANDIDATE_MAX_DF = 200  # ... among the terms found in at most this many tickets...
_CANDIDATES = 20  # ... with at most this many candidates per ticket...
_PROBE_SHARE = 0.25  # ... whose top terms alone reach this share of the similarity threshold
_CHUNK_ROWS = 1000
_PAIR_BATCH = 100_000
_MIN_SHARED_TERMS = 4  # a similar pair shares at least this many terms (words or word pairs)...
_CLEAR_SIMILARITY = 0.35  # ... unless it is this similar
_MIN_FEATURES = 5  # fewer distinct terms (about three words and their pairs): too little to group by
# A team member's "same as #N" joins two tickets when their texts are at least this similar.
_LINK_SIMILARITY = 0.1
_HUB_LINKS = 3  # a ticket the team links this many others to is a reference (a FAQ), not their problem

# A line in at least this share of tickets (and at least _MIN_REPEATS of them) is template text.
_REPEATED_LINE_SHARE = 0.3
_MIN_REPEATS = 5

_TITLE_CHARS_OUT = 80


@dataclass(frozen=True)
class _Pairs:
    """Similar pairs of rows: rows[k] < cols[k], with their cosine similarity."""

    rows: np.ndarray
    cols: np.ndarray
    sims: np.ndarray


class _Doc(NamedTuple):
    """A ticket's plain text as grouping sees it: title, body lines, lines of its first comments.

    (A named tuple: one is made for every active ticket, and tuples are the cheapest to make.)
    """

    ticket: Ticket
    title: str
    body: tuple[str, ...]
    comments: tuple[str, ...]


def find_common_issues(
    tickets: Sequence[Ticket],
    comments: Sequence[Comment],
    *,
    team_logins: frozenset[str],
    max_groups: int = 5,
    links: Mapping[tuple[str, int], Sequence[TicketLink]] | None = None,
    tz: tzinfo | None = None,
    threads: Mapping[tuple[str, int], Sequence[Comment]] | None = None,
) -> tuple[IssueGroup, ...]:
    """Groups of at least two related tickets, largest and most active first, at most `max_groups`.

    A ticket is in at most one group. `team_logins` are lower-case logins counted as the team besides
    GitHub's OWNER, MEMBER and COLLABORATOR associations (their comments supply the proposed fix).
    The result depends only on the arguments (ties are broken by repository and number).
    `threads`, when the caller has them, are the same comments per ticket, oldest first, as
    `activity.comments_by_ticket` groups them; `comments` is then not read.
    """
    if max_groups <= 0 or len(tickets) < 2:
        return ()
    team = frozenset(login.lower() for login in team_logins)
    ordered = sorted({ticket.key: ticket for ticket in tickets}.values(), key=lambda t: t.key)
    index = {ticket.key: i for i, ticket in enumerate(ordered)}
    if threads is None:
        threads = comments_by_ticket(c for c in comments if (c.repo, c.issue_number) in index)
    by_ticket = _people_threads(index, threads)

    docs = _drop_repeated_lines([_document(t, by_ticket.get(t.key, ())) for t in ordered])
    vectorizer, matrix, own_words = _vectorize(docs)
    clusters = _clusters(matrix) if matrix is not None else []
    if links is None:
        links = {t.key: ticket_links(t, by_ticket.get(t.key, ()), team_logins=team) for t in ordered}
    groups = _merge(len(ordered), clusters, _link_pairs(ordered, index, links, own_words))

    def activity(member: int) -> int:
        ticket = ordered[member]
        said = by_ticket.get(ticket.key, ())
        return ticket.comments_count + ticket.reactions + sum(c.reactions for c in said)

    groups.sort(key=lambda g: (-len(g), -sum(activity(m) for m in g), ordered[g[0]].key))
    several_repos = len({ticket.repo for ticket in ordered}) > 1
    return tuple(
        _describe(
            [docs[m] for m in members],
            matrix[members] if matrix is not None else None,
            vectorizer,
            threads=by_ticket,
            team_logins=team,
            tz=tz,
            several_repos=several_repos,
        )
        for members in groups[:max_groups]
    )


def _people_threads(
    keys: Iterable[tuple[str, int]], threads: Mapping[tuple[str, int], Sequence[Comment]]
) -> dict[tuple[str, int], Sequence[Comment]]:
    """Each ticket's comments by people (not bots), oldest first; tickets without any are left out."""
    found: dict[tuple[str, int], Sequence[Comment]] = {}
    for key in keys:
        thread = threads.get(key)
        if not thread:
            continue
        people = [comment for comment in thread if not comment.author_is_bot]
        if len(people) == len(thread):
            found[key] = thread  # most threads: no copy of them lives on
        elif people:
            found[key] = people
    return found


def _document(ticket: Ticket, thread: Iterable[Comment]) -> _Doc:
    """The ticket as grouping reads it, from the text a store derived beforehand when there is some."""
    title = ticket.clean_title if ticket.clean_title is not None else clean_title(ticket.title)
    body = ticket.clean_body if ticket.clean_body is not None else clean_body(ticket.body)
    said: list[str] = []
    budget = COMMENT_CHARS
    for comment in islice(thread, _MAX_COMMENTS):
        lines = comment.clean_body if comment.clean_body is not None else clean_comment(comment.body)
        for line in lines:
            if budget <= 0:
                break
            said.append(line)
            budget -= len(line) + 1
    return _Doc(ticket=ticket, title=title, body=tuple(body), comments=tuple(said))


def _drop_repeated_lines(docs: list[_Doc]) -> list[_Doc]:
    """Drop body and comment lines found in many tickets: template text or canned replies."""
    threshold = max(_MIN_REPEATS, math.ceil(_REPEATED_LINE_SHARE * len(docs)))
    if len(docs) < threshold:
        return docs
    seen: Counter[str] = Counter()
    for doc in docs:
        seen.update({line.lower() for line in doc.body + doc.comments})
    common = {line for line, count in seen.items() if count >= threshold}
    if not common:
        return docs
    return [_without_lines(doc, common) for doc in docs]


def _without_lines(doc: _Doc, common: set[str]) -> _Doc:
    body = tuple(line for line in doc.body if line.lower() not in common)
    comments = tuple(line for line in doc.comments if line.lower() not in common)
    if len(body) == len(doc.body) and len(comments) == len(doc.comments):
        return doc  # nothing dropped: the same document
    return _Doc(ticket=doc.ticket, title=doc.title, body=body, comments=comments)


def _vectorize(
    docs: list[_Doc],
) -> tuple[TfidfVectorizer | None, csr_matrix | None, csr_matrix | None]:
    """One unit vector per ticket: the weighted sum of its title, body and comments vectors.

    The parts are vectorised as separate documents so that no word pair spans two of them and the
    title weighs as much as a long body.
    """
    n = len(docs)
    vectorizer = TermVectorizer(
        ngram_range=(1, 2),
        tokenizer=Tokenizer(),
        token_pattern=None,
        stop_words=None,  # the tokenizer drops them before stemming
        lowercase=True,
        sublinear_tf=True,
        dtype=np.float32,
        # Terms in most tickets say nothing about any one problem; with few tickets a real group can
        # itself be most of them, so the cut applies to larger sets only.
        max_df=max(2, n // 2) if n >= 100 else 1.0,
    )
    parts = [doc.title for doc in docs] + [" ".join(doc.body) for doc in docs]
    parts += [" ".join(doc.comments) for doc in docs]
    try:
        matrix = csr_matrix(vectorizer.fit_transform(parts))
    except ValueError:  # no terms at all (empty or stop words only)
        return None, None, None
    own = _TITLE_WEIGHT * matrix[:n] + _BODY_WEIGHT * matrix[n : 2 * n]
    combined = own + _COMMENTS_WEIGHT * matrix[2 * n :]
    # The second matrix holds titles and bodies only: the reporters' own words, without the comments
    # (a canned team reply pasted on unrelated tickets must not make them look alike).
    return vectorizer, csr_matrix(normalize(combined)), csr_matrix(normalize(own))


def _clusters(matrix: csr_matrix) -> list[list[int]]:
    """Clusters (lists of row numbers, each of at least two) of similar documents."""
    rows = np.flatnonzero(np.diff(matrix.indptr) >= _MIN_FEATURES)
    if len(rows) < 2:
        return []
    candidates = matrix[rows]
    pairs = _with_enough_shared_terms(candidates, _similar_pairs(candidates, _NEIGHBOUR_SIMILARITY))
    return [[int(rows[i]) for i in cluster] for cluster in _split(candidates, pairs, _NEIGHBOUR_SIMILARITY)]


def _with_enough_shared_terms(matrix: csr_matrix, pairs: _Pairs) -> _Pairs:
    """Pairs that share at least _MIN_SHARED_TERMS terms, or are very similar: two short tickets
    alike only by two everyday words of the product ("emails", "folder") are not one problem."""
    if len(pairs.rows) == 0:
        return pairs
    present = matrix.copy()
    present.data = np.ones_like(present.data)
    shared = np.empty(len(pairs.rows), dtype=np.int64)
    for start in range(0, len(pairs.rows), _PAIR_BATCH):
        stop = start + _PAIR_BATCH
        both = present[pairs.rows[start:stop]].multiply(present[pairs.cols[start:stop]])
        shared[start:stop] = np.asarray(both.sum(axis=1)).ravel()
    keep = (shared >= _MIN_SHARED_TERMS) | (pairs.sims >= _CLEAR_SIMILARITY)
    return _Pairs(rows=pairs.rows[keep], cols=pairs.cols[keep], sims=pairs.sims[keep])


def _similar_pairs(matrix: csr_matrix, similarity: float) -> _Pairs:
    """Row pairs (i < j) whose cosine similarity is at least `similarity`, with that similarity.

    Sparse products in chunks of rows, never an n x n dense matrix. Up to _EXACT_LIMIT rows every
    pair is compared. Beyond, each row is compared only with its _CANDIDATES strongest candidates:
    rows sharing one of its top terms (among terms in at most _CANDIDATE_MAX_DF rows). Their exact
    similarity is then computed, so the cost grows linearly with the number of tickets.
    """
    n = matrix.shape[0]
    exact = n <= _EXACT_LIMIT
    probe = matrix if exact else _top_terms(matrix)
    probe_t = probe.T.tocsc()
    found: list[np.ndarray] = []
    found_sims: list[np.ndarray] = []
    for start in range(0, n, _CHUNK_ROWS):
        block = (probe[start : start + _CHUNK_ROWS] @ probe_t).tocoo()
        rows, cols, data = block.row.astype(np.int64) + start, block.col.astype(np.int64), block.data
        # Exact: the similarity itself. Otherwise a lower bound: candidates sharing only a trace of
        # their top terms are left out early.
        keep = (rows < cols) if exact else (rows != cols)
        keep &= data >= (similarity if exact else similarity * _PROBE_SHARE)
        rows, cols, data = rows[keep], cols[keep], data[keep]
        if not exact:
            rows, cols = _strongest(rows, cols, data)
        found.append(np.minimum(rows, cols) * n + np.maximum(rows, cols))
        found_sims.append(data)
    keys = np.concatenate(found)
    if exact:
        order = np.argsort(keys, kind="stable")
        keys, sims = keys[order], np.concatenate(found_sims)[order].astype(np.float64)
    else:
        keys = np.unique(keys)
        sims = _pair_similarity(matrix, keys // n, keys % n)
    close = sims >= similarity
    return _Pairs(rows=keys[close] // n, cols=keys[close] % n, sims=sims[close])


def _strongest(rows: np.ndarray, cols: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of each row's candidates, the _CANDIDATES with the largest probe similarity."""
    # Rows ascending, then similarity descending (data is in (0, 1]); stable, so ties keep their order.
    order = np.argsort(rows + (1.0 - data.astype(np.float64)) * 0.5, kind="stable")
    rows, cols = rows[order], cols[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    top = rank < _CANDIDATES
    return rows[top], cols[top]


def _top_terms(matrix: csr_matrix) -> csr_matrix:
    """Each row cut to its _CANDIDATE_TERMS heaviest terms shared by 2.._CANDIDATE_MAX_DF rows."""
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    coo = matrix.tocoo()
    useful = (df[coo.col] >= 2) & (df[coo.col] <= _CANDIDATE_MAX_DF)
    rows, cols, data = coo.row[useful], coo.col[useful], coo.data[useful]
    order = np.lexsort((cols, -data, rows))  # by row, heaviest first, ties by column
    rows, cols, data = rows[order], cols[order], data[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    top = rank < _CANDIDATE_TERMS
    return csr_matrix((data[top], (rows[top], cols[top])), shape=matrix.shape)


def _pair_similarity(matrix: csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = np.empty(len(rows), dtype=np.float64)
    for start in range(0, len(rows), _PAIR_BATCH):
        stop = start + _PAIR_BATCH
        products = matrix[rows[start:stop]].multiply(matrix[cols[start:stop]])
        out[start:stop] = np.asarray(products.sum(axis=1)).ravel()
    return out


def _split(matrix: csr_matrix, pairs: _Pairs, similarity: float) -> list[list[int]]:
    """Connected sets of similar pairs, each split further by average linkage."""
    n = matrix.shape[0]
    keep = pairs.sims >= similarity
    pairs = _Pairs(rows=pairs.rows[keep], cols=pairs.cols[keep], sims=pairs.sims[keep])
    graph = coo_matrix((np.ones(len(pairs.rows), dtype=np.int8), (pairs.rows, pairs.cols)), shape=(n, n))
    _count, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    edges = np.bincount(labels[pairs.rows], minlength=len(sizes))
    order = np.argsort(labels, kind="stable")  # rows grouped by component, ascending inside each
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    clusters: list[list[int]] = []
    for label in np.flatnonzero(sizes >= 2):
        size = int(sizes[label])
        component = [int(i) for i in order[starts[label] : starts[label] + size]]
        if edges[label] == size * (size - 1) // 2:
            clusters.append(component)  # every pair is similar: nothing to split
        elif size > _MAX_COMPONENT and similarity < _MAX_SIMILARITY:
            inside = labels[pairs.rows] == label
            inner = _Pairs(rows=pairs.rows[inside], cols=pairs.cols[inside], sims=pairs.sims[inside])
            clusters.extend(_split(matrix, inner, similarity + 0.1))
        else:
            clusters.extend(_average_linkage(matrix, component))
    return clusters


def _average_linkage(matrix: csr_matrix, component: list[int]) -> list[list[int]]:
    """Average-linkage agglomerative clustering of the rows, cut at _GROUP_SIMILARITY."""
    vectors = matrix[component]
    distances = 1.0 - (vectors @ vectors.T).toarray().astype(np.float64)
    np.clip(distances, 0.0, 2.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    labels = fcluster(tree, t=1.0 - _GROUP_SIMILARITY, criterion="distance")
    members: dict[int, list[int]] = defaultdict(list)
    for position, label in enumerate(labels):
        members[int(label)].append(component[position])
    return [cluster for cluster in members.values() if len(cluster) >= 2]


def _link_pairs(
    ordered: list[Ticket],
    index: dict[tuple[str, int], int],
    links: Mapping[tuple[str, int], Sequence[TicketLink]],
    own_words: csr_matrix | None,
) -> list[tuple[int, int]]:
    """Pairs joined by people's words: duplicates the team or the author named, and team links
    between tickets whose own words are similar too. A ticket the team points many tickets at (a
    how-to or FAQ issue) is a reference, not a problem: links to it join nothing."""
    pointed: Counter[tuple[str, int]] = Counter()
    for ticket in ordered:
        for target in {link.target for link in links.get(ticket.key, ()) if link.kind == "team_link"}:
            pointed[(ticket.repo, target)] += 1
    pairs: list[tuple[int, int]] = []
    for i, ticket in enumerate(ordered):
        for link in links.get(ticket.key, ()):
            other = index.get((ticket.repo, link.target))
            if other is None or other == i:
                continue
            if link.joins or (
                link.kind == "team_link"
                and pointed[(ticket.repo, link.target)] < _HUB_LINKS
                and own_words is not None
                and float(own_words[i].multiply(own_words[other]).sum()) >= _LINK_SIMILARITY
            ):
                pairs.append((i, other))
    return pairs


def _merge(size: int, clusters: list[list[int]], pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Union clusters and duplicate links; every ticket ends in at most one group."""
    parent = list(range(size))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: int, b: int) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for cluster in clusters:
        for member in cluster[1:]:
            join(cluster[0], member)
    for a, b in pairs:
        join(a, b)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(size):
        members[root(i)].append(i)
    return [sorted(group) for group in members.values() if len(group) >= 2]


# --- describing a group -------------------------------------------------------------------------


def _describe(
    docs: list[_Doc],
    vectors: csr_matrix | None,
    vectorizer: TfidfVectorizer | None,
    *,
    threads: Mapping[tuple[str, int], Sequence[Comment]],
    team_logins: frozenset[str],
    tz: tzinfo | None,
    several_repos: bool,
) -> IssueGroup:
    centroid = _centroid(vectors)

    def closeness(texts: list[str]) -> list[float]:
        if centroid is None or vectorizer is None or not texts:
            return [0.0] * len(texts)
        return [float(x) for x in (vectorizer.transform(texts) @ centroid)]

    # The title comes from the members closest to the centroid (a few suffice).
    if centroid is not None and vectors is not None:
        near = np.asarray(vectors @ centroid).ravel()
        picked = sorted(range(len(docs)), key=lambda i: (-float(near[i]), i))[:_REPRESENTATIVES]
    else:
        picked = list(range(min(len(docs), _REPRESENTATIVES)))
    representatives = [docs[i] for i in sorted(picked)]
    title_scores = closeness([doc.title for doc in representatives])
    # The title closest to the centroid, preferring titles of at least three words.
    chosen = min(
        range(len(representatives)),
        key=lambda i: (len(representatives[i].title.split()) < 3, -title_scores[i], i),
    )
    best = representatives[chosen]
    title = (
        excerpt(best.title or (best.ticket.title or "").strip(), limit=_TITLE_CHARS_OUT) or "Related tickets"
    )
    members = [doc.ticket for doc in docs]
    parts = summarize(
        members,
        threads,
        team_logins=team_logins,
        closeness=closeness,
        tz=tz,
        several_repos=several_repos,
    )
    return IssueGroup(
        title=title,
        summary=parts.text(),
        tickets=tuple(ref(ticket) for ticket in members),
        parts=parts,
    )


def _centroid(vectors: csr_matrix | None) -> np.ndarray | None:
    if vectors is None or vectors.nnz == 0:
        return None
    mean = np.asarray(vectors.mean(axis=0))
    return normalize(mean)[0]
