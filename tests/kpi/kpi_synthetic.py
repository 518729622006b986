"""Small, deterministic core facts for the KPI tests, built to the shared spec of the core layer.

Owns: pandas frames with exactly the columns the KPI layer reads from core.fct_lead_funnel,
fct_lifecycle_events, fct_opportunities, fct_subscriptions, fct_customers, fct_campaign_costs,
dim_users and intermediate.int_warehouse_clock, and their insertion into a DuckDB file. The data
is random but internally consistent (stage times increase, events mirror the funnel) and seeded
with the edge cases the marts must survive: Tokyo-midnight crossings, missing slices, MQLs never
contacted, late contacts, recycles, opportunities without a lead, campaigns without dates.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from ingestion.rules import business_rules

SOURCES = ["paid_ads", "webinar", "event", "referral", "organic", None]
CHANNEL_OF_SOURCE = {"paid_ads": "paid_ads", "webinar": "webinar", "event": "event", "referral": "referral"}
INDUSTRIES = ["manufacturing", "it", "finance", None]
LOSS_REASONS = ["price", "timing", "competitor", "no_decision"]


def _band(value: float | None, bounds: list[int], open_suffix: str = "+") -> str | None:
    """Label of the band holding value: 'lo-hi' with hi = next bound - 1, last band 'lo+'."""
    if value is None or pd.isna(value):
        return None
    label = None
    for i, low in enumerate(bounds):
        if value >= low:
            label = f"{low}-{bounds[i + 1] - 1}" if i + 1 < len(bounds) else f"{low}{open_suffix}"
    return label


def build_core(n_leads: int = 240, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Return {"core.fct_lead_funnel": frame, ...} for n_leads MA leads."""
    rules = business_rules()
    rng = np.random.default_rng(seed)
    start = datetime(2025, 3, 1, 0, 0)
    as_of = datetime(2025, 6, 30, 15, 0)  # 2025-07-01 00:00 Asia/Tokyo, as UTC

    users = pd.DataFrame(
        {
            "user_id": ["U_IS1", "U_IS2", "U_FS1", "U_FS2", "U_MK1"],
            "user_name": ["Ito", "Sato", "Kato", "Abe", "Mori"],
            "department": ["Inside Sales", "Inside Sales", "Field Sales", "Field Sales", "Marketing"],
            "is_active": [True, True, True, False, True],
        }
    )
    users["team"] = users["department"]

    campaigns = pd.DataFrame(
        {
            "campaign_id": ["C1", "C2", "C3", "C4", "C5"],
            "campaign_name": ["Spring ads", "Webinar A", "Expo", "No dates", "Open end"],
            "channel": ["paid_ads", "webinar", "event", "email", "content"],
            "start_date": pd.to_datetime(["2025-03-01", "2025-04-10", "2025-05-20", None, "2025-06-15"]).date,
            "end_date": pd.to_datetime(["2025-04-30", "2025-04-10", "2025-05-22", None, None]).date,
            "cost_jpy": [1_200_000.0, 300_000.0, 2_500_000.0, 50_000.0, 75_000.0],
        }
    )
    campaigns["start_date"] = campaigns["start_date"].where(campaigns["start_date"].notna(), None)

    cycles, events, opps = [], [], []
    ev_no = 0

    def event(stage, at, lead_id, cycle_id, company_id, evidence):
        nonlocal ev_no
        ev_no += 1
        events.append(
            {
                "event_id": f"E{ev_no:06d}",
                "subject_type": "lead",
                "subject_id": lead_id,
                "lead_id": lead_id,
                "lead_cycle_id": cycle_id,
                "company_id": company_id,
                "stage": stage,
                "occurred_at": at,
                "source_system": "ma" if stage in ("lead", "mql") else "sfa",
                "evidence": evidence,
            }
        )

    for i in range(n_leads):
        lead_id = f"L{i:05d}"
        company_id = None if i % 11 == 0 else f"CO{i % 37:03d}"
        source = SOURCES[i % len(SOURCES)]
        campaign_id = ["C1", "C2", "C3", None, "C5"][i % 5] if i % 3 else None
        channel = (
            campaigns.set_index("campaign_id").loc[campaign_id, "channel"]
            if campaign_id
            else CHANNEL_OF_SOURCE.get(source, "other")
        )
        employees = None if i % 13 == 0 else int(rng.integers(1, 8000))
        industry = INDUSTRIES[i % len(INDUSTRIES)]
        # some leads created just before Tokyo midnight in UTC terms (15:00 UTC = 00:00 JST)
        minute = int(rng.integers(0, 120 * 24 * 60))
        if i % 7 == 0:
            minute = (minute // 1440) * 1440 + 14 * 60 + 59 + int(rng.integers(0, 3))
        t = start + timedelta(minutes=minute)
        n_cycles = 1 + int(rng.random() < 0.25) + int(rng.random() < 0.1)
        for c in range(1, n_cycles + 1):
            cycle_id = f"{lead_id}#{c}"
            row = dict.fromkeys(
                [
                    "mql_at", "sal_at", "sql_at", "opportunity_at", "won_at", "lost_at", "recycled_at",
                    "disqualified_at", "first_is_contact_at", "appointment_set_at", "first_fs_approach_at",
                    "opportunity_id", "won_amount_jpy", "loss_reason", "score_at_mql",
                ]
            )  # fmt: skip
            row.update(
                lead_cycle_id=cycle_id, lead_id=lead_id, cycle_number=c, is_latest_cycle=c == n_cycles,
                sfa_lead_id=None if i % 9 == 0 else f"00Q{i:05d}", company_id=company_id,
                lead_source=source, campaign_id=campaign_id, channel=channel, industry=industry,
                employees=employees, employee_band=_band(employees, rules["employee_bands"]),
                is_owner_user_id=None if i % 17 == 0 else ["U_IS1", "U_IS2"][i % 2], lead_at=t,
            )  # fmt: skip
            if c == 1:
                event("lead", t, lead_id, cycle_id, company_id, f"ma.leads:{lead_id}")
            last = c == n_cycles
            max_score = float(rng.integers(0, 150))
            cur = t
            if max_score >= rules["mql_score_threshold"] or (i % 23 == 0):
                cur = cur + timedelta(hours=float(rng.uniform(1, 400)))
                row["mql_at"] = cur
                row["score_at_mql"] = float(rules["mql_score_threshold"] + rng.integers(0, 10))
                max_score = max(max_score, row["score_at_mql"])
                event("mql", cur, lead_id, cycle_id, company_id, f"ma.activities:A{i}{c}")
                if rng.random() < 0.8:
                    row["first_is_contact_at"] = cur + timedelta(hours=float(rng.exponential(20)))
                if rng.random() < 0.6:
                    cur = cur + timedelta(hours=float(rng.uniform(1, 80)))
                    row["sal_at"] = cur
                    event("sal", cur, lead_id, cycle_id, company_id, f"sfa.lead_history:LH{i}{c}a")
                    if rng.random() < 0.7:
                        cur = cur + timedelta(hours=float(rng.uniform(1, 80)))
                        row["sql_at"] = cur
                        event("sql", cur, lead_id, cycle_id, company_id, f"sfa.lead_history:LH{i}{c}b")
                        if rng.random() < 0.75:
                            row["first_fs_approach_at"] = cur + timedelta(hours=float(rng.exponential(40)))
                        if rng.random() < 0.45:
                            row["appointment_set_at"] = cur + timedelta(hours=float(rng.uniform(1, 100)))
                        if last and rng.random() < 0.6:
                            cur = cur + timedelta(hours=float(rng.uniform(1, 200)))
                            opp_id = f"006{i:05d}"
                            row["opportunity_at"] = cur
                            row["opportunity_id"] = opp_id
                            event("opportunity", cur, lead_id, cycle_id, company_id, f"sfa.lead:{i}")
                            amount = float(rng.integers(1, 500)) * 10_000.0
                            outcome = rng.random()
                            closed_at = cur + timedelta(days=float(rng.uniform(5, 60)))
                            if closed_at > as_of or outcome < 0.2:
                                closed_at, stage = None, "Negotiation"
                            elif outcome < 0.55:
                                stage = "Closed Won"
                            else:
                                stage = "Closed Lost"
                            won = stage == "Closed Won"
                            lost = stage == "Closed Lost"
                            if won:
                                row["won_at"] = closed_at
                                row["won_amount_jpy"] = amount
                                event("won", closed_at, lead_id, cycle_id, company_id, f"sfa.oh:{i}")
                            if lost:
                                row["lost_at"] = closed_at
                                row["loss_reason"] = LOSS_REASONS[i % 4]
                                event("lost", closed_at, lead_id, cycle_id, company_id, f"sfa.oh:{i}")
                            opps.append(
                                {
                                    "opportunity_id": opp_id, "account_id": f"001{i % 37:03d}",
                                    "company_id": company_id, "lead_id": lead_id,
                                    "sfa_lead_id": row["sfa_lead_id"], "lead_cycle_id": cycle_id,
                                    "created_at": cur, "closed_at": closed_at,
                                    "close_date": (closed_at + timedelta(hours=9)).date() if closed_at else None,
                                    "stage_name": stage, "is_closed": won or lost, "is_won": won,
                                    "amount_jpy": amount, "won_amount_jpy": amount if won else 0.0,
                                    "loss_reason": row["loss_reason"], "lead_source": source,
                                    "campaign_id": campaign_id, "channel": channel,
                                    "opportunity_type": "New Business",
                                    "owner_user_id": ["U_FS1", "U_FS2"][i % 2],
                                    "owner_department": "Field Sales",
                                    "is_is_sourced": row["first_is_contact_at"] is not None,
                                    "is_marketing_sourced": source in rules["marketing_lead_sources"]
                                    or campaign_id is not None,
                                    "sales_cycle_days": (closed_at - cur).total_seconds() / 86400
                                    if closed_at else None,
                                    "lead_to_close_days": (closed_at - t).total_seconds() / 86400
                                    if closed_at else None,
                                }
                            )  # fmt: skip
                        elif not last:
                            pass
                if not last:
                    cur = cur + timedelta(hours=float(rng.uniform(10, 300)))
                    row["recycled_at"] = cur
                    event("recycled", cur, lead_id, cycle_id, company_id, f"sfa.lead_history:LH{i}{c}r")
                elif row["sql_at"] is None and rng.random() < 0.2:
                    row["disqualified_at"] = cur + timedelta(hours=5)
                    event("disqualified", cur + timedelta(hours=5), lead_id, cycle_id, company_id, "sfa")
            elif not last:
                cur = cur + timedelta(hours=float(rng.uniform(10, 300)))
                row["recycled_at"] = cur
                event("recycled", cur, lead_id, cycle_id, company_id, f"sfa.lead_history:LH{i}{c}r")
            row["max_score"] = max_score
            row["score_band"] = _band(max_score, rules["score_bands"])
            cycles.append(row)
            t = cur if row["recycled_at"] is None else row["recycled_at"]
            if row["recycled_at"] is None:
                break

    funnel = pd.DataFrame(cycles)
    # the funnel keeps only cycles that really started; cycle flags reflect the rows kept
    funnel["is_latest_cycle"] = funnel["cycle_number"] == funnel.groupby("lead_id")["cycle_number"].transform(
        "max"
    )
    sla_is = rules["is_first_contact_sla_hours"]
    sla_fs = rules["fs_first_approach_sla_hours"]

    def hours(a, b):
        return (funnel[b] - funnel[a]).dt.total_seconds() / 3600

    for col in [c for c in funnel.columns if c.endswith("_at")]:
        funnel[col] = pd.to_datetime(funnel[col])
    funnel["first_response_hours"] = hours("mql_at", "first_is_contact_at")
    funnel["is_first_contact_within_sla"] = np.where(
        funnel["mql_at"].isna(), None, (funnel["first_response_hours"] <= sla_is).fillna(False)
    )
    funnel["fs_first_approach_hours"] = hours("sql_at", "first_fs_approach_at")
    funnel["is_fs_approach_within_sla"] = np.where(
        funnel["sql_at"].isna(), None, (funnel["fs_first_approach_hours"] <= sla_fs).fillna(False)
    )
    funnel["lead_to_won_days"] = hours("lead_at", "won_at") / 24
    funnel["rules_version"] = rules["ssot_rules_version"]

    # opportunities without an MA lead (renewals, direct sales), one won with a missing closed_at
    for k in range(12):
        created = start + timedelta(days=3 + 8 * k, hours=k)
        won = k % 3 == 0
        lost = k % 3 == 1
        closed_at = created + timedelta(days=20) if (won or lost) and k != 9 else None
        opps.append(
            {
                "opportunity_id": f"006X{k:03d}", "account_id": f"001{k:03d}", "company_id": f"CO{k:03d}",
                "lead_id": None, "sfa_lead_id": None, "lead_cycle_id": None, "created_at": created,
                "closed_at": closed_at,
                "close_date": (created + timedelta(days=21)).date() if (won or lost) else None,
                "stage_name": "Closed Won" if won else "Closed Lost" if lost else "Proposal",
                "is_closed": won or lost, "is_won": won, "amount_jpy": None if k == 4 else 100_000.0 * (k + 1),
                "won_amount_jpy": 100_000.0 * (k + 1) if won else 0.0,
                "loss_reason": "price" if lost else None, "lead_source": None, "campaign_id": None,
                "channel": "other", "opportunity_type": ["Renewal", "Upsell"][k % 2],
                "owner_user_id": None if k == 5 else "U_FS1", "owner_department": None if k == 5 else "Field Sales",
                "is_is_sourced": False, "is_marketing_sourced": False,
                "sales_cycle_days": 20.0 if closed_at else None, "lead_to_close_days": None,
            }
        )  # fmt: skip
    opportunities = pd.DataFrame(opps)
    for col in ("created_at", "closed_at"):
        opportunities[col] = pd.to_datetime(opportunities[col])

    # customers: won companies plus a few others; one churned
    cust_rows, sub_rows = [], []
    for k in range(25):
        customer_at = start + timedelta(days=4 * k) - timedelta(hours=9)  # Tokyo midnight as UTC
        churned = k % 6 == 0
        mrr = 10_000.0 * (1 + k % 5)
        ended_at = customer_at + timedelta(days=60) if churned else None
        months = ((ended_at or as_of) - customer_at).days / 30.4375
        cust_rows.append(
            {
                "customer_id": f"CU{k:03d}", "company_id": f"CO{k:03d}", "customer_at": customer_at,
                "churned_at": ended_at, "is_churned": churned, "active_mrr_jpy": 0.0 if churned else mrr,
                "lifetime_revenue_jpy": round(mrr * months, 2), "lifetime_months": months,
            }
        )  # fmt: skip
        sub_rows.append(
            {
                "subscription_id": f"S{k:03d}", "customer_id": f"CU{k:03d}", "company_id": f"CO{k:03d}",
                "start_date": (customer_at + timedelta(hours=9)).date(),
                "end_date": (ended_at + timedelta(hours=9)).date() if ended_at else None,
                "started_at": customer_at, "ended_at": ended_at, "mrr_jpy": mrr,
                "subscription_status": "churned" if churned else "active", "product": "core",
                "churn_reason": "budget" if churned else None,
            }
        )  # fmt: skip
    customers = pd.DataFrame(cust_rows)
    customers["churned_at"] = pd.to_datetime(customers["churned_at"])
    subscriptions = pd.DataFrame(sub_rows)
    subscriptions["ended_at"] = pd.to_datetime(subscriptions["ended_at"])

    lifecycle = pd.DataFrame(events)
    lifecycle["rules_version"] = rules["ssot_rules_version"]
    return {
        "core.fct_lead_funnel": funnel,
        "core.fct_lifecycle_events": lifecycle,
        "core.fct_opportunities": opportunities,
        "core.fct_subscriptions": subscriptions,
        "core.fct_customers": customers,
        "core.fct_campaign_costs": campaigns,
        "core.dim_users": users,
        "intermediate.int_warehouse_clock": pd.DataFrame({"as_of_at": [as_of]}),
    }


# DuckDB types of the columns whose pandas dtype would be ambiguous (all-null or object).
_TYPES = {
    "timestamp": [
        "lead_at", "mql_at", "sal_at", "sql_at", "opportunity_at", "won_at", "lost_at", "recycled_at",
        "disqualified_at", "first_is_contact_at", "appointment_set_at", "first_fs_approach_at",
        "occurred_at", "created_at", "closed_at", "customer_at", "churned_at", "started_at", "ended_at",
        "as_of_at",
    ],
    "date": ["close_date", "start_date", "end_date"],
    "boolean": [
        "is_latest_cycle", "is_first_contact_within_sla", "is_fs_approach_within_sla", "is_closed", "is_won",
        "is_is_sourced", "is_marketing_sourced", "is_churned", "is_active",
    ],
    "decimal(18, 2)": ["won_amount_jpy", "amount_jpy", "cost_jpy", "mrr_jpy", "active_mrr_jpy",
                       "lifetime_revenue_jpy"],
    "double": ["max_score", "score_at_mql", "first_response_hours", "fs_first_approach_hours",
               "lead_to_won_days", "sales_cycle_days", "lead_to_close_days", "lifetime_months"],
    "bigint": ["cycle_number", "employees"],
}  # fmt: skip
_TYPE_OF = {col: typ for typ, cols in _TYPES.items() for col in cols}


def write_core(con, frames: dict[str, pd.DataFrame]) -> None:
    """Create every core table of `frames` in the DuckDB connection, typed as the core spec."""
    for name, frame in frames.items():
        schema = name.split(".")[0]
        con.execute(f"create schema if not exists {schema}")
        con.register("_frame", frame)
        cols = ", ".join(
            f"cast({c} as {_TYPE_OF[c]}) as {c}"
            if c in _TYPE_OF
            else f"cast({c} as varchar) as {c}"
            if frame[c].dtype == object
            else c
            for c in frame.columns
        )
        con.execute(f"create or replace table {name} as select {cols} from _frame")
        con.unregister("_frame")
    # Identity writes the crosswalk from Python; the KPI layer never reads it but the project
    # declares it as a source, so it exists (empty) as in a fresh warehouse.
    con.execute(
        "create table if not exists core.company_crosswalk (source_system varchar, source_entity varchar,"
        " source_record_id varchar, company_id varchar, match_method varchar, match_probability double,"
        " rules_version varchar, resolved_at timestamp)"
    )
