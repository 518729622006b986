"""Resources: the DuckDB warehouse file and the dbt project/CLI, defined once for every asset."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from functools import cached_property
from importlib.metadata import version
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


class SsotDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource minus two start-up costs it pays for features we do not use
    (tests/orchestration/test_orch_dbt_resource.py):

    - the version: dagster-dbt runs `dbt --version` before the first command of a run, a whole
      dbt start (~2 s CPU) plus two PyPI look-ups ("latest version", 1 s timeout each): 10-14 s
      wall measured here, and the daily run depended on the network. The executable is this
      environment's own (build_resources), so the installed dbt-core has the same version.
    - the in-process dbt adapter: before every command dagster-dbt loads dbt's profile and parses
      all ~590 of dbt's global macros in the run process (1-3 s CPU per dbt step measured), only
      for `fetch_row_counts()` / `fetch_column_metadata()`, which this project does not call
      (with no adapter they log a warning and add nothing).
    """

    @cached_property
    def _cli_version(self):
        from packaging.version import parse

        return parse(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def build_resources() -> dict:
    return {
        "warehouse": WarehouseResource(),
        # The dbt of this interpreter's environment: works without activating the venv.
        "dbt": SsotDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=str(Path(sys.executable).with_name("dbt")),
        ),
    }
