"""Helpers of the orchestration tests: an isolated data folder with every SSOT_* / DAGSTER_HOME
variable pointed at it (restored afterwards), a generated T-scale landing zone, step failures.

Definitions are imported once per pytest process; they read paths from the environment when a
step runs (orchestration/settings.py, resources.py), so re-pointing the variables is enough.
`export_environment()` writes os.environ directly, hence a full snapshot/restore here rather
than monkeypatch.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SETTINGS_VARS = (
    "SSOT_LANDING",
    "SSOT_TRUTH",
    "SSOT_WAREHOUSE",
    "DAGSTER_HOME",
    "SSOT_EXPORT_DIR",
    "SSOT_REPORT_DIR",
    "SSOT_DBT_ARTIFACTS_DIR",
    "SSOT_DUCKDB_TEMP_DIR",
)
# The generator ends every scale on this date (orchestration.cli.GENERATOR_END_DATE).
LAST_DAY = dt.date(2026, 9, 30)


@contextmanager
def pointed_at(data_dir: Path) -> Iterator[Path]:
    """Every setting under `data_dir` (like tests/conftest.py `_point_settings_at`), then restore."""
    saved = dict(os.environ)
    os.environ["SSOT_DATA_DIR"] = str(data_dir)
    for var in SETTINGS_VARS:
        os.environ.pop(var, None)
    try:
        yield data_dir
    finally:
        os.environ.clear()
        os.environ.update(saved)


def generate_landing(days: int, seed: int = 11) -> list[str]:
    """A T-scale landing of `days` extract dates ending LAST_DAY, where the settings point."""
    from ingestion.sample import generate
    from orchestration.settings import settings

    s = settings()
    start = LAST_DAY - dt.timedelta(days=days - 1)
    generate(scale="T", seed=seed, out=s.landing, truth=s.truth, days=days, start=start, progress=False)
    return [str(start + dt.timedelta(days=i)) for i in range(days)]


def step_failures(result) -> list[str]:
    return [
        f"{e.step_key}: {e.step_failure_data.error.message if e.step_failure_data.error else ''}"
        for e in result.all_events
        if e.is_step_failure
    ]
