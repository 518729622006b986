"""The verified raw-key state of the staging models: `audit.staging_key_state`.

dbt's `assert_staging_reconciles_with_raw` compares, per staging model, the staging rows with
the distinct contract keys of its raw table. Counting those keys over the whole raw table every
day (28M activity rows at L) costs seconds for 0.4 % of new rows, so after a dbt invocation in
which that test PASSED this module stores, per model, what was then proven: "the raw rows loaded
up to `watermark` (`raw_rows` of them) hold `raw_keys` distinct keys" (= the staging rows, by the
test). Raw is append-only and every row carries its load time, so the next run's test counts
only the keys first delivered after the watermark (dbt macros staging_key_states and
raw_distinct_key_count; a state whose raw rows changed is ignored there and the model counted in
full). Nothing is stored when the test did not pass or a load happened after the dbt step
started (the counts could then describe different raw rows): the previous state stays, and the
next run simply counts more new keys.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ingestion.contracts import load_contracts, quote_ident

RECONCILIATION_TEST = "assert_staging_reconciles_with_raw"

STATE_DDL = """
create schema if not exists audit;
create table if not exists audit.staging_key_state (
    model_name varchar not null,
    source_relation varchar not null,
    key_columns varchar not null,
    watermark timestamp not null,
    raw_rows bigint not null,
    raw_keys bigint not null,
    run_id varchar,
    recorded_at timestamp not null default (now() at time zone 'UTC')
);
"""


def reconciliation_passed(run_results_json_path: Path | str) -> bool:
    """Whether this dbt invocation ran the reconciliation test and it passed."""
    path = Path(run_results_json_path)
    if not path.exists():
        return False
    results = json.loads(path.read_text(encoding="utf-8")).get("results", [])
    return any(
        r.get("unique_id", "").split(".")[-1] == RECONCILIATION_TEST and r.get("status") == "pass"
        for r in results
        if r.get("unique_id", "").startswith("test.")
    )


def record_staging_key_state(
    con, run_results_json_path: Path | str, *, run_id: str, step_started_at: datetime
) -> bool:
    """Store the state the reconciliation test of this invocation proved; returns whether it did.

    `step_started_at`: naive UTC, taken before dbt started. A raw row loaded after it (by anyone)
    means the raw tables may differ from what the test counted: nothing is stored then.
    """
    if not reconciliation_passed(run_results_json_path):
        return False
    tables = {f"{schema}.{name}" for schema, name in con.execute(
        "select table_schema, table_name from information_schema.tables"
    ).fetchall()}  # fmt: skip
    rows = []
    for ent in load_contracts().entities:
        if f"raw_{ent.system}.{ent.name}" not in tables or f"staging.{ent.staging_model}" not in tables:
            continue  # not built here: no state, counted in full
        raw_rows, watermark = con.execute(
            f"select count(*), max(_loaded_at) from {ent.raw_table}"
        ).fetchall()[0]
        if watermark is None:
            continue  # nothing loaded yet: counted in full (it is empty) until something is
        if watermark >= step_started_at:
            return False
        (staging_rows,) = con.execute(
            f"select count(*) from staging.{quote_ident(ent.staging_model)}"
        ).fetchall()[0]
        rows.append(
            [
                ent.staging_model,
                f"raw_{ent.system}.{ent.name}",
                ",".join(ent.key),
                watermark,
                raw_rows,
                staging_rows,
                run_id,
            ]
        )
    con.execute(STATE_DDL)
    con.begin()
    try:
        con.execute("delete from audit.staging_key_state")
        con.executemany(
            "insert into audit.staging_key_state (model_name, source_relation, key_columns, watermark, "
            "raw_rows, raw_keys, run_id) values (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return True


def verified_raw_keys(con) -> dict[str, int]:
    """Staging model -> distinct raw keys, from the stored state of each model whose raw table
    is exactly as it was when the state was proven (same rows, none loaded since): what a
    reader such as the DQ report would otherwise count over the whole raw table. Read-only."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'audit' and table_name = 'staging_key_state'"
    ).fetchall()[0][0]
    if not exists:
        return {}
    states = con.execute(
        "select model_name, source_relation, key_columns, watermark, raw_rows, raw_keys from audit.staging_key_state"
    ).fetchall()
    entities = {ent.staging_model: ent for ent in load_contracts().entities}
    verified = {}
    for model, relation, key_columns, watermark, raw_rows, raw_keys in states:
        ent = entities.get(model)
        if ent is None or relation != f"raw_{ent.system}.{ent.name}" or key_columns != ",".join(ent.key):
            continue
        total, below = con.execute(
            f"select count(*), count(*) filter (where _loaded_at <= ? or _loaded_at is null) from {ent.raw_table}",
            [watermark],
        ).fetchall()[0]
        if total == below == raw_rows:
            verified[model] = raw_keys
    return verified
