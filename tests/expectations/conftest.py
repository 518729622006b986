"""Fixtures of the data-quality tests (helpers live in dq_warehouse.py)."""

from __future__ import annotations

import pytest
from dq_warehouse import build_warehouse


@pytest.fixture
def warehouse(tmp_path):
    con = build_warehouse(tmp_path / "warehouse.duckdb")
    yield con
    con.close()
