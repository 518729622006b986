"""`ssot bench` (orchestration/bench.py): the measuring tools, the DuckDB-only baseline loader
against the real loader, and one whole bench run at scale T checked for a complete, self-consistent
result (every stage, positive timings, ratios from the same run, memory)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from orchestration import bench


def test_tree_sampler_counts_grandchildren(tmp_path):
    # The pipeline's memory lives in child processes (dbt); the sampler must sum the whole tree.
    grandchild = "b = bytearray(150_000_000); import time; time.sleep(1.5)"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    m = bench.measure([sys.executable, "-c", child], {}, tmp_path / "log.txt")
    assert m.returncode == 0
    assert m.seconds >= 1.5
    assert m.peak_rss_bytes >= 150_000_000
    assert m.samples >= 3


def test_failed_command_is_reported_not_raised(tmp_path):
    m = bench.measure([sys.executable, "-c", "raise SystemExit(3)"], {}, tmp_path / "log.txt")
    assert m.returncode == 3


def _node(uid, deps=(), tags=(), materialized="table", resource_type="model"):
    return {
        "resource_type": resource_type,
        "depends_on": {"nodes": list(deps)},
        "tags": list(tags),
        "config": {"materialized": materialized},
    }


def test_topological_order_respects_every_dependency():
    nodes = {
        "model.p.c": _node("c", ["model.p.b", "seed.p.s"]),
        "model.p.b": _node("b", ["model.p.a"]),
        "model.p.a": _node("a", ["source.p.x.y"]),  # sources are not nodes: ignored
        "seed.p.s": _node("s", resource_type="seed"),
        "model.p.d": _node("d", ["model.p.c", "model.p.a"]),
    }
    order = bench._topological(nodes)
    assert sorted(order) == sorted(nodes)
    for uid, n in nodes.items():
        for dep in n["depends_on"]["nodes"]:
            if dep in nodes:
                assert order.index(dep) < order.index(uid), (dep, uid)
    nodes["model.p.a"]["depends_on"]["nodes"].append("model.p.d")
    with pytest.raises(RuntimeError, match="cycle"):
        bench._topological(nodes)


@pytest.fixture(scope="module")
def t_landing(tmp_path_factory) -> Path:
    """Two days of scale T (the second day's SFA export is CP932 with snake_case headers)."""
    root = tmp_path_factory.mktemp("bench_landing")
    data = bench.ensure_extracts("T", 11, 1, root)  # generates days + 1 = 2 days
    assert len(data.dates) == 1 and data.next_date > data.dates[0]
    assert bench.ensure_extracts("T", 11, 1, root).generated_seconds == 0.0  # cached
    return data.landing


def _raw_counts(con) -> Counter:
    from ingestion.contracts import load_contracts

    return Counter(
        {
            f"{e.system}.{e.name}": con.execute(f"select count(*) from {e.raw_table}").fetchall()[0][0]
            for e in load_contracts().entities
        }
    )


def test_baseline_loads_what_the_loader_loads(t_landing, tmp_path):
    """Same files, same raw tables: the baseline has every row the loader loaded plus the rows
    the loader quarantined or skipped as re-delivered, and the same values (CP932 decoded)."""
    from ingestion.contracts import load_contracts, raw_table_ddl
    from ingestion.loader import discover_files, load_landing

    dates = sorted(p.name for p in (t_landing / "sfa").iterdir())
    files = discover_files(t_landing, dates)
    base = duckdb.connect(str(tmp_path / "base.duckdb"))
    for e in load_contracts().entities:
        base.execute(raw_table_ddl(e))
    readable, stats = bench._transcode(files, t_landing, tmp_path / "transcoded")
    assert stats["files_transcoded"] >= 1  # day 2's SFA files are CP932
    assert all(p.read_bytes().decode("utf-8") for p in readable.values())
    loads = bench._load_groups(base, files, readable)

    ref = duckdb.connect(str(tmp_path / "ref.duckdb"))
    summary = load_landing(ref, t_landing, extract_dates=dates)
    expected = _raw_counts(ref)
    for f in summary.files:
        if f.status == "skipped_duplicate":
            expected[f"{f.system}.{f.entity}"] += f.rows_read
        expected[f"{f.system}.{f.entity}"] += f.rows_quarantined if f.status == "loaded" else 0
    got = _raw_counts(base)
    assert +got == +expected
    assert {k: v["rows_loaded"] for k, v in loads.items()} == +expected

    # Values: every row the loader loaded is in the baseline, identical (names of CP932 files,
    # timestamps parsed to the same UTC instants).
    base.close()
    ref.execute(f"attach '{tmp_path / 'base.duckdb'}' as b (read_only)")
    for table, cols in (
        ("raw_sfa.account", "id, name, created_date"),
        ("raw_sfa.lead", "id, company, status, created_date"),
        ("raw_ma.leads", "lead_id, email, created_at"),
    ):
        missing = ref.execute(f"select {cols} from {table} except select {cols} from b.{table}").fetchall()
        assert missing == [], table
    base = duckdb.connect(str(tmp_path / "base.duckdb"), read_only=True)
    lineage = base.execute(
        "select count(*) filter (where _extract_date is null or _source_file is null) from raw_sfa.account"
    ).fetchall()[0][0]
    assert lineage == 0


@pytest.mark.e2e
def test_bench_runs_every_stage_at_scale_t(tmp_path):
    out = tmp_path / "bench.json"
    result = bench.run_bench(
        scale="T",
        seed=3,
        days=2,
        workdir=tmp_path / "work",
        out=out,
        cache_dir=tmp_path / "cache",
        echo=lambda *_: None,
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    stages = doc["stages"]
    assert set(stages) == {"pipeline_full", "baseline", "pipeline_incremental"}
    for name, st in stages.items():
        assert st["ok"], f"{name} failed, see {st['log']}"
        assert st["seconds"] > 0, name
        assert st["peak_rss_bytes"] > 0, name
        assert st["cpu_seconds"] > 0, name
        assert st["rows_loaded"] > 0, name
    # Ratios come from this run's own numbers.
    assert doc["ratios"]["full_vs_baseline"] == pytest.approx(
        stages["pipeline_full"]["seconds"] / stages["baseline"]["seconds"], abs=1e-3
    )
    assert doc["ratios"]["incremental_vs_full"] == pytest.approx(
        stages["pipeline_incremental"]["seconds"] / stages["pipeline_full"]["seconds"], abs=1e-3
    )
    assert doc["ratios"]["full_vs_baseline_cpu"] == pytest.approx(
        stages["pipeline_full"]["cpu_seconds"] / stages["baseline"]["cpu_seconds"], abs=1e-3
    )
    assert doc["targets"]["full_vs_baseline"]["value"] == doc["ratios"]["full_vs_baseline"]
    # The baseline ran every sub-stage and built every model the pipeline built.
    assert set(stages["baseline"]["substages"]) == set(bench.BASELINE_STAGES)
    assert all(v >= 0 for v in stages["baseline"]["substages"].values())
    assert set(stages["baseline"]["detail"]["cpu_seconds"]) == set(bench.BASELINE_STAGES)
    assert stages["baseline"]["detail"]["cpu_seconds"]["load"] > 0
    dbt_models = sum(
        v["nodes_by_type"].get("model", 0) for v in stages["pipeline_full"]["profile"]["dbt"].values()
    )
    assert stages["baseline"]["detail"]["models_built"] == dbt_models > 0
    # Same marts, same row counts on both sides (bad rows and re-deliveries only touch raw).
    pipe_counts, base_counts = stages["pipeline_full"]["row_counts"], stages["baseline"]["row_counts"]
    assert {k for k in pipe_counts if k.startswith("kpi.")} == {
        k for k in base_counts if k.startswith("kpi.")
    }
    profile = stages["pipeline_full"]["profile"]
    assert profile["steps"]["landing__extract_files"] > 0
    # Per step: the tree peak holds the run process's own peak, and the step used some CPU.
    for step in ("landing__extract_files", "resolve_companies", "dbt_core_and_kpi"):
        assert profile["peak_rss_mib_by_step"][step] >= profile["peak_main_process_rss_mib_by_step"][step] > 0
        assert profile["cpu_seconds_by_step"][step] > 0, step
    assert "pipeline_full_wall_seconds_(demo_proxy_at_S)" not in doc["targets"]  # S only
    assert stages["pipeline_full"]["profile"]["events_stored"] > 0
    assert doc["incremental_date"] > doc["dates"][1]
    assert doc["versions"]["duckdb"].startswith("1.")
    assert doc["machine"]["cpu_count"] >= 1 and doc["machine"]["ram_bytes"] > 0
    assert result["json"] == str(out)
