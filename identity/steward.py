"""Data-steward decisions that override the model: `identity/steward_links.csv`.

Owns: reading the steward file. Each row is `must_link` or `cannot_link` between two records named
by (source_system, source_entity, source_record_id). must_link becomes the strongest edge;
cannot_link forbids any cluster holding both records (even against a shared corporate number).
The corporate-number constraint still wins over must_link: such a row is reported for review.
"""

from __future__ import annotations

import csv
import hashlib
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


def steward_file_version(path: Path) -> str:
    """Content hash of the steward file ('' without one): decisions are part of a run's settings."""
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else ""


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


def steward_pairs(links: list[dict]) -> pd.DataFrame:
    """One row per link: `link_type`, `record_key_l`, `record_key_r` (records named by key)."""

    def key(link: dict, side: str) -> str:
        return "|".join(link[f"{side}_source_{p}"] for p in ("system", "entity", "record_id"))

    return pd.DataFrame(
        {
            "link_type": [link["link_type"] for link in links],
            "record_key_l": [key(link, "left") for link in links],
            "record_key_r": [key(link, "right") for link in links],
        },
        dtype=object,
    )
