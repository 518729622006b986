"""The company records identity resolution works on: one row per source record, normalised.

Owns: which staging relations and columns are company evidence (MA leads, SFA accounts, SFA leads,
CS customers), the unified record table (`record_key`, normalised name key, domain, valid corporate
number, phone, prefecture, employees, cross-system ids) and each record's two fingerprints:
  raw_fingerprint  of the raw staging values and the normalisation version: an unchanged one lets a
                   run reuse the normalised attributes kept in core.company_record_state;
  fingerprint      of the normalised matching attributes: an unchanged one means the record needs
                   no new comparisons (incremental scoring, edges and clustering).
The normalised records live in DuckDB (core.company_record_state, kept up to date by
identity/incremental.py): a million records as pandas object columns would cost gigabytes, and
only new or changed raw rows pass through Python, in chunks.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from identity import normalize as nz
from identity.reference import load_reference


@dataclass(frozen=True)
class CompanySource:
    source_system: str
    source_entity: str  # the contract entity name: ma/leads, sfa/account, sfa/lead, cs/customers
    relation: str
    # unified column -> staging column (the contract `stg` names); absent columns become NULL
    columns: dict[str, str]


SOURCES: tuple[CompanySource, ...] = (
    CompanySource(
        "ma",
        "leads",
        "staging.stg_ma__leads",
        {
            "source_record_id": "lead_id",
            "company_name": "company_name",
            "email": "email",
            "corporate_number": "corporate_number",
            "phone": "phone",
            "prefecture": "prefecture",
            "employees": "employees",
            "industry": "industry",
            "xref_sfa_lead_id": "sfa_lead_id",
        },
    ),
    CompanySource(
        "sfa",
        "account",
        "staging.stg_sfa__accounts",
        {
            "source_record_id": "account_id",
            "company_name": "account_name",
            "website": "website",
            "corporate_number": "corporate_number",
            "phone": "phone",
            "prefecture": "prefecture",
            "employees": "employees",
            "industry": "industry",
            "is_deleted": "is_deleted",
        },
    ),
    CompanySource(
        "sfa",
        "lead",
        "staging.stg_sfa__leads",
        {
            "source_record_id": "sfa_lead_id",
            "company_name": "company_name",
            "email": "email",
            "website": "website",
            "corporate_number": "corporate_number",
            "phone": "phone",
            "employees": "employees",
            "industry": "industry",
            "xref_account_id": "converted_account_id",
            "xref_ma_lead_id": "ma_lead_id",
            "is_deleted": "is_deleted",
        },
    ),
    CompanySource(
        "cs",
        "customers",
        "staging.stg_cs__customers",
        {
            "source_record_id": "customer_id",
            "company_name": "company_name",
            "website": "domain",
            "corporate_number": "corporate_number",
            "prefecture": "prefecture",
            "employees": "employees",
            "xref_account_id": "sfa_account_id",
        },
    ),
)

UNIFIED_COLUMNS = (
    "source_record_id",
    "company_name",
    "email",
    "website",
    "corporate_number",
    "phone",
    "prefecture",
    "employees",
    "industry",
    "xref_account_id",
    "xref_sfa_lead_id",
    "xref_ma_lead_id",
    "is_deleted",
)

# Bump when `normalise_records` or identity.normalize gives any value a different result: stored
# normalised attributes are only reused under the same version (and the same reference lists).
NORMALISATION_VERSION = "1"

# The normalised attributes that decide matching: a record whose fingerprint over these is
# unchanged since the last run needs no new comparisons.
MATCH_ATTRIBUTES = (
    "name_key",
    "domain",
    "corporate_number",
    "phone",
    "prefecture",
    "employees",
    "industry",
    "xref_account_id",
    "xref_sfa_lead_id",
    "xref_ma_lead_id",
)


def columns_of(con, relation: str) -> set[str]:
    """The column names of a table or view (empty when there is no such relation)."""
    schema, name = relation.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return {r[0] for r in rows}


def _source_sql(con, src: CompanySource, only: str | None = None) -> str | None:
    present = columns_of(con, src.relation)
    if not present:
        return None  # no such relation yet: an installation without that system so far
    select = [f"'{src.source_system}' as source_system", f"'{src.source_entity}' as source_entity"]
    for col in UNIFIED_COLUMNS:
        stg = src.columns.get(col)
        if stg and stg in present:
            expr = f'cast("{stg}" as {"boolean" if col == "is_deleted" else "varchar"})'
        else:
            expr = "cast(null as boolean)" if col == "is_deleted" else "cast(null as varchar)"
        select.append(f"{expr} as {col}")
    where = ""
    if only and src.columns["source_record_id"] in present:
        # the rows whose key can be in table `only`: their id is what follows the source's prefix
        prefix = record_key_text(src.source_system, src.source_entity, "")
        where = f"""where cast("{src.columns["source_record_id"]}" as varchar) in (
            select substr(record_key, {len(prefix) + 1}) from {only} where starts_with(record_key, '{prefix}'))"""
    return f"select {', '.join(select)} from {src.relation} {where}"


def record_key_sql(system: str, entity: str, record_id: str) -> str:
    """SQL of a record's key `system|entity|id` from three SQL expressions."""
    return f"{system} || '|' || {entity} || '|' || {record_id}"


