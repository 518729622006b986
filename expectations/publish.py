"""Write–audit–publish: replace the published KPI marts (`kpi.*`) and their Parquet export from
`kpi_build.*`, only when the data-quality gate passed, atomically, and on the record.

Owns `audit.publications` (one row per attempt: published / blocked / failed), the privacy gate
(no raw e-mail, phone or person-name data in a published mart) and the export directory swap.
A refused or failed publication leaves `kpi.*` and the export exactly as they were.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from expectations.history import load_results
from expectations.masking import is_pii_column, looks_like_email, looks_like_phone
from expectations.results import CheckResult, utc_now
from ingestion.contracts import quote_ident
from ingestion.rules import rules_version

BUILD_SCHEMA = "kpi_build"
PUBLISH_SCHEMA = "kpi"
PRIVACY_SAMPLE_ROWS = 10_000  # distinct values scanned per text column of a mart

PUBLICATIONS_DDL = """
create schema if not exists audit;
create table if not exists audit.publications (
    run_id varchar not null,
    published_at timestamp not null,
    status varchar not null check (status in ('published', 'blocked', 'failed')),
    tables json,
    row_counts json,
    dropped_tables json,
    export_dir varchar,
    gate_checks integer,
    gate_blocking integer,
    reason varchar,
    rules_version varchar
);
"""


class GateFailed(RuntimeError):
    """Publication refused; `failures` names each blocking check or privacy finding."""

    def __init__(self, message: str, failures: list[str]):
        super().__init__(message)
        self.failures = failures


@dataclass
class PublishResult:
    run_id: str
    published_at: datetime  # naive UTC
    row_counts: dict[str, int]  # published table -> rows
    export_dir: Path
    dropped_tables: list[str] = field(default_factory=list)
    gate_checks: int = 0

    @property
    def tables(self) -> list[str]:
        return sorted(self.row_counts)

    def metadata(self) -> dict[str, Any]:
        """Plain values for Dagster `MaterializeResult(metadata=...)`."""
        return {
            "published_at_utc": self.published_at.isoformat(timespec="seconds"),
            "tables": ", ".join(self.tables),
            "row_counts": json.dumps(self.row_counts),
            "export_dir": str(self.export_dir),
            "dropped_tables": ", ".join(self.dropped_tables),
            "gate_checks": self.gate_checks,
        }


def ensure_publications(con) -> None:
    con.execute(PUBLICATIONS_DDL)


def _tables(con, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
    ).fetchall()
    return [r[0] for r in rows]


def privacy_findings(con, schema: str = BUILD_SCHEMA) -> list[str]:
    """Columns of `schema` whose name or sampled values look like raw personal data."""
    findings = []
    cols = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [schema],
    ).fetchall()
    for table, column, data_type in cols:
        where = f"{schema}.{table}.{column}"
        if is_pii_column(column):
            findings.append(f"{where}: column name looks like personal data")
            continue
        if "VARCHAR" not in str(data_type).upper():
            continue
        values = con.execute(
            f"select distinct {quote_ident(column)} from {quote_ident(schema)}.{quote_ident(table)} "
            f"where {quote_ident(column)} is not null limit {PRIVACY_SAMPLE_ROWS}"
        ).fetchall()
        kinds = {
            kind
            for (v,) in values
            for kind, hit in (("e-mail", looks_like_email(v)), ("phone", looks_like_phone(v)))
            if hit
        }
        if kinds:
            findings.append(f"{where}: values look like {' and '.join(sorted(kinds))} addresses/numbers")
    return findings


def _record(
    con, run_id: str, status: str, *, counts=None, dropped=None, export_dir=None, gate=(0, 0), reason=None
):
    ensure_publications(con)
    con.execute(
        "insert into audit.publications values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            utc_now(),
            status,
            json.dumps(sorted(counts or {})),
            json.dumps(counts or {}),
            json.dumps(dropped or []),
            None if export_dir is None else str(export_dir),
            gate[0],
            gate[1],
            reason,
            rules_version(),
        ],
    )


def _gate_failures(con, gate_results: list[CheckResult], build_tables: list[str]) -> list[str]:
    failures = [
        f"{r.asset} / {r.check_name} [{r.check_source}]: {r.status} - observed {r.observed_value} "
        f"vs threshold {r.threshold}" + (f" ({r.message})" if r.status == "error" and r.message else "")
        for r in gate_results
        if r.blocks_publication
    ]
    if not build_tables:
        failures.append(f"{BUILD_SCHEMA} holds no tables: nothing to publish")
    checked = {r.asset for r in gate_results}
    # BI never sees unchecked data: every mart must have been through the gate of this run.
    failures += [
        f"{BUILD_SCHEMA}.{t}: no data-quality result in this run (unchecked)"
        for t in build_tables
        if f"{BUILD_SCHEMA}.{t}" not in checked
    ]
    failures += [f"privacy: {f}" for f in privacy_findings(con)]
    return failures


def _recover_export(export_dir: Path) -> None:
    """Undo a swap interrupted by a crash (export missing, previous version beside it) and drop
    leftovers of interrupted writes."""
    parent = export_dir.parent
    if not parent.exists():
        return
    olds = sorted(parent.glob(f".{export_dir.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if not export_dir.exists() and olds:
        os.rename(olds.pop(), export_dir)
    for leftover in [*olds, *parent.glob(f".{export_dir.name}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _write_export(con, tables: list[str], export_dir: Path) -> Path:
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = export_dir.parent / f".{export_dir.name}.tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    for t in tables:
        path = str(tmp / f"{t}.parquet").replace("'", "''")
        con.execute(
            f"copy (select * from {quote_ident(BUILD_SCHEMA)}.{quote_ident(t)}) to '{path}' (format parquet)"
        )
    return tmp


def _swap_in(tmp: Path, export_dir: Path) -> None:
    """Two renames on one file system: readers see the old directory or the new one, never a
    half-written one (a crash between the renames is undone by `_recover_export`)."""
    old = export_dir.parent / f".{export_dir.name}.old-{uuid.uuid4().hex[:12]}"
    if export_dir.exists():
        os.rename(export_dir, old)
    try:
        os.rename(tmp, export_dir)
    except BaseException:
        if old.exists():
            os.rename(old, export_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def publish_kpis(con, *, run_id: str, export_dir: Path, gate_results: Iterable[CheckResult]) -> PublishResult:
    """Publish every `kpi_build.<t>` as `kpi.<t>` and `export_dir/<t>.parquet`, or raise GateFailed.

    Refuses (and records a 'blocked' publication) when a blocking result of `gate_results` is not
    'pass', when a mart has no result at all, or when a mart looks like it carries personal data.
    """
    export_dir = Path(export_dir)
    gate_results = list(gate_results)
    build_tables = _tables(con, BUILD_SCHEMA)
    gate = (len(gate_results), sum(r.blocks_publication for r in gate_results))
    failures = _gate_failures(con, gate_results, build_tables)
    if failures:
        message = (
            f"KPI publication refused for run {run_id}: {len(failures)} blocking finding(s):\n"
            + "\n".join(f"  - {f}" for f in failures)
        )
        _record(con, run_id, "blocked", export_dir=export_dir, gate=gate, reason=message)
        raise GateFailed(message, failures)

    _recover_export(export_dir)
    tmp = _write_export(con, build_tables, export_dir)
    dropped = [t for t in _tables(con, PUBLISH_SCHEMA) if t not in build_tables]
    counts: dict[str, int] = {}
    try:
        con.begin()
        con.execute(f"create schema if not exists {PUBLISH_SCHEMA}")
        for t in build_tables:
            con.execute(
                f"create or replace table {PUBLISH_SCHEMA}.{quote_ident(t)} as "
                f"select * from {BUILD_SCHEMA}.{quote_ident(t)}"
            )
            counts[t] = con.execute(f"select count(*) from {PUBLISH_SCHEMA}.{quote_ident(t)}").fetchall()[0][
                0
            ]
        for t in dropped:  # a mart dbt no longer builds is no longer published
            con.execute(f"drop table {PUBLISH_SCHEMA}.{quote_ident(t)}")
        _record(con, run_id, "published", counts=counts, dropped=dropped, export_dir=export_dir, gate=gate)
        con.commit()
    except BaseException as exc:
        con.rollback()
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(Exception):  # the original error matters more than this record
            _record(
                con, run_id, "failed", export_dir=export_dir, gate=gate, reason=f"{type(exc).__name__}: {exc}"
            )
        raise
    _swap_in(tmp, export_dir)
    published_at = con.execute(
        "select max(published_at) from audit.publications where run_id = ? and status = 'published'", [run_id]
    ).fetchall()[0][0]
    return PublishResult(run_id, published_at, counts, export_dir, dropped, gate[0])


def gate_and_publish(
    con,
    *,
    run_id: str,
    trigger: str,
    export_dir: Path,
    partition: str | None = None,
    code_version: str | None = None,
) -> PublishResult:
    """The whole gate in one call: run the KPI suites (recorded), then judge every result this
    run recorded in audit.dq_results (raw suites, dbt tests, KPI suites) and publish or refuse."""
    from expectations.validate import run_layer

    run_layer(
        con, BUILD_SCHEMA, run_id=run_id, trigger=trigger, partition=partition, code_version=code_version
    )
    return publish_kpis(con, run_id=run_id, export_dir=export_dir, gate_results=load_results(con, run_id))
