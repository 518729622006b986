"""The accepted spellings of each contract type, evaluated by DuckDB exactly as the loader does."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from ingestion.timeparse import fixed_offset_seconds, typed_sql


@pytest.fixture(scope="module")
def db():
    con = duckdb.connect()
    con.execute("set TimeZone = 'America/New_York'")  # the session zone must not matter
    yield con
    con.close()


def _parse(db, text, contract_type, tz="Asia/Tokyo"):
    return db.execute(f"select {typed_sql('$1', contract_type, tz)}", [text]).fetchall()[0][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01T09:30:00.000+0000", datetime(2026, 6, 1, 9, 30)),
        ("2026-06-01 09:30:00", datetime(2026, 6, 1, 0, 30)),
        ("2026/06/01 9:30", datetime(2026, 6, 1, 0, 30)),
        ("2026-06-01T09:30:00+09:00", datetime(2026, 6, 1, 0, 30)),
        ("2026-06-01T09:30:00+09", datetime(2026, 6, 1, 0, 30)),
        ("2026-06-01T00:30:00Z", datetime(2026, 6, 1, 0, 30)),
        ("2026-06-01", datetime(2026, 5, 31, 15, 0)),
        (" 2026-06-01 09:30 ", datetime(2026, 6, 1, 0, 30)),
        ("1950-06-01 10:00", datetime(1950, 6, 1, 0, 0)),  # Tokyo DST year: ICU, not the fixed offset
        ("2026-13-45", None),
        ("2026-06-01 09:30 JST", None),
        ("", None),
    ],
)
def test_timestamps(db, text, expected):
    assert _parse(db, text, "timestamp") == expected


def test_fixed_offset_only_for_zones_without_dst():
    assert fixed_offset_seconds("Asia/Tokyo") == 9 * 3600
    assert fixed_offset_seconds("UTC") == 0
    assert fixed_offset_seconds("America/New_York") is None


def test_dst_zone_goes_through_icu(db):
    assert _parse(db, "2026-07-01 12:00", "timestamp", "America/New_York") == datetime(2026, 7, 1, 16, 0)
    assert _parse(db, "2026-01-01 12:00", "timestamp", "America/New_York") == datetime(2026, 1, 1, 17, 0)


@pytest.mark.parametrize(
    ("text", "contract_type", "expected"),
    [
        ("1,200,000", "integer", 1200000),
        ("12.0", "integer", 12),
        ("12.5", "integer", None),
        ("1e3", "integer", None),
        ("1,20,0", "integer", None),
        ("-7", "bigint", -7),
        ("1,200,000.50", "decimal", Decimal("1200000.50")),
        ("1.50000", "decimal", Decimal("1.50")),
        ("1.005", "decimal", None),
        ("¥100", "decimal", None),
        ("0.25", "double", 0.25),
        ("1e-3", "double", 0.001),
        ("nan", "double", None),
        ("TRUE", "boolean", True),
        ("0", "boolean", False),
        ("yes", "boolean", None),
        ("2026/6/1", "date", date(2026, 6, 1)),
        ("2026-02-30", "date", None),
        ("  ", "varchar", None),
        (" keep ", "varchar", " keep "),
    ],
)
def test_other_types(db, text, contract_type, expected):
    assert _parse(db, text, contract_type) == expected
