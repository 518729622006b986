"""Shared fixtures: one T-scale warehouse built end to end through Dagster, in a temp folder.

Building it costs tens of seconds, so it is built once per test session and shared read-only by
the tests that compare the warehouse with the generator's truth. Tests that change data build
their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

# Every entry point reads its paths from the environment; point them at a session temp folder
# BEFORE anything imports orchestration (settings are read at import time by Definitions).
_SESSION_DATA = (
    Path(os.environ.get("SSOT_TEST_DATA_DIR", "")) if os.environ.get("SSOT_TEST_DATA_DIR") else None
)


@dataclass(frozen=True)
class BuiltWarehouse:
    data_dir: Path
    landing: Path
    truth: Path
    warehouse: Path
    run_id: str

    def connect(self):
        import duckdb

        return duckdb.connect(str(self.warehouse), read_only=True)


def _point_settings_at(data_dir: Path) -> None:
    os.environ["SSOT_DATA_DIR"] = str(data_dir)
    for var in ("SSOT_LANDING", "SSOT_TRUTH", "SSOT_WAREHOUSE", "DAGSTER_HOME", "SSOT_EXPORT_DIR",
                "SSOT_REPORT_DIR", "SSOT_DBT_ARTIFACTS_DIR", "SSOT_DUCKDB_TEMP_DIR"):  # fmt: skip
        os.environ.pop(var, None)


@pytest.fixture(scope="session")
def t_warehouse(tmp_path_factory) -> BuiltWarehouse:
    """Scale T generated, loaded and built through the one Definitions (like `ssot run`)."""
    data_dir = tmp_path_factory.mktemp("ssot_t")
    _point_settings_at(data_dir)
    from ingestion.sample import generate
    from orchestration.cli import _generator_start, run_pipeline
    from orchestration.settings import settings

    s = settings()
    generate(
        scale="T", seed=7, out=s.landing, truth=s.truth, start=_generator_start("T", None), progress=False
    )
    result = run_pipeline(trigger="test")
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert result.success, f"pipeline failed: {failures}"
    return BuiltWarehouse(data_dir, s.landing, s.truth, s.warehouse, result.run_id)
