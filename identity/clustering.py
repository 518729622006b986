"""Constrained clustering of company records: edges in, one cluster label per record out.

Owns: the hard constraints. Edges are applied strongest first (steward must_link, corporate number,
cross-system id, name + corroboration, then Splink by falling probability) with a union-find; a
merge is refused when it would put two different VALID corporate numbers in one cluster, or when
a steward cannot_link pair would end up together. Refused edges are returned for review. The
result of a connected component depends only on its own records and edges (`component_labels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np
import pandas as pd

# A probabilistic edge may not join two clusters whose names are all this dissimilar: group
# companies share a domain, phone block or address, and one nameless record must not bridge them.
_NAME_GUARD_RATIO = 0.8
_NAME_GUARD_SAMPLE = 12  # names compared per side (clusters of one company have few spellings)


@lru_cache(maxsize=500_000)
def _name_ratio(a: str, b: str) -> float:
    if a.isascii() != b.isascii():
        return 1.0  # `sample` vs `サンプル`: different scripts cannot contradict each other
    return SequenceMatcher(None, a, b).ratio()


def clear_caches() -> None:
    """Empty the name-ratio cache (up to 500k pairs) once a run has clustered (see
    normalize.clear_caches)."""
    _name_ratio.cache_clear()


def _names_compatible(a: str | set[str] | None, b: str | set[str] | None) -> bool:
    if not a or not b:
        return True
    sa = [a] if isinstance(a, str) else sorted(a)[:_NAME_GUARD_SAMPLE]
    sb = [b] if isinstance(b, str) else sorted(b)[:_NAME_GUARD_SAMPLE]
    return any(_name_ratio(x, y) >= _NAME_GUARD_RATIO for x in sa for y in sb)


def _union(a: str | set[str] | None, b: str | set[str] | None) -> str | set[str] | None:
    """The names of two merged clusters. A cluster with one name keeps the plain string: a set per
    record would cost ~200 bytes each, a quarter of a gigabyte at a million records."""
    if not a or not b or a == b:
        return a or b
    merged = a if isinstance(a, set) else {a}
    merged |= b if isinstance(b, set) else {b}
    return merged


@dataclass
class Clusters:
    labels: list[int]  # cluster label (the index of its root record) per record index
    method: list[str]  # strongest accepted evidence that touched each record
    probability: list[float | None]
    refused: pd.DataFrame  # l, r, method, match_probability, reason


_CHUNK = 500_000  # edges turned into Python objects at a time (a full run has millions)
_REASONS = ("corporate_number_conflict", "steward_cannot_link", "names_dissimilar")


def _in_order(edges: pd.DataFrame, codes: np.ndarray):
    """Chunks of (l, r, method code, probability) lists, strongest first, in a total order (method
    last: two rules can link the same pair with equal priority), so the outcome never depends on
    the order the edges arrive in, only on the edges themselves. Sorted as arrays."""
    left, right = edges["l"].to_numpy(dtype="int64"), edges["r"].to_numpy(dtype="int64")
    p = edges["match_probability"].to_numpy(dtype="float64")
    order = np.lexsort((codes, right, left, -p, edges["priority"].to_numpy()))  # last key sorts first
    for start in range(0, len(order), _CHUNK):
        i = order[start : start + _CHUNK]
        yield left[i].tolist(), right[i].tolist(), codes[i].tolist(), p[i].tolist()


def ordered_edges_sql(edges_sql: str, priorities: list[int]) -> str:
    """SQL of the edges of `edges_sql` (`l`, `r`, `method` as a code into the method names,
    `match_probability`) in the order `_in_order` gives them, `priorities[code]` the priority of a
    method. A full run has tens of millions of edges: DuckDB sorts them within its memory limit
    (spilling) and `edge_chunks` streams them, where a frame and its sort keys took gigabytes."""
    return f"""
        select l, r, method, match_probability from ({edges_sql})
        order by {list(priorities)!r}[method + 1], match_probability desc, l, r, method"""


def edge_chunks(result, rows: int = _CHUNK):
    """(l, r, method code, probability) lists of a DuckDB result of `ordered_edges_sql`, `rows`
    at a time (read them before the connection runs anything else)."""
    for batch in result.fetch_record_batch(rows):
        yield tuple(batch.column(i).to_pylist() for i in range(4))


def cluster_records(
    corporate_numbers: list[str | None],
    edges: pd.DataFrame,
    cannot_links: list[tuple[int, int]] = (),
    name_keys: list[str | None] | None = None,
) -> Clusters:
    """Cluster on an edge frame (`l`, `r`, `method`, `priority`, `match_probability`)."""
    methods = edges["method"].astype("category")
    chunks = _in_order(edges, methods.cat.codes.to_numpy())
    return cluster_ordered(corporate_numbers, chunks, list(methods.cat.categories), cannot_links, name_keys)


def cluster_ordered(
    corporate_numbers: list[str | None],
    chunks,
    method_names: list[str],
    cannot_links: list[tuple[int, int]] = (),
    name_keys: list[str | None] | None = None,
) -> Clusters:
    """Cluster on edges given as chunks of (l, r, method code into `method_names`, probability)
    lists, strongest first in `_in_order`'s total order (`ordered_edges_sql` keeps it)."""
    n = len(corporate_numbers)
    names: list[str | set[str] | None] = [
        k if isinstance(k, str) and k else None for k in (name_keys or [None] * n)
    ]
    parent = list(range(n))
    size = [1] * n
    # Only real strings are numbers: pandas hands missing values over as NaN (truthy, != itself).
    corp: list[str | None] = [c if isinstance(c, str) and c else None for c in corporate_numbers]
    forbid: dict[int, set[int]] = {}
    for a, b in cannot_links:
        forbid.setdefault(a, set()).add(b)
        forbid.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = x = parent[parent[x]]  # path halving
        return x

    def forbidden(ra: int, rb: int) -> bool:
        return any(find(x) == rb for x in forbid.get(ra, ()))

    # Methods as codes in the loop: a million refusals as tuples of strings cost a second to frame.
    splink = method_names.index("splink") if "splink" in method_names else -1
    conflict, cannot, dissimilar = range(len(_REASONS))
    method: list[int | None] = [None] * n
    prob: list[float | None] = [None] * n
    refused: list[float] = []  # flat: l, r, method code, probability, reason code per refusal
    # The loop body is the hot path of a full run (millions of edges): `find` is written out.
    for lefts, rights, codes, probs in chunks:
        for left, right, m, p in zip(lefts, rights, codes, probs, strict=True):
            ra = left
            while parent[ra] != ra:
                parent[ra] = ra = parent[parent[ra]]
            rb = right
            while parent[rb] != rb:
                parent[rb] = rb = parent[parent[rb]]
            if ra != rb:
                if corp[ra] and corp[rb] and corp[ra] != corp[rb]:
                    refused.extend((left, right, m, p, conflict))
                    continue
                if forbid and (forbidden(ra, rb) or forbidden(rb, ra)):
                    refused.extend((left, right, m, p, cannot))
                    continue
                if m == splink and not _names_compatible(names[ra], names[rb]):
                    refused.extend((left, right, m, p, dissimilar))
                    continue
                if size[ra] < size[rb]:
                    ra, rb = rb, ra
                parent[rb] = ra
                size[ra] += size[rb]
                corp[ra] = corp[ra] or corp[rb]
                names[ra], names[rb] = _union(names[ra], names[rb]), None
                if rb in forbid:
                    forbid.setdefault(ra, set()).update(forbid.pop(rb))
            if method[left] is None:
                method[left], prob[left] = m, p
            if method[right] is None:
                method[right], prob[right] = m, p
    labels = [find(i) for i in range(n)]
    return Clusters(
        labels=labels,
        method=["singleton" if m is None else method_names[m] for m in method],
        probability=prob,
        refused=_frame(refused, method_names),
    )


