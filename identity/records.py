"""The company records identity resolution works on: one row per source record, normalised.

Owns: which staging relations and columns are company evidence (MA leads, SFA accounts, SFA leads,
CS customers), the unified record frame (`record_key`, normalised name key, domain, valid corporate
number, phone, prefecture, employees, cross-system ids) and each record's fingerprint (what
incremental runs compare to decide a record is new or changed).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import pandas as pd

from identity import normalize as nz


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


def _relation_columns(con, relation: str) -> set[str]:
    schema, name = relation.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return {r[0] for r in rows}


def _source_sql(con, src: CompanySource) -> str | None:
    present = _relation_columns(con, src.relation)
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
    return f"select {', '.join(select)} from {src.relation}"


def read_raw_records(con) -> pd.DataFrame:
    """Every company record of the staging relations, unnormalised (`UNIFIED_COLUMNS`)."""
    parts = [sql for src in SOURCES if (sql := _source_sql(con, src))]
    if not parts:
        raise RuntimeError("no staging relation with company records found (staging.stg_*)")
    sql = " union all ".join(parts) + " order by source_system, source_entity, source_record_id"
    # A cursor, not the shared connection: Splink and callers keep their own statement state.
    return con.cursor().execute(sql).df()


def _employees(value) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _fingerprint(row: tuple) -> str:
    text = "\x1f".join("" if v is None else str(v) for v in row)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _texts(values) -> list[str | None]:
    # pandas 3 hands text over Arrow-backed; one `tolist()` is far cheaper than iterating it
    return [v if isinstance(v, str) else None for v in pd.Series(values, dtype=object).tolist()]


def normalise_records(raw: pd.DataFrame) -> pd.DataFrame:
    """Add the normalised matching attributes and the fingerprint; one row per source record.

    Works on plain Python lists and builds object columns (None for missing), which keeps 100k
    records at a few seconds; downstream code tests values for truthiness, never for NaN."""
    raw = raw[raw["source_record_id"].notna()].drop_duplicates(
        ["source_system", "source_entity", "source_record_id"], keep="last"
    )
    raw = raw.sort_values(["source_system", "source_entity", "source_record_id"]).reset_index(drop=True)
    col = {c: _texts(raw[c]) for c in UNIFIED_COLUMNS if c not in ("employees", "is_deleted")}
    system, entity = _texts(raw["source_system"]), _texts(raw["source_entity"])
    out: dict[str, list] = {"source_system": system, "source_entity": entity}
    out["source_record_id"] = col["source_record_id"]
    out["record_key"] = [
        f"{a}|{b}|{c}" for a, b, c in zip(system, entity, col["source_record_id"], strict=True)
    ]
    out["company_name"] = col["company_name"]
    out["name_key"] = nz.normalise_column(col["company_name"], nz.normalise_company_name)
    out["name_grams"] = [nz.name_bigrams(k) for k in out["name_key"]]
    website = nz.normalise_column(col["website"], nz.company_domain)
    email = nz.normalise_column(col["email"], nz.company_domain)
    # A company's own website beats the domain of one person's mailbox.
    out["domain"] = [w or e for w, e in zip(website, email, strict=True)]
    out["corporate_number"] = nz.normalise_column(col["corporate_number"], nz.normalise_corporate_number)
    out["corporate_number_raw"] = col["corporate_number"]
    out["phone"] = nz.normalise_column(col["phone"], nz.normalise_phone)
    out["prefecture"] = nz.normalise_column(col["prefecture"], nz.normalise_prefecture)
    out["industry"] = nz.normalise_column(col["industry"], lambda v: v.strip().lower() or None)
    out["employees"] = [_employees(v) for v in pd.Series(raw["employees"], dtype=object).tolist()]
    out["employees_log"] = [math.log(v) if v else None for v in out["employees"]]
    for name in ("xref_account_id", "xref_sfa_lead_id", "xref_ma_lead_id"):
        out[name] = [v.strip() or None if v else None for v in col[name]]
    out["is_deleted"] = raw["is_deleted"].astype(object).fillna(False).astype(bool).tolist()
    out["fingerprint"] = [_fingerprint(r) for r in zip(*(out[a] for a in MATCH_ATTRIBUTES), strict=True)]
    out["email"], out["website"] = col["email"], col["website"]
    df = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in out.items()})
    df["employees_log"] = df["employees_log"].astype("float64")
    df["is_deleted"] = df["is_deleted"].astype(bool)
    df["rid"] = range(len(df))
    return df


def load_records(con) -> pd.DataFrame:
    return normalise_records(read_raw_records(con))
