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
SQL over the run's record table (star edges per group, so a group of n records costs n - 1 edges,
never n^2). Incremental runs rebuild only the groups and cross-references that new, changed or
deleted records touch (`rule_edges_sql` scopes); the rest come from the edge cache.
"""

from __future__ import annotations

import pandas as pd

from identity.normalize import bigram_dice_sql, name_grams_sql
from identity.records import record_key_sql

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

# The group each rule edge belongs to (xref edges belong to their two records): a group's edges
# can only change when one of its records does.
GROUP_KEYS = {**_GROUP_RULES, "name_unique": ("name_key",)}
_GROUP_ATTRIBUTES = "corporate_number, name_key, domain, phone, prefecture"

# (left system, left entity, left id column) -> (right system, right entity)
_XREFS = (
    ("cs", "customers", "xref_account_id", "sfa", "account"),
    ("sfa", "lead", "xref_account_id", "sfa", "account"),
    ("ma", "leads", "xref_sfa_lead_id", "sfa", "lead"),
    ("sfa", "lead", "xref_ma_lead_id", "ma", "leads"),
)

# Methods in tie-break order (after priority, probability and the record pair).
METHODS = tuple(PRIORITY)


def touched_members_sql(records: str, touched: str) -> str:
    """SQL of (`record_id`, `record_key`, `method` and the attributes the rules read): every record
    of every group whose key values appear in `touched`, per group rule. A group's edges depend on
    its members only, so these groups are all an incremental run rebuilds (and the cached edges of
    their first records all it drops)."""
    parts = []
    for method, keys in GROUP_KEYS.items():
        cols = ", ".join(keys)
        parts.append(
            f"select record_id, record_key, '{method}' as method, {_GROUP_ATTRIBUTES} from {records} "
            f"semi join (select distinct {cols} from {touched}) using ({cols})"
        )
    return " union all ".join(parts)


def _members(method: str, records: str, members: str | None) -> str:
    if members is None:
        return records
    return f"(select * from {members} where method = '{method}')"


def _group_sql(method: str, keys: tuple[str, ...], records: str, id_: str) -> str:
    not_null = " and ".join(f"{k} is not null" for k in keys)
    return f"""
        select first_id as l, {id_} as r, '{method}' as method, true as accepted
        from (
            select {id_}, first_value({id_}) over (partition by {", ".join(keys)} order by record_key) as first_id
            from {records} where {not_null}
        )
        where {id_} <> first_id"""


def _name_unique_sql(records: str, id_: str) -> str:
    # Whether a name is unique depends on every record of that name: one new record with another
    # domain makes it ambiguous (`records` holds all records of each name it holds).
    return f"""
        with names as (
            select name_key from {records} where name_key is not null group by name_key
            having count(distinct domain) <= 1 and count(distinct prefecture) <= 1
                and count(distinct corporate_number) <= 1 and count(*) > 1
        )
        select first_id as l, {id_} as r, 'name_unique' as method, true as accepted
        from (
            select {id_}, first_value({id_}) over (partition by name_key order by record_key) as first_id
            from {records} semi join names using (name_key)
        )
        where {id_} <> first_id"""


def _xref_sql(min_similarity: float, records: str, changed: str | None, id_: str) -> str:
    # A cross-reference names the key of its target (system|entity|id), so pairs are found on
    # narrow columns; names and attributes are read for the records of those pairs only. With
    # `changed` (a table of `record_id`), only the pairs with a changed record: the changed
    # records and those naming one are found in one pass over `records`.
    source, scope, ctes = records, "", ""
    if changed:
        changed_ids = f"(select record_id from {changed})"
        # a record names a changed one by its id column: compared as is, no key built per record
        naming = " or ".join(
            f"""(source_system = '{sys_l}' and source_entity = '{ent_l}' and {col} in (
                select source_record_id from changed_records
                where source_system = '{sys_r}' and source_entity = '{ent_r}'))"""
            for sys_l, ent_l, col, sys_r, ent_r in _XREFS
        )
        ctes = f"""
            changed_records as materialized (select * from {records} where {id_} in {changed_ids}),
            source as materialized (
                select * from {records} where {id_} in (select {id_} from changed_records) or {naming}
            ),"""
        source, scope = "source", f" and (l in {changed_ids} or r in {changed_ids})"
    refs = " union all ".join(
        f"""select {id_} as l, {record_key_sql(f"'{sys_r}'", f"'{ent_r}'", col)} as target
            from {source}
            where source_system = '{sys_l}' and source_entity = '{ent_l}' and {col} is not null"""
        for sys_l, ent_l, col, sys_r, ent_r in _XREFS
    )
    grams_l, grams_r = name_grams_sql("a.name_key"), name_grams_sql("b.name_key")
    return f"""
        with {ctes}
        pairs as materialized (
            select f.l, t.{id_} as r from ({refs}) f join {records} t on t.record_key = f.target
            where f.l <> t.{id_}
        ),
        ends as materialized (
            select {id_}, name_key, domain, corporate_number, phone from {records}
            where {id_} in (select l from pairs union all select r from pairs)
        ),
        judged as (
            select p.l, p.r,
                -- names in different scripts (`Sample Inc.` vs `サンプル`) cannot contradict
                a.name_key is not null and b.name_key is not null
                    and regexp_matches(a.name_key, '^[ -~]+$') = regexp_matches(b.name_key, '^[ -~]+$')
                    as comparable,
                coalesce({bigram_dice_sql(grams_l, grams_r)}, 0) as name_similarity,
                coalesce(a.domain = b.domain or a.corporate_number = b.corporate_number
                    or a.phone = b.phone, false) as corroborated
            from (select * from pairs where true{scope}) p
            join ends a on a.{id_} = p.l
            join ends b on b.{id_} = p.r
        )
        select l, r, 'xref' as method,
            not comparable or name_similarity >= {min_similarity} or corroborated as accepted
        from judged"""


def rule_edges_sql(
    min_xref_similarity: float,
    records: str,
    members: str | None = None,
    changed: str | None = None,
    id_: str = "record_id",
) -> str:
    """SQL of the rule edges (`l`, `r`, `method`, `accepted`) between the records of table
    `records`, each named by its column `id_`; a group's edges go from its first record (smallest
    `record_key`) to each other one, a cross-reference's from the record that names the other.

    Accepted edges link; an xref that the names contradict comes back with accepted = false (for
    review). Without `members`/`changed` every edge; with them only the edges that can differ from
    the last run: those of the groups in `members` (`touched_members_sql`) and cross-references
    with a record in `changed` (a table of `record_id`)."""
    parts = [_group_sql(m, k, _members(m, records, members), id_) for m, k in _GROUP_RULES.items()]
    parts += [
        _name_unique_sql(_members("name_unique", records, members), id_),
        _xref_sql(min_xref_similarity, records, changed, id_),
    ]
    return " union all ".join(f"select * from ({p})" for p in parts)


def deterministic_edges(
    records: pd.DataFrame, min_xref_similarity: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All rule edges of a record frame (`record_key`, `rid` and the attributes), by rid: (edges
    with `EDGE_COLUMNS` and probability 1.0, contradicted cross-references `l`, `r`). For offline
    use (training)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("records", records)
        found = con.execute(rule_edges_sql(min_xref_similarity, "records", id_="rid")).df()
    finally:
        con.close()
    edges = found[found["accepted"]][["l", "r", "method"]].reset_index(drop=True)
    edges["priority"] = edges["method"].map(PRIORITY).astype(int)
    edges["match_probability"] = 1.0
    rejected = found[~found["accepted"]][["l", "r"]].reset_index(drop=True)
    return edges[EDGE_COLUMNS], rejected