def _frame(refused: list[float], method_names: list[str]) -> pd.DataFrame:
    # every value of a refusal is a number exactly representable as a double: one array, 5 columns
    rows = np.array(refused, dtype="float64").reshape(-1, 5)
    return pd.DataFrame(
        {
            "l": rows[:, 0].astype("int64"),
            "r": rows[:, 1].astype("int64"),
            "method": pd.Categorical.from_codes(rows[:, 2].astype("int64"), categories=method_names),
            "match_probability": rows[:, 3],
            "reason": pd.Categorical.from_codes(rows[:, 4].astype("int64"), categories=list(_REASONS)),
        }
    )


def conflict_sql(corporate_number_l: str, corporate_number_r: str) -> str:
    """SQL: true for an edge between two records with different valid corporate numbers. Such an
    edge is refused whatever the order (a cluster never holds two numbers) and changes nothing, so
    runs leave it out of the clustering and of the components and refuse it in SQL."""
    a, b = corporate_number_l, corporate_number_r
    return f"({a} is not null and {b} is not null and {a} <> {b})"


def component_labels(labels: list[int], refused: pd.DataFrame) -> np.ndarray:
    """The connected component of every record in the graph of the edges given to
    `cluster_records`, named by its smallest cluster label.

    Every edge either joined two records into one cluster or was refused, so a component is the
    clusters that refused edges connect. Outside a component nothing can change a record's cluster:
    an incremental run re-clusters only the components that new or changed evidence reaches.
    (Hook-and-jump on arrays: a full run has about a million refused edges.)"""
    cluster = np.asarray(labels, dtype="int64")
    a = cluster[refused["l"].to_numpy(dtype="int64")]
    b = cluster[refused["r"].to_numpy(dtype="int64")]
    root = np.arange(len(cluster), dtype="int64")
    while True:
        ra, rb = root[a], root[b]
        apart = ra != rb
        if not apart.any():
            return root[cluster]
        np.minimum.at(root, np.maximum(ra, rb)[apart], np.minimum(ra, rb)[apart])
        while not np.array_equal(jumped := root[root], root):
            root = jumped
