"""Resources: the DuckDB warehouse file and the dbt project/CLI, defined once for every asset."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR, settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse DuckDB file. Only steps in the writer pool open it for writing."""

    path: str
    threads: int = 2
    memory_limit: str = "4GB"
    temp_directory: str = ""

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator:
        import duckdb

        config = {"threads": self.threads, "memory_limit": self.memory_limit}
        if self.temp_directory and not read_only:
            config["temp_directory"] = self.temp_directory
        con = duckdb.connect(self.path, read_only=read_only, config=config)
        try:
            yield con
        finally:
            con.close()


def build_resources() -> dict:
    s = settings()
    return {
        "warehouse": WarehouseResource(
            path=str(s.warehouse),
            threads=s.duckdb_threads,
            memory_limit=s.duckdb_memory_limit,
            temp_directory=str(s.duckdb_temp_dir),
        ),
        "dbt": DbtCliResource(project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR)),
    }
