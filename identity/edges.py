"""Deterministic evidence between company records, as edges for the clustering.

Owns: which agreements link two records without a model, and how strongly:
  1 corporate_number  same valid 法人番号
  2 xref             a cross-system id (CS sfa_account_id, SFA converted_account_id,
                     MA sfa_lead_id, SFA MA_Lead_Id__c) that the names do not contradict
  3 name_domain / name_phone / name_prefecture
                     same normalised name corroborated by a second attribute
  5 name_unique      same normalised name, where all records of that name agree on (at most one)
                     domain, prefecture and corporate number: nothing says there are two companies
A shared domain alone is NOT evidence (group companies share one); it only feeds Splink.
Runs in its own in-memory DuckDB connection over the record frame (star edges per group, so a
group of n records costs n - 1 edges, never n^2).
"""

from __future__ import annotations

import pandas as pd

from identity.normalize import bigram_dice_sql

EDGE_COLUMNS = ["l", "r", "method", "priority", "match_probability"]

PRIORITY = {
    "steward": 0,
    "corporate_number": 1,
    "xref": 2,
    "name_domain": 3,
    "name_phone": 3,
    "name_prefecture": 3,
    "splink": 4,
    "name_unique": 5,
}

_GROUP_RULES = {
    "corporate_number": ("corporate_number",),
    "name_domain": ("name_key", "domain"),
    "name_phone": ("name_key", "phone"),
    "name_prefecture": ("name_key", "prefecture"),
}

# (left system, left entity, left id column) -> (right system, right entity)
_XREFS = (
    ("cs", "customers", "xref_account_id", "sfa", "account"),
    ("sfa", "lead", "xref_account_id", "sfa", "account"),
    ("ma", "leads", "xref_sfa_lead_id", "sfa", "lead"),
    ("sfa", "lead", "xref_ma_lead_id", "ma", "leads"),
)

_RECORD_COLUMNS = [
    "rid",
    "source_system",
    "source_entity",
    "source_record_id",
    "name_key",
    "name_grams",
    "domain",
    "corporate_number",
    "phone",
    "prefecture",
    "xref_account_id",
    "xref_sfa_lead_id",
    "xref_ma_lead_id",
]


def _group_sql(method: str, keys: tuple[str, ...]) -> str:
    not_null = " and ".join(f"{k} is not null" for k in keys)
    part = ", ".join(keys)
    return f"""
        select first_rid as l, rid as r, '{method}' as method
        from (
            select rid, min(rid) over (partition by {part}) as first_rid
            from records where {not_null}
        )
        where rid <> first_rid"""


_NAME_UNIQUE_SQL = """
    with names as (
        select name_key
        from records
        where name_key is not null
        group by name_key
        having count(distinct domain) <= 1 and count(distinct prefecture) <= 1
            and count(distinct corporate_number) <= 1 and count(*) > 1
    ),
    members as (
        select r.rid, min(r.rid) over (partition by r.name_key) as first_rid
        from records r join names using (name_key)
    )
    select first_rid as l, rid as r, 'name_unique' as method from members where rid <> first_rid"""


def _xref_sql(min_similarity: float) -> str:
    joins = []
    for sys_l, ent_l, col, sys_r, ent_r in _XREFS:
        joins.append(f"""
            select a.rid as l, b.rid as r, a.name_key as name_l, b.name_key as name_r,
                {bigram_dice_sql("a.name_grams", "b.name_grams")} as name_similarity,
                a.domain = b.domain or a.corporate_number = b.corporate_number
                    or a.phone = b.phone as corroborated
            from records a
            join records b
                on b.source_system = '{sys_r}' and b.source_entity = '{ent_r}'
                and b.source_record_id = a.{col}
            where a.source_system = '{sys_l}' and a.source_entity = '{ent_l}'""")
    return f"""
        with pairs as ({" union all ".join(joins)}),
        judged as (
            select l, r,
                -- names in different scripts (`Sample Inc.` vs `サンプル`) cannot contradict
                name_l is not null and name_r is not null
                    and regexp_matches(name_l, '^[ -~]+$') = regexp_matches(name_r, '^[ -~]+$')
                    as comparable,
                coalesce(name_similarity, 0) as name_similarity,
                coalesce(corroborated, false) as corroborated
            from pairs
            where l <> r
        )
        select l, r, not comparable or name_similarity >= {min_similarity} or corroborated as accepted,
            name_similarity
        from judged"""


def deterministic_edges(
    records: pd.DataFrame, min_xref_similarity: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (edges, contradicted_xrefs). Edges: `EDGE_COLUMNS`, probability 1.0."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("records_df", records[_RECORD_COLUMNS])
        con.execute("create temp table records as select * from records_df")
        sql = " union all ".join(
            [*(_group_sql(m, k) for m, k in _GROUP_RULES.items()), f"select * from ({_NAME_UNIQUE_SQL})"]
        )
        edges = con.execute(sql).df()
        xref = con.execute(_xref_sql(min_xref_similarity)).df()
    finally:
        con.close()
    accepted = xref[xref["accepted"]][["l", "r"]].assign(method="xref")
    edges = pd.concat([edges, accepted], ignore_index=True)
    edges["priority"] = edges["method"].map(PRIORITY).astype(int)
    edges["match_probability"] = 1.0
    rejected = xref[~xref["accepted"]][["l", "r", "name_similarity"]].reset_index(drop=True)
    return edges[EDGE_COLUMNS], rejected
