"""Constrained clustering of company records: edges in, one cluster label per record out.

Owns: the hard constraints. Edges are applied strongest first (steward must_link, corporate number,
cross-system id, name + corroboration, then Splink by falling probability) with a union-find; a
merge is refused when it would put two different VALID corporate numbers in one cluster, or when
a steward cannot_link pair would end up together. Refused edges are returned for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

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


def _names_compatible(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return True
    sa, sb = sorted(a)[:_NAME_GUARD_SAMPLE], sorted(b)[:_NAME_GUARD_SAMPLE]
    return any(_name_ratio(x, y) >= _NAME_GUARD_RATIO for x in sa for y in sb)


@dataclass
class Clusters:
    labels: list[int]  # cluster label (the root rid) per rid
    method: list[str]  # strongest accepted evidence that touched each record
    probability: list[float | None]
    refused: pd.DataFrame  # l, r, method, match_probability, reason


def cluster_records(
    corporate_numbers: list[str | None],
    edges: pd.DataFrame,
    cannot_links: list[tuple[int, int]] = (),
    name_keys: list[str | None] | None = None,
) -> Clusters:
    n = len(corporate_numbers)
    names: list[set[str]] = [{k} if isinstance(k, str) and k else set() for k in (name_keys or [None] * n)]
    parent = list(range(n))
    size = [1] * n
    # Only real strings are numbers: pandas hands missing values over as NaN (truthy, != itself).
    corp: list[str | None] = [c if isinstance(c, str) and c else None for c in corporate_numbers]
    forbid: dict[int, set[int]] = {}
    for a, b in cannot_links:
        forbid.setdefault(a, set()).add(b)
        forbid.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def forbidden(ra: int, rb: int) -> bool:
        return any(find(x) == rb for x in forbid.get(ra, ()))

    method: list[str | None] = [None] * n
    prob: list[float | None] = [None] * n
    refused = []
    ordered = edges.sort_values(
        ["priority", "match_probability", "l", "r"], ascending=[True, False, True, True], kind="stable"
    )
    for left, right, m, p in ordered[["l", "r", "method", "match_probability"]].itertuples(
        index=False, name=None
    ):
        ra, rb = find(left), find(right)
        if ra != rb:
            if corp[ra] and corp[rb] and corp[ra] != corp[rb]:
                refused.append((left, right, m, p, "corporate_number_conflict"))
                continue
            if forbidden(ra, rb) or forbidden(rb, ra):
                refused.append((left, right, m, p, "steward_cannot_link"))
                continue
            if m == "splink" and not _names_compatible(names[ra], names[rb]):
                refused.append((left, right, m, p, "names_dissimilar"))
                continue
            if size[ra] < size[rb]:
                ra, rb = rb, ra
            parent[rb] = ra
            size[ra] += size[rb]
            corp[ra] = corp[ra] or corp[rb]
            names[ra] |= names[rb]
            names[rb] = set()
            if rb in forbid:
                forbid.setdefault(ra, set()).update(forbid.pop(rb))
        for x in (left, right):
            if method[x] is None:
                method[x], prob[x] = m, p
    labels = [find(i) for i in range(n)]
    return Clusters(
        labels=labels,
        method=[m or "singleton" for m in method],
        probability=prob,
        refused=pd.DataFrame(refused, columns=["l", "r", "method", "match_probability", "reason"]),
    )
