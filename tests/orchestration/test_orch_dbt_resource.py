"""The dbt resource skips dagster-dbt's per-run `dbt --version` (a whole dbt start plus two PyPI
look-ups, 10-14 s measured) and its in-process dbt adapter (all of dbt's macros parsed in the run
process before every command, for row-count/column metadata this project does not fetch), and
still runs dbt with the right version."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster_dbt.core.resource as dagster_dbt_resource
from dbt.parser.manifest import ManifestLoader
from dbt.version import __version__ as dbt_version
from packaging.version import parse

from orchestration.resources import build_resources, dbt_project


def _forbid(monkeypatch, owner, name: str) -> list:
    """Make `owner.name` raise, and return the list of its calls (dagster-dbt swallows errors of
    the adapter set-up, so a raise alone would not fail the test)."""
    calls = []

    def forbidden(*args, **kwargs):
        calls.append(args)
        raise AssertionError(f"{name} called")

    monkeypatch.setattr(owner, name, forbidden)
    return calls


def test_dbt_version_comes_from_the_installed_distribution(monkeypatch):
    _forbid(monkeypatch, dagster_dbt_resource, "check_output")
    dbt = build_resources()["dbt"]
    # The executable is this interpreter's environment's dbt, whose dbt-core is the one imported here.
    assert Path(dbt.dbt_executable) == Path(sys.executable).with_name("dbt")
    assert dbt._cli_version == parse(dbt_version)
    assert dbt._cli_version.major < 2  # dagster-dbt's dbt-core (not fusion) code path


def test_a_dbt_command_runs_without_the_in_process_adapter(monkeypatch, tmp_path):
    _forbid(monkeypatch, dagster_dbt_resource, "check_output")
    macro_loads = _forbid(monkeypatch, ManifestLoader, "load_macros")
    monkeypatch.setenv("SSOT_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    dbt = build_resources()["dbt"]
    invocation = dbt.cli(
        ["ls", "--select", "ma_activity_types"],
        manifest=dbt_project.manifest_path,
        target_path=tmp_path / "target",
    )
    assert invocation.adapter is None
    assert invocation.is_successful()
    assert macro_loads == []
