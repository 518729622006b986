"""Data-steward decisions that override the model: `identity/steward_links.csv`.

Owns: reading the steward file. Each row is `must_link` or `cannot_link` between two records named
by (source_system, source_entity, source_record_id). must_link becomes the strongest edge;
cannot_link forbids any cluster holding both records (even against a shared corporate number).
The corporate-number constraint still wins over must_link: such a row is reported for review.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

LINK_TYPES = ("must_link", "cannot_link")
COLUMNS = (
    "link_type",
    "left_source_system",
    "left_source_entity",
    "left_source_record_id",
    "right_source_system",
    "right_source_entity",
    "right_source_record_id",
)


def read_steward_links(path: Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    links = []
    for n, row in enumerate(rows, start=2):
        missing = [c for c in COLUMNS if not (row.get(c) or "").strip()]
        if missing:
            raise ValueError(f"{path}:{n}: missing {', '.join(missing)}")
        link_type = row["link_type"].strip().lower()
        if link_type not in LINK_TYPES:
            raise ValueError(f"{path}:{n}: link_type must be one of {LINK_TYPES}, got {link_type!r}")
        links.append({c: row[c].strip() for c in COLUMNS} | {"link_type": link_type})
    return links


def steward_edges(
    links: list[dict], records: pd.DataFrame
) -> tuple[pd.DataFrame, list[tuple[int, int]], int]:
    """(must_link edges, cannot_link rid pairs, number of rows naming an unknown record)."""
    rid_of = dict(zip(records["record_key"], records["rid"], strict=True))
    must, cannot, unknown = [], [], 0
    for link in links:
        left = rid_of.get("|".join(link[f"left_source_{p}"] for p in ("system", "entity", "record_id")))
        right = rid_of.get("|".join(link[f"right_source_{p}"] for p in ("system", "entity", "record_id")))
        if left is None or right is None:
            unknown += 1
            continue
        (must if link["link_type"] == "must_link" else cannot).append((int(left), int(right)))
    edges = pd.DataFrame(must, columns=["l", "r"]).assign(method="steward", priority=0, match_probability=1.0)
    return edges, cannot, unknown
