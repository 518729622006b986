"""The data-quality history: `audit.dq_results`, append-only, one row per check per run.

Owns the table's DDL, writing results into it (Great Expectations, SQL checks and dbt tests
alike, so auditors read one history) and reading a run's results back for the publish gate and
the report. Rows are only ever inserted, never updated or deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from expectations.masking import mask_row
from expectations.results import CHECK_SOURCES, SEVERITIES, STATUSES, TRIGGERS, CheckResult
from ingestion.rules import DBT_PROJECT_DIR, rules_version

_in = ", ".join

DQ_RESULTS_DDL = f"""
create schema if not exists audit;
create table if not exists audit.dq_results (
    run_id varchar not null,
    trigger varchar not null check (trigger in ({_in(repr(t) for t in TRIGGERS)})),
    asset varchar not null,
    partition varchar,
    check_name varchar not null,
    check_source varchar not null check (check_source in ({_in(repr(s) for s in CHECK_SOURCES)})),
    definition_hash varchar,
    definition_version varchar,
    code_version varchar,
    rules_version varchar,
    observed_value varchar,
    threshold varchar,
    status varchar not null check (status in ({_in(repr(s) for s in STATUSES)})),
    severity varchar not null check (severity in ({_in(repr(s) for s in SEVERITIES)})),
    failing_row_count bigint,
    sample_json json,
    message varchar,
    started_at timestamp,
    ended_at timestamp,
    blocked_publication boolean not null,
    recorded_at timestamp not null default (now() at time zone 'UTC')
);
"""

COLUMNS = (
    "run_id",
    "trigger",
    "asset",
    "partition",
    "check_name",
    "check_source",
    "definition_hash",
    "definition_version",
    "code_version",
    "rules_version",
    "observed_value",
    "threshold",
    "status",
    "severity",
    "failing_row_count",
    "sample_json",
    "message",
    "started_at",
    "ended_at",
    "blocked_publication",
)


def ensure_dq_results(con) -> None:
    con.execute(DQ_RESULTS_DDL)


def record_results(con, results: Iterable[CheckResult]) -> int:
    """Append results to audit.dq_results in one statement (all rows or none). Returns the count."""
    rows = []
    for r in results:
        if r.run_id is None or r.trigger not in TRIGGERS:
            raise ValueError(f"{r.asset}/{r.check_name}: run_id and a trigger in {TRIGGERS} are required")
        rows.append(
            (
                r.run_id,
                r.trigger,
                r.asset,
                r.partition,
                r.check_name,
                r.check_source,
                r.definition_hash,
                r.definition_version,
                r.code_version,
                r.rules_version or rules_version(),
                None if r.observed_value is None else str(r.observed_value),
                None if r.threshold is None else str(r.threshold),
                r.status,
                r.severity,
                r.failing_row_count,
                json.dumps(r.sample, ensure_ascii=False, default=str),
                r.message,
                r.started_at,
                r.ended_at,
                r.blocks_publication,
            )
        )
    if not rows:
        return 0
    ensure_dq_results(con)
    placeholders = "(" + ", ".join("?" for _ in COLUMNS) + ")"
    con.execute(
        f"insert into audit.dq_results ({', '.join(COLUMNS)}) values "
        + ", ".join(placeholders for _ in rows),
        [v for row in rows for v in row],
    )
    return len(rows)


def load_results(con, run_id: str, *, latest_only: bool = True) -> list[CheckResult]:
    """A run's results as CheckResults. With `latest_only`, a check re-executed within the run
    (a retried step) counts once, by its latest execution."""
    ensure_dq_results(con)
    cursor = con.execute(
        f"select {', '.join(COLUMNS)} from audit.dq_results where run_id = ? "
        "order by ended_at nulls first, recorded_at",
        [run_id],
    )
    names = [d[0] for d in cursor.description]
    latest: dict[tuple, CheckResult] = {}
    ordered: list[CheckResult] = []
    for row in cursor.fetchall():
        rec = dict(zip(names, row, strict=True))
        result = CheckResult(
            check_name=rec["check_name"],
            asset=rec["asset"],
            severity=rec["severity"],
            status=rec["status"],
            observed_value=rec["observed_value"],
            threshold=rec["threshold"],
            failing_row_count=rec["failing_row_count"],
            sample=json.loads(rec["sample_json"]) if rec["sample_json"] else [],
            definition_hash=rec["definition_hash"],
            definition_version=rec["definition_version"],
            started_at=rec["started_at"],
            ended_at=rec["ended_at"],
            check_source=rec["check_source"],
            run_id=rec["run_id"],
            trigger=rec["trigger"],
            partition=rec["partition"],
            code_version=rec["code_version"],
            rules_version=rec["rules_version"],
            message=rec["message"],
        )
        ordered.append(result)
        latest[(result.asset, result.check_name, result.check_source, result.partition)] = result
    return list(latest.values()) if latest_only else ordered


# --- dbt tests -------------------------------------------------------------------------------

_DBT_STATUS = {"pass": "pass", "warn": "warn", "fail": "fail", "error": "error", "success": "pass"}


def _dbt_time(value: str | None) -> datetime | None:
    """dbt writes timings as ISO UTC (`...Z`); the warehouse stores naive UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _dbt_asset(node: dict, manifest: dict) -> str:
    """`<schema>.<table>` of the model / source / seed the test is attached to."""
    parent_id = node.get("attached_node") or next(iter(node.get("depends_on", {}).get("nodes", [])), None)
    parent = manifest.get("nodes", {}).get(parent_id) or manifest.get("sources", {}).get(parent_id)
    if not parent:
        return f"dbt.{node.get('name', 'unknown')}"
    table = parent.get("alias") or parent.get("identifier") or parent.get("name")
    return f"{parent.get('schema')}.{table}"


