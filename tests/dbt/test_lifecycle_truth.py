"""The lifecycle models against the generator's truth: stage times of every lead cycle.

Owns the end-to-end agreement check of docs/design.md "Lifecycle evidence": generate scale T,
load it with the raw loader into a temp warehouse, `dbt build` the staging, lifecycle and core
models (with all their tests), then compare `core.fct_lead_funnel` with truth/lead_cycles.csv.
A cycle agrees when every stage time and the opportunity id are equal (both empty counts as
equal). Cycles whose lead has a quarantined extract row are "without evidence" and reported
apart; the target is >= 99.5 % agreement on the cycles with evidence.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dbt_harness import LIFECYCLE_SELECT, run_dbt

pytestmark = pytest.mark.e2e

STAGES = (
    "lead_at", "mql_at", "sal_at", "sql_at", "opportunity_at", "won_at", "lost_at", "recycled_at",
    "disqualified_at", "first_is_contact_at", "appointment_set_at", "first_fs_approach_at",
)  # fmt: skip
TARGET = 0.995


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, Path]:
    from ingestion.loader import ensure_warehouse, load_landing
    from ingestion.sample import generate

    work = tmp_path_factory.mktemp("lifecycle_truth")
    landing, truth, wh = work / "landing", work / "truth", work / "wh.duckdb"
    generate(scale="T", seed=11, out=landing, truth=truth, progress=False)
    with duckdb.connect(str(wh)) as con:
        ensure_warehouse(con)
        load_landing(con, landing)
        # identity resolution is not part of this layer: an empty crosswalk leaves company_id null
        con.execute("create schema if not exists core")
        con.execute(
            "create table if not exists core.company_crosswalk (source_system varchar, source_entity varchar, "
            "source_record_id varchar, company_id varchar, match_method varchar, match_probability double, "
            "rules_version varchar, resolved_at timestamp)"
        )
    result = run_dbt(work, wh, "build", "--indirect-selection", "cautious", "--select", *LIFECYCLE_SELECT)
    assert result.returncode == 0, result.stdout[-6000:]
    return wh, truth


def test_funnel_stage_times_match_truth(warehouse):
    wh, truth = warehouse
    with duckdb.connect(str(wh), read_only=True) as con:
        con.execute(
            "create temp table truth as select * from read_csv(?, all_varchar = true, header = true)",
            [str(truth / "lead_cycles.csv")],
        )
        pairs = ",\n".join(
            f"cast(nullif(replace(t.{c}, 'Z', ''), '') as timestamp) as truth_{c}, f.{c} as built_{c}"
            for c in STAGES
        )
        con.execute(f"""
            create temp table compared as
            select
                t.lead_id,
                cast(t.cycle_number as integer) as cycle_number,
                f.lead_cycle_id is not null as is_built,
                nullif(t.opportunity_id, '') as truth_opportunity_id,
                f.opportunity_id as built_opportunity_id,
                -- a cycle lacks evidence when a row naming its lead or SFA lead was quarantined
                exists (
                    select 1 from audit.quarantine as q
                    where cast(q.raw_values as varchar) like '%"' || t.lead_id || '"%'
                        or cast(q.raw_values as varchar) like '%"' || f.sfa_lead_id || '"%'
                ) as lacks_evidence,
                {pairs}
            from truth as t
            left join core.fct_lead_funnel as f
                on t.lead_id = f.lead_id
                and cast(t.cycle_number as integer) = f.cycle_number
        """)
        equal = " and ".join(
            [f"truth_{c} is not distinct from built_{c}" for c in STAGES]
            + ["truth_opportunity_id is not distinct from built_opportunity_id"]
        )
        total, with_evidence, agree, agree_all = con.execute(f"""
            select
                count(*),
                sum(case when not lacks_evidence then 1 else 0 end),
                sum(case when not lacks_evidence and is_built and {equal} then 1 else 0 end),
                sum(case when is_built and {equal} then 1 else 0 end)
            from compared
        """).fetchall()[0]
        per_stage = {
            c: con.execute(
                f"select sum(case when truth_{c} is not null then 1 else 0 end), "
                f"sum(case when truth_{c} is distinct from built_{c} then 1 else 0 end) from compared"
            ).fetchall()[0]
            for c in STAGES
        }
        extra = con.execute(
            "select count(*) from core.fct_lead_funnel as f "
            "where not exists (select 1 from truth as t where t.lead_id = f.lead_id "
            "and cast(t.cycle_number as integer) = f.cycle_number)"
        ).fetchall()[0][0]
        examples = con.execute(f"select * from compared where not ({equal}) limit 5").fetchall()

    rate = agree / with_evidence if with_evidence else 0.0
    print(
        f"\nlead cycles in truth: {total}, with evidence: {with_evidence}, funnel rows not in truth: {extra}"
    )
    print(
        f"agreement (all stages + opportunity equal): {agree}/{with_evidence} = {rate:.4%} (all cycles: {agree_all}/{total})"
    )
    for c, (present, differ) in per_stage.items():
        print(f"  {c:<22} present in truth {present:>5}  differ {differ:>3}")
    assert total > 100 and with_evidence >= 0.9 * total, "too few cycles to judge"
    assert per_stage["mql_at"][0] > 0 and per_stage["sql_at"][0] > 0, "the sample has no MQL/SQL to compare"
    assert extra == 0, "the funnel holds cycles the truth does not know"
    assert rate >= TARGET, f"agreement {rate:.4%} below {TARGET:.1%}; examples: {examples}"


def test_opportunity_and_event_facts_are_consistent_with_the_funnel(warehouse):
    wh, _ = warehouse
    with duckdb.connect(str(wh), read_only=True) as con:
        # every converted opportunity in the funnel is in fct_opportunities with the same cycle
        missing = con.execute(
            "select count(*) from core.fct_lead_funnel as f left join core.fct_opportunities as o "
            "on f.opportunity_id = o.opportunity_id "
            "where f.opportunity_id is not null and (o.lead_cycle_id is distinct from f.lead_cycle_id)"
        ).fetchall()[0][0]
        # one lifecycle event per non-null stage time of the funnel (the 'lead' stage: cycle 1 only)
        stage_cells = " + ".join(
            f"case when {c} is not null then 1 else 0 end"
            for c in ("mql_at", "sal_at", "sql_at", "opportunity_at", "won_at", "lost_at", "recycled_at",
                      "disqualified_at")
        )  # fmt: skip
        expected = con.execute(
            f"select sum({stage_cells}) + sum(case when cycle_number = 1 then 1 else 0 end) "
            "from core.fct_lead_funnel"
        ).fetchall()[0][0]
        events = con.execute(
            "select count(*) from core.fct_lifecycle_events where subject_type = 'lead'"
        ).fetchall()
    assert missing == 0
    assert events[0][0] == expected


def test_customers_and_churn_match_truth(warehouse):
    """customer_at = first subscription start, churned_at = latest end when every subscription churned."""
    wh, truth = warehouse
    with duckdb.connect(str(wh), read_only=True) as con:
        con.execute(
            "create temp table truth_customers as select * from read_csv(?, all_varchar = true, header = true)",
            [str(truth / "customers.csv")],
        )
        total, found, customer_eq, churn_eq = con.execute("""
            select
                count(*),
                sum(case when f.customer_id is not null then 1 else 0 end),
                sum(case when cast(nullif(replace(t.customer_at, 'Z', ''), '') as timestamp)
                    is not distinct from f.customer_at then 1 else 0 end),
                sum(case when cast(nullif(replace(t.churned_at, 'Z', ''), '') as timestamp)
                    is not distinct from f.churned_at then 1 else 0 end)
            from truth_customers as t
            left join core.fct_customers as f on t.customer_id = f.customer_id
        """).fetchall()[0]
    print(
        f"\ncustomers in truth: {total}, built: {found}, customer_at equal: {customer_eq}, churned_at equal: {churn_eq}"
    )
    assert total > 0 and found == total
    assert customer_eq / total >= TARGET and churn_eq / total >= TARGET
