"""Where things are: every path and knob of a run, from environment variables with defaults.

The defaults put all state under `<project>/data/` so a fresh clone works with no configuration;
`.env.example` lists every variable. Nothing else in the project reads these variables directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingestion.rules import PROJECT_ROOT, business_rules

DEFAULT_DATA_DIR = PROJECT_ROOT / "data"

# Dagster instance settings written into DAGSTER_HOME when it has none: telemetry off, and the
# DuckDB writer pool limited to one step at a time across all runs (DuckDB has one writer per file).
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 4
"""

WRITER_POOL = "duckdb_writer"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing: Path
    truth: Path
    warehouse: Path
    dagster_home: Path
    export_dir: Path
    report_dir: Path
    dbt_artifacts_dir: Path
    duckdb_temp_dir: Path
    partitions_start: str
    bad_row_threshold: float
    duckdb_threads: int
    duckdb_memory_limit: str
    dbt_artifacts_keep: int


def settings() -> Settings:
    data_dir = _path("SSOT_DATA_DIR", DEFAULT_DATA_DIR)
    return Settings(
        data_dir=data_dir,
        landing=_path("SSOT_LANDING", data_dir / "landing"),
        truth=_path("SSOT_TRUTH", data_dir / "truth"),
        warehouse=_path("SSOT_WAREHOUSE", data_dir / "warehouse.duckdb"),
        dagster_home=_path("DAGSTER_HOME", data_dir / "dagster_home"),
        export_dir=_path("SSOT_EXPORT_DIR", data_dir / "export"),
        report_dir=_path("SSOT_REPORT_DIR", data_dir / "reports"),
        dbt_artifacts_dir=_path("SSOT_DBT_ARTIFACTS_DIR", data_dir / "dbt_artifacts"),
        duckdb_temp_dir=_path("SSOT_DUCKDB_TEMP_DIR", data_dir / "duckdb_tmp"),
        partitions_start=os.environ.get("SSOT_PARTITIONS_START", "2025-01-01"),
        # The business default lives with the other rules; the variable overrides it per deployment.
        bad_row_threshold=float(
            os.environ.get("SSOT_BAD_ROW_THRESHOLD") or business_rules()["ingestion_bad_row_threshold"]
        ),
        duckdb_threads=int(os.environ.get("SSOT_DUCKDB_THREADS", "2")),
        # DuckDB spills beyond this. During a dbt step the tree is the Dagster run process (0.6-1 GiB
        # at L) plus dbt's, which sits ~0.3 GiB above this limit: 3GB put the L tree at 4.1 GiB,
        # 2.5GB at ~3.6 with the same CPU time for the core models (measured back to back).
        duckdb_memory_limit=os.environ.get("SSOT_DUCKDB_MEMORY_LIMIT", "2.5GB"),
        dbt_artifacts_keep=int(os.environ.get("SSOT_DBT_ARTIFACTS_KEEP", "20")),
    )


def export_environment(s: Settings | None = None) -> Settings:
    """Make the resolved settings visible to child processes (dbt reads SSOT_WAREHOUSE etc.) and
    prepare DAGSTER_HOME, so every entry point (CLI, `dagster dev`, tests) agrees on one place."""
    s = s or settings()
    os.environ["SSOT_WAREHOUSE"] = str(s.warehouse)
    os.environ["SSOT_DUCKDB_TEMP_DIR"] = str(s.duckdb_temp_dir)
    os.environ["SSOT_DUCKDB_THREADS"] = str(s.duckdb_threads)
    os.environ["SSOT_DUCKDB_MEMORY_LIMIT"] = s.duckdb_memory_limit
    os.environ["DAGSTER_HOME"] = str(s.dagster_home)
    os.environ.setdefault("DAGSTER_TELEMETRY_DISABLED", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    for d in (s.warehouse.parent, s.dagster_home, s.duckdb_temp_dir):
        d.mkdir(parents=True, exist_ok=True)
    _init_dagster_home(s.dagster_home)
    return s


def _init_dagster_home(home: Path) -> None:
    """Write dagster.yaml, create the instance's SQLite tables and the writer pool's slot once,
    under a file lock. Two processes starting on a new DAGSTER_HOME would otherwise race on the
    schema migration, and on the pool's lazily created slot: both claimed it, and their writer
    steps ran at the same time (measured: overlapping load steps, a DuckDB lock error)."""
    import fcntl

    marker = home / ".initialized-v2"
    if marker.exists():
        return
    with open(home / ".init.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return
        dagster_yaml = home / "dagster.yaml"
        if not dagster_yaml.exists():
            dagster_yaml.write_text(DAGSTER_YAML, encoding="utf-8")
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(home)) as instance:
            if instance.event_log_storage.get_concurrency_info(WRITER_POOL).slot_count != 1:
                instance.event_log_storage.set_concurrency_slots(WRITER_POOL, 1)
        marker.touch()