def _dbt_project_version() -> str:
    import yaml

    doc = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return f"dbt_project {doc.get('version', '?')}"


def dbt_results(
    run_results_json_path: Path | str,
    manifest_json_path: Path | str,
    *,
    run_id: str,
    trigger: str,
    partition: str | None = None,
    code_version: str | None = None,
) -> list[CheckResult]:
    """dbt's test nodes of one invocation as CheckResults (no database needed)."""
    run_results = json.loads(Path(run_results_json_path).read_text(encoding="utf-8"))
    manifest = json.loads(Path(manifest_json_path).read_text(encoding="utf-8"))
    nodes = manifest.get("nodes", {})
    invocation = run_results.get("metadata", {}).get("invocation_id")
    version = _dbt_project_version()
    out = []
    for r in run_results.get("results", []):
        uid = r.get("unique_id", "")
        if not uid.startswith(("test.", "unit_test.")):
            continue
        node = nodes.get(uid) or manifest.get("unit_tests", {}).get(uid) or {}
        config = node.get("config", {})
        severity = "warn" if str(config.get("severity", "error")).lower() == "warn" else "error"
        raw_status = str(r.get("status", "error")).lower()
        # `skipped` (an upstream model failed): the test said nothing about the data.
        status = _DBT_STATUS.get(raw_status, "error")
        timing = {t.get("name"): t for t in r.get("timing", [])}
        execute = timing.get("execute") or timing.get("compile") or {}
        failures = r.get("failures")
        sample = (
            [mask_row({"dbt_message": r.get("message")})] if status != "pass" and r.get("message") else []
        )
        out.append(
            CheckResult(
                check_name=node.get("name") or uid.split(".")[-1],
                asset=_dbt_asset(node, manifest),
                severity=severity,
                status=status,
                observed_value=f"{failures} failing rows" if failures is not None else raw_status,
                threshold=_dbt_threshold(config),
                failing_row_count=failures,
                sample=sample,
                definition_hash=_dbt_definition_hash(node),
                definition_version=version,
                started_at=_dbt_time(execute.get("started_at")),
                ended_at=_dbt_time(execute.get("completed_at")),
                check_source="dbt",
                run_id=run_id,
                trigger=trigger,
                partition=partition,
                code_version=code_version or (f"dbt invocation {invocation}" if invocation else None),
                rules_version=rules_version(),
                message=r.get("message") if status == "error" else None,
            )
        )
    return out


def _dbt_definition_hash(node: dict) -> str | None:
    """The file checksum of a singular test; for a generic test (dbt leaves its checksum empty)
    a hash of what defines it: the test macro, its arguments and its severity config."""
    checksum = node.get("checksum")
    if isinstance(checksum, dict):  # unit tests carry a plain string checksum
        checksum = checksum.get("checksum")
    if checksum:
        return checksum
    if not node:
        return None
    config = node.get("config", {})
    definition = {
        "test_metadata": node.get("test_metadata"),
        "raw_code": node.get("raw_code"),
        "config": {k: config.get(k) for k in ("severity", "warn_if", "error_if", "where", "limit")},
    }
    return hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _dbt_threshold(config: dict) -> str:
    warn_if, error_if = config.get("warn_if", "!=0"), config.get("error_if", "!=0")
    return f"error_if {error_if}, warn_if {warn_if}"


def record_dbt_results(
    con,
    run_results_json_path: Path | str,
    manifest_json_path: Path | str,
    run_id: str,
    trigger: str,
    *,
    partition: str | None = None,
    code_version: str | None = None,
) -> list[CheckResult]:
    """Turn dbt's run_results.json test nodes into audit.dq_results rows; returns them."""
    results = dbt_results(
        run_results_json_path,
        manifest_json_path,
        run_id=run_id,
        trigger=trigger,
        partition=partition,
        code_version=code_version,
    )
    record_results(con, results)
    return results
