"""Stable, opaque company IDs carried forward between runs.

Owns: issuing IDs (`CO-` + 10 random Crockford base-32 characters: never derived from data that can
change, never reused: every issued ID stays in the registry, `core.company_id_history`) and the
carry-forward rules, given this run's clusters and the previous run's crosswalk:
- each previous ID goes "home" to the new cluster holding most of its previous records (tie: the
  larger cluster, then the smallest record key), so a split keeps the ID on its largest fragment;
- a cluster that is home to several previous IDs (a merge) keeps the one with most of its records
  (tie: the oldest issued, then the smallest ID); the others get a `merged` event with `merged_into`;
- a cluster home to no previous ID gets a new ID (`issued`); when it holds records that had an ID
  elsewhere, that ID also gets a `split` event naming the new fragment (`related_company_id`).
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def new_company_id(taken: set[str]) -> str:
    while True:
        candidate = "CO-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


@dataclass(frozen=True)
class IdEvent:
    company_id: str
    event: str  # issued | merged | split
    merged_into: str | None
    related_company_id: str | None
    record_count: int


def assign_company_ids(
    cluster_of: dict[str, int],
    previous: dict[str, str],
    issued_at: dict[str, object],
) -> tuple[dict[int, str], list[IdEvent]]:
    """cluster_of: record_key -> cluster label; previous: record_key -> previous company_id;
    issued_at: every ID ever issued -> when (the registry). Returns label -> company_id, events."""
    members: dict[int, list[str]] = defaultdict(list)
    for key, label in cluster_of.items():
        members[label].append(key)
    votes: dict[int, Counter] = defaultdict(Counter)  # label -> previous id -> records
    fragments: dict[str, Counter] = defaultdict(Counter)  # previous id -> label -> records
    for key, label in cluster_of.items():
        old = previous.get(key)
        if old is not None:
            votes[label][old] += 1
            fragments[old][label] += 1

    def home_rank(old: str, label: int) -> tuple:
        return (-fragments[old][label], -len(members[label]), min(members[label]))

    home = {old: min(labels, key=lambda lb, o=old: home_rank(o, lb)) for old, labels in fragments.items()}
    claims: dict[int, list[str]] = defaultdict(list)
    for old, label in home.items():
        claims[label].append(old)

    taken = set(issued_at)
    assigned: dict[int, str] = {}
    events: list[IdEvent] = []
    # Labels in a stable order so the same input gives the same events (IDs themselves are random).
    for label in sorted(members, key=lambda lb: min(members[lb])):
        size = len(members[label])
        if claims[label]:
            ranked = sorted(
                claims[label], key=lambda o, lb=label: (-votes[lb][o], str(issued_at.get(o, "")), o)
            )
            keep = ranked[0]
            assigned[label] = keep
            events += [IdEvent(o, "merged", keep, None, votes[label][o]) for o in ranked[1:]]
        else:
            assigned[label] = new_company_id(taken)
            events.append(IdEvent(assigned[label], "issued", None, None, size))
    # Every previous ID with records outside its home was split: say where each fragment went.
    for old, labels in fragments.items():
        for label, count in sorted(labels.items(), key=lambda kv: min(members[kv[0]])):
            if label != home[old] and assigned[label] != old:
                events.append(IdEvent(old, "split", None, assigned[label], count))
    return assigned, events


def flatten_redirects(merges: list[tuple[str, str]]) -> dict[str, str]:
    """old id -> the id it finally lives on, following chains of `merged_into` (A->B, B->C: A->C)."""
    into = dict(merges)
    final = {}
    for start in into:
        seen, current = {start}, into[start]
        while current in into and current not in seen:
            seen.add(current)
            current = into[current]
        final[start] = current
    return final
