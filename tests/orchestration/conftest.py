"""Fixtures of the orchestration tests (helpers live in orch_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from orch_helpers import pointed_at


@pytest.fixture
def ssot_env(tmp_path: Path) -> Iterator[Path]:
    """Settings pointed at a fresh data folder under tmp_path for this test only."""
    with pointed_at(tmp_path / "data") as data_dir:
        yield data_dir
