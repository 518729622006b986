"""Staging-like inputs for the offline scripts (train, evaluate) when dbt staging is not built.

Owns: `staging_views_from_raw(con)`: creates `staging.stg_*` views over the raw tables the loader
wrote (`raw_ma.leads`, `raw_sfa.account`, `raw_sfa.lead`, `raw_cs.customers`), renaming columns
to the contract `stg` names (read from ingestion/contracts.yaml, never copied) and keeping the
latest version per key. Only the scripts use this; the pipeline reads the dbt staging views.
"""

from __future__ import annotations

from ingestion.contracts import load_contracts, quote_ident

ENTITIES = (("ma", "leads"), ("sfa", "account"), ("sfa", "lead"), ("cs", "customers"))


def staging_views_from_raw(con) -> list[str]:
    contracts = load_contracts()
    con.execute("create schema if not exists staging")
    made = []
    for system, name in ENTITIES:
        ent = contracts.entity(system, name)
        cols = ", ".join(f"{quote_ident(c.name)} as {quote_ident(c.stg)}" for c in ent.columns)
        key = ", ".join(quote_ident(k) for k in ent.key)
        order = [quote_ident(ent.modified_at)] if ent.modified_at else []
        order = ", ".join([*(f"{o} desc nulls last" for o in order), "_extract_date desc", "_loaded_at desc"])
        order += ", _row_number desc"
        email = (
            ", lower(trim(email)) as email_normalized" if any(c.stg == "email" for c in ent.columns) else ""
        )
        con.execute(
            f"""create or replace view staging.{ent.staging_model} as
            select {cols}{email} from (
                select *, row_number() over (partition by {key} order by {order}) as _rn
                from {ent.raw_table}
            ) where _rn = 1"""
        )
        made.append(f"staging.{ent.staging_model}")
    return made
