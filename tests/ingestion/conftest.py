"""Fixtures for the raw-loader tests: a temp landing folder, a temp warehouse, file writers.

Every test builds its own extracts under tmp_path; nothing depends on an earlier run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extracts"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


@pytest.fixture
def put(landing: Path):
    """put(system, date, file_name, content) writes one landing file (str -> UTF-8, bytes as is)."""

    def _put(system: str, extract_date: str, name: str, content: str | bytes) -> Path:
        path = landing / system / extract_date / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        return path

    return _put


def _ledger(con, source_file: str | None = None) -> list[dict]:
    sql = "select * from audit.load_ledger"
    params: list = []
    if source_file:
        sql += " where source_file = ?"
        params.append(source_file)
    cur = con.execute(sql + " order by attempt_at, source_file", params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _table_counts(con) -> dict[str, int]:
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where schema_name like 'raw_%' or schema_name = 'audit' order by 1, 2"
    ).fetchall()
    return {f"{s}.{t}": con.execute(f'select count(*) from {s}."{t}"').fetchall()[0][0] for s, t in tables}


@pytest.fixture
def ledger(con):
    """ledger(source_file=None) -> ledger rows as dicts, oldest first."""
    return lambda source_file=None: _ledger(con, source_file)


@pytest.fixture
def counts(con):
    """counts() -> row count of every raw and audit table (to prove a step changed nothing)."""
    return lambda: _table_counts(con)
