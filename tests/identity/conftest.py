"""Hand-made staging relations for identity tests (each test builds its own in tmp_path)."""

from __future__ import annotations

import dataclasses

import duckdb
import pandas as pd
import pytest

from identity.config import IdentitySettings
from identity.records import SOURCES
from identity.synthetic import write_staging

# staging relation -> its columns (the contract stg names identity reads)
COLUMNS = {src.relation.split(".")[1]: list(dict.fromkeys(src.columns.values())) for src in SOURCES}


def staging_frames(**rows: list[dict]) -> dict[str, pd.DataFrame]:
    """staging_frames(stg_sfa__accounts=[{...}], ...): every relation, missing columns NULL."""
    frames = {}
    for name, cols in COLUMNS.items():
        data = rows.get(name, [])
        frames[name] = pd.DataFrame([{c: r.get(c) for c in cols} for r in data], columns=cols, dtype=object)
    return frames


@pytest.fixture
def warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield con
    con.close()


@pytest.fixture
def settings(tmp_path):
    """Default settings with an empty steward file of this test's own."""
    path = tmp_path / "steward_links.csv"
    path.write_text(
        "link_type,left_source_system,left_source_entity,left_source_record_id,"
        "right_source_system,right_source_entity,right_source_record_id,reason,decided_by,decided_at\n",
        encoding="utf-8",
    )
    return dataclasses.replace(IdentitySettings(), steward_path=path)


def load(con, **rows: list[dict]) -> None:
    write_staging(con, staging_frames(**rows))


def crosswalk(con) -> dict[str, str]:
    rows = con.execute(
        "select source_system || '|' || source_entity || '|' || source_record_id, company_id "
        "from core.company_crosswalk"
    ).fetchall()
    return dict(rows)
