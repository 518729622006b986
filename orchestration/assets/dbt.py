"""dbt assets: the dbt project as Dagster assets, with dbt tests as asset checks.

Two invocations around the Python identity step (staging first, then everything that needs
unified company ids). Every invocation's artifacts are kept per run for the audit, its test
results go to `audit.dq_results`, and old artifact folders are pruned.
"""

import shutil
from collections.abc import Generator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration import triggers
from orchestration.resources import dbt_project
from orchestration.settings import WRITER_POOL, settings

OWNERS = {
    "staging": ["team:data-engineering"],
    "identity": ["team:data-engineering"],
    "lifecycle": ["team:data-engineering"],
    "kpi": ["team:revenue-analytics"],
}


def layer_of(props: Mapping[str, Any]) -> str:
    """The asset group (= layer) of a dbt node, from its folder: one rule for the whole graph."""
    fqn = props.get("fqn", [])
    path = "/".join(fqn[1:-1])
    if props.get("resource_type") == "seed" or path.startswith("staging"):
        return "staging"
    if path.startswith("intermediate/identity") or props.get("name") in ("dim_companies", "dim_contacts"):
        return "identity"
    if path.startswith("marts/kpi"):
        return "kpi"
    return "lifecycle"


class SsotDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS[layer_of(dbt_resource_props)]


translator = SsotDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_code_references=False))


def _run_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, step: str) -> Generator[Any, None, Path]:
    """`dbt build` of the selected nodes. Failing tests do not fail the step: they are recorded
    in audit.dq_results and the publish gate refuses to publish on them (one place decides).
    A model that fails to build does fail the step, naming the model. Returns the artifacts folder."""
    s = settings()
    # Artifacts go straight to a per-run folder kept for the audit (pruned to the newest N runs).
    target = s.dbt_artifacts_dir / context.run.run_id / step
    target.mkdir(parents=True, exist_ok=True)
    _prune_artifacts(s.dbt_artifacts_dir, s.dbt_artifacts_keep, current=target.parent)
    # dbt looks for its partial-parse state in the target path: without the one `ssot prepare`
    # wrote at install time, every invocation would re-parse the whole project (seconds each).
    # dbt invalidates that state when the profile changes (another warehouse path), so the state
    # of the last run on this warehouse is kept beside it and preferred.
    kept = s.warehouse.with_name(s.warehouse.name + ".dbt_partial_parse.msgpack")
    prepared = dbt_project.project_dir / "target" / "partial_parse.msgpack"
    for state in (kept, prepared):
        if state.exists():
            shutil.copy2(state, target / "partial_parse.msgpack")
            break
    args = ["build", "--full-refresh"] if triggers.full_refresh(context.run.tags) else ["build"]
    invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=target)
    yield from invocation.stream()
    if (target / "partial_parse.msgpack").exists():
        shutil.copy2(target / "partial_parse.msgpack", kept)
    _record_test_results(context, target)
    broken = _failed_nodes(target, resource_types=("model", "seed", "snapshot"))
    if broken or not (target / "run_results.json").exists():
        raise dg.Failure(
            description=f"dbt build ({step}) failed to build: {', '.join(broken[:20]) or 'see the dbt log'}",
            metadata={"failed_nodes": "\n".join(broken), "artifacts": str(target)},
        )
    return target


def _failed_nodes(target: Path, resource_types: tuple[str, ...]) -> list[str]:
    import json

    path = target / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    return [
        f"{r['unique_id']} ({r['status']})"
        for r in results
        if r["unique_id"].split(".")[0] in resource_types and r["status"] in ("error", "fail")
    ]


def _record_test_results(context: dg.AssetExecutionContext, artifacts: Path) -> None:
    """dbt tests and Great Expectations share one history: `audit.dq_results`."""
    if not (artifacts / "run_results.json").exists():
        return
    from expectations.validate import record_dbt_results
    from orchestration.resources import build_resources

    trigger = triggers.trigger_of(context.run.tags)
    with build_resources()["warehouse"].connect() as con:
        record_dbt_results(
            con,
            artifacts / "run_results.json",
            artifacts / "manifest.json",
            run_id=context.run.run_id,
            trigger=trigger,
        )


def _record_staging_key_state(
    context: dg.AssetExecutionContext, artifacts: Path, started_at: datetime
) -> None:
    """What the staging invocation's raw/staging reconciliation proved (`audit.staging_key_state`),
    so the next run's test counts only new raw keys (expectations/staging_keys.py)."""
    from expectations.staging_keys import record_staging_key_state
    from orchestration.resources import build_resources

    with build_resources()["warehouse"].connect() as con:
        record_staging_key_state(
            con, artifacts / "run_results.json", run_id=context.run.run_id, step_started_at=started_at
        )


def _prune_artifacts(root: Path, keep: int, current: Path) -> None:
    runs = sorted((p for p in root.iterdir() if p.is_dir() and p != current), key=lambda p: p.stat().st_mtime)
    for old in runs[: max(len(runs) - (keep - 1), 0)]:
        shutil.rmtree(old, ignore_errors=True)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    # Reference seeds belong here: staging tests check values against them.
    select="tag:staging tag:reference",
    name="dbt_staging",
    dagster_dbt_translator=translator,
    pool=WRITER_POOL,
)
def dbt_staging(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Reference seeds and staging views: renamed, typed, latest version per key, deletes flagged."""
    started_at = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as raw `_loaded_at`
    artifacts = yield from _run_dbt(context, dbt, "staging")
    _record_staging_key_state(context, artifacts, started_at)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="fqn:*",
    exclude="tag:staging tag:reference",
    name="dbt_core_and_kpi",
    dagster_dbt_translator=translator,
    pool=WRITER_POOL,
)
def dbt_core_and_kpi(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Identity dims, lifecycle facts and the KPI marts (built in kpi_build)."""
    yield from _run_dbt(context, dbt, "core_and_kpi")
