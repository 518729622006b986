"""Resources: the DuckDB warehouse file and the dbt project/CLI, defined once for every asset."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from ingestion.rules import DBT_PROJECT_DIR
from orchestration.settings import settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse DuckDB file. Only steps in the writer pool open it for writing.

    Empty fields mean "from the environment at run time" (orchestration/settings.py), so a
    Definitions object imported once still follows SSOT_WAREHOUSE when it changes (tests, CLI).
    """

    path: str = ""
    threads: int = 0
    memory_limit: str = ""
    temp_directory: str = ""

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator:
        import duckdb

        s = settings()
        path = self.path or str(s.warehouse)
        config = {
            "threads": self.threads or s.duckdb_threads,
            "memory_limit": self.memory_limit or s.duckdb_memory_limit,
        }
        if not read_only:
            config["temp_directory"] = self.temp_directory or str(s.duckdb_temp_dir)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(path, read_only=read_only, config=config)
        try:
            yield con
        finally:
            con.close()


def build_resources() -> dict:
    return {
        "warehouse": WarehouseResource(),
        # The dbt of this interpreter's environment: works without activating the venv.
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=str(Path(sys.executable).with_name("dbt")),
        ),
    }