RECORD_KEY_SQL = record_key_sql("source_system", "source_entity", "source_record_id")


def record_key_text(system: str, entity: str, record_id: str) -> str:
    """A record's key as `record_key_sql` builds it, in Python."""
    return f"{system}|{entity}|{record_id}"


def normalisation_key() -> str:
    """The code version and the reference lists normalisation depends on, as one short hash."""
    ref = load_reference()
    text = repr(
        (NORMALISATION_VERSION, sorted(ref.free_mail_domains), ref.ja_legal_tokens, ref.latin_legal_tokens)
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def staging_sql(con, only: str | None = None) -> str:
    """Every staging row that is a company record (`UNIFIED_COLUMNS`), with its `record_key` and
    `raw_fingerprint`; with `only` (a table with `record_key`), at least the rows of its keys.
    Should a relation repeat a key, the key has several rows here."""
    parts = [sql for src in SOURCES if (sql := _source_sql(con, src, only))]
    if not parts:
        raise RuntimeError("no staging relation with company records found (staging.stg_*)")
    cols = ", ".join(UNIFIED_COLUMNS)
    # DuckDB's hash: 64 bits, a fraction of md5's cost. Should a DuckDB upgrade change it, every
    # record looks changed once and is normalised again: slower, never wrong.
    return f"""
        select {RECORD_KEY_SQL} as record_key, source_system, source_entity, {cols},
            hash('{normalisation_key()}', {cols}) as raw_fingerprint
        from ({" union all ".join(parts)})
        where source_record_id is not null"""


def record_versions_sql(con) -> str:
    """One row per record: `record_key` and the `raw_fingerprint` of its row; of a repeated key
    the row with the smallest fingerprint wins (any rule will do, as long as it is always the same)."""
    return f"select record_key, min(raw_fingerprint) as raw_fingerprint from ({staging_sql(con)}) group by 1"


def raw_rows_sql(con, versions: str, few: bool = False) -> str:
    """The raw rows of the (`record_key`, `raw_fingerprint`) pairs in table `versions`; `few`
    when they are a small share of all records (an incremental run)."""
    # A few are filtered on their source ids before keys and fingerprints are computed: a daily
    # run wants a few thousand of 1.7M rows, and hashing them all again cost ~0.7 CPU s at L.
    return f"""
        select * from ({staging_sql(con, versions if few else None)}) semi join {versions} using (record_key, raw_fingerprint)
        qualify row_number() over (partition by record_key) = 1  -- a row repeated verbatim"""


def _employees(value) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _fingerprint(row: tuple) -> str:
    text = "\x1f".join("" if v is None else str(v) for v in row)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


# What is kept of each record (core.company_record_state adds its record_id and component).
RECORD_COLUMNS: dict[str, pa.DataType] = {
    "record_key": pa.string(),
    "raw_fingerprint": pa.uint64(),
    "fingerprint": pa.string(),
    "source_system": pa.string(),
    "source_entity": pa.string(),
    "source_record_id": pa.string(),
    "company_name": pa.string(),
    "name_key": pa.string(),
    "domain": pa.string(),
    "corporate_number": pa.string(),
    "phone": pa.string(),
    "prefecture": pa.string(),
    "employees_log": pa.float64(),
    "industry": pa.string(),
    "xref_account_id": pa.string(),
    "xref_sfa_lead_id": pa.string(),
    "xref_ma_lead_id": pa.string(),
}
_DUCKDB_TYPES = {pa.string(): "varchar", pa.uint64(): "ubigint", pa.float64(): "double"}


def record_columns_ddl() -> str:
    return ", ".join(f"{c} {_DUCKDB_TYPES[t]}" for c, t in RECORD_COLUMNS.items())


def normalise_records(raw: pa.Table) -> pa.Table:
    """The normalised attributes (`RECORD_COLUMNS`) of raw rows (`raw_rows_sql`), row for row.

    Works on plain Python lists (None for missing): `normalise_column` applies each normaliser
    once per distinct value, which keeps 100k records at a few seconds."""
    col = {c: raw.column(c).to_pylist() for c in UNIFIED_COLUMNS if c not in ("is_deleted",)}
    out: dict[str, list] = {
        "source_system": raw.column("source_system").to_pylist(),
        "source_entity": raw.column("source_entity").to_pylist(),
        "source_record_id": col["source_record_id"],
        "company_name": col["company_name"],
    }
    out["name_key"] = nz.normalise_column(col["company_name"], nz.normalise_company_name)
    website = nz.normalise_column(col["website"], nz.company_domain)
    email = nz.normalise_column(col["email"], nz.company_domain)
    # A company's own website beats the domain of one person's mailbox.
    out["domain"] = [w or e for w, e in zip(website, email, strict=True)]
    out["corporate_number"] = nz.normalise_column(col["corporate_number"], nz.normalise_corporate_number)
    out["phone"] = nz.normalise_column(col["phone"], nz.normalise_phone)
    out["prefecture"] = nz.normalise_column(col["prefecture"], nz.normalise_prefecture)
    out["industry"] = nz.normalise_column(col["industry"], lambda v: v.strip().lower() or None)
    out["employees"] = [_employees(v) for v in col["employees"]]
    out["employees_log"] = [math.log(v) if v else None for v in out["employees"]]
    for name in ("xref_account_id", "xref_sfa_lead_id", "xref_ma_lead_id"):
        out[name] = [v.strip() or None if v else None for v in col[name]]
    out["fingerprint"] = [_fingerprint(r) for r in zip(*(out[a] for a in MATCH_ATTRIBUTES), strict=True)]
    arrays = {"record_key": raw.column("record_key"), "raw_fingerprint": raw.column("raw_fingerprint")}
    arrays |= {c: pa.array(out[c], type=t) for c, t in RECORD_COLUMNS.items() if c not in arrays}
    return pa.table(arrays).cast(pa.schema(RECORD_COLUMNS.items()))


def arrow(result) -> pa.Table:
    """A DuckDB result as one Arrow table (`to_arrow_table` is the name from DuckDB 1.5 on)."""
    fetch = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
    return fetch()


_CHUNK = 200_000  # raw rows normalised at a time: bounds the Python lists in a full run


def normalise_into(con, raw_sql: str, insert_sql: str) -> int:
    """Normalise the rows of `raw_sql` chunk by chunk; `insert_sql` stores each chunk, which it
    reads as `_identity_part` (`RECORD_COLUMNS`). Returns the number of rows."""
    todo = arrow(con.execute(raw_sql))
    for start in range(0, todo.num_rows, _CHUNK):
        con.register("_identity_part", normalise_records(todo.slice(start, _CHUNK)))
        con.execute(insert_sql)
        con.unregister("_identity_part")
    return todo.num_rows


def load_records(con) -> pd.DataFrame:
    """All records of `con`'s staging relations, normalised, as a frame in key order with `rid`
    (its position). For offline scripts; a run keeps its records in core.company_record_state."""
    con.execute(f"create or replace temp table _identity_versions as {record_versions_sql(con)}")
    con.execute(f"create or replace temp table _identity_load ({record_columns_ddl()})")
    try:
        normalise_into(
            con,
            raw_rows_sql(con, "_identity_versions"),
            "insert into _identity_load select * from _identity_part",
        )
        return con.execute(
            "select *, row_number() over (order by record_key) - 1 as rid from _identity_load order by record_key"
        ).df()
    finally:
        con.execute("drop table _identity_versions")
        con.execute("drop table _identity_load")
