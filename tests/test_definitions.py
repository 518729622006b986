"""The one Definitions loads, and its shape is what we reviewed: a snapshot of every asset key,
check, job, schedule and sensor (update deliberately with SSOT_UPDATE_SNAPSHOTS=1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from ingestion.contracts import load_contracts

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"
LAYERS = {"ingestion", "staging", "identity", "lifecycle", "kpi", "quality"}


@pytest.fixture(scope="module")
def repo():
    from orchestration.definitions import defs

    return defs.get_repository_def()


def _shape(repo) -> dict:
    graph = repo.asset_graph
    return {
        "assets": sorted(k.to_user_string() for k in graph.get_all_asset_keys()),
        "asset_checks": sorted(k.to_user_string() for k in graph.asset_check_keys),
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in repo.schedule_defs),
        "sensors": sorted(s.name for s in repo.sensor_defs),
    }


def test_definitions_match_the_snapshot(repo):
    shape = _shape(repo)
    if os.environ.get("SSOT_UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(shape, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert shape == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_ingestion_keys_connect_to_dbt_sources_without_glue(repo):
    graph = repo.asset_graph
    for entity in load_contracts().entities:
        key = dg.AssetKey([entity.system, entity.name])
        node = graph.get(key)
        assert node.group_name == "ingestion"
        staging = [c for c in node.child_keys if graph.get(c).group_name == "staging"]
        assert staging, f"{key.to_user_string()} feeds no staging model"


def test_every_asset_is_in_a_layer_group_with_description_and_owner(repo):
    graph = repo.asset_graph
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert node.group_name in LAYERS, f"{key.to_user_string()}: group {node.group_name}"
        assert node.owners, f"{key.to_user_string()} has no owner"
        spec_desc = node.description or ""
        assert spec_desc.strip(), f"{key.to_user_string()} has no description"


def test_every_writer_step_shares_the_one_duckdb_pool(repo):
    from orchestration.settings import WRITER_POOL

    job = repo.get_job("ssot_pipeline")
    # Freshness checks read Dagster's event log only; every other step opens the DuckDB file.
    pools = {
        node.name: node.definition.pool
        for node in job.graph.node_dict.values()
        if not node.name.startswith("freshness_check")
    }
    assert len(pools) >= 5 and all(p == WRITER_POOL for p in pools.values()), pools


def test_schedule_runs_daily_at_six_tokyo(repo):
    schedule = repo.get_schedule_def("ssot_daily_0600_jst")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "Asia/Tokyo"
