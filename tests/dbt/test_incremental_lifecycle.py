"""The incremental lifecycle models (int_lead_cycles_*, fct_lifecycle_events; change set
int_lead_changes) must equal a full build of the same raw data after every run.

On the hand-made history of test_lifecycle_handmade, two more deliveries, each followed by an
incremental `dbt build` and compared, table by table, with a `--full-refresh` build of a copy:
  day 2: a new MQL, an activity re-delivered on ANOTHER lead, a recycle (new cycle), a task moved
         between SFA leads, a soft-deleted SFA lead (its MA lead loses the link), a new MA lead,
         a new opportunity, and an identity re-assignment of a lead's company;
  day 3: no lifecycle input of any lead changes (the change set is empty, the cycle tables keep
         their rows), but the clock moves a month (a later CS extract), so a pending first-contact
         SLA becomes a breach (fct_lead_funnel updates the clock columns of rows it keeps), and
         fct_lead_funnel's other inputs change: a campaign's channel (L1), an SFA lead's owner
         without any lead history (L3's IS owner) and identity re-assigns L9's company; the funnel
         finds those leads by comparing their attributes (fct_lead_funnel header); identity maps
         O1's account to a company and O2 (no lead converted into it) is soft-deleted
         (fct_opportunities compares and reads raw changes the same way).
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
from dbt_harness import LIFECYCLE_SELECT, build, full_build_of_copy, query, tables
from test_lifecycle_handmade import create_raw, deliver, replace_crosswalk, ts, write_history

COMPARED = [
    "intermediate.int_leads_linked",
    "intermediate.int_lead_cycles_bounded",
    "intermediate.int_lead_cycle_scores_aggregated",
    "intermediate.int_lead_cycles_assembled",
    "core.fct_lead_funnel",
    "core.fct_lifecycle_events",
    "core.fct_opportunities",
]

# the funnel's lead attributes day 3 changes without a lifecycle input of the lead changing
LEAD_ATTRIBUTES = (
    "select lead_id, channel, is_owner_user_id, company_id from core.fct_lead_funnel "
    "where lead_id in ('L1', 'L3', 'L9') and is_latest_cycle order by 1"
)

OPPORTUNITIES = "select opportunity_id, company_id, channel from core.fct_opportunities order by 1"


def test_incremental_lifecycle_equals_a_full_build(tmp_path):
    work, warehouse = tmp_path / "dbt", tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw(con)
        write_history(con)
        replace_crosswalk(
            con, [("ma", "leads", "L1", "CO-A"), ("ma", "leads", "L2", "CO-B"), ("ma", "leads", "L3", "CO-C")]
        )
    build(work, warehouse, LIFECYCLE_SELECT)
    assert tables(warehouse, COMPARED) == full_build_of_copy(
        tmp_path, warehouse, "full_day1", LIFECYCLE_SELECT, COMPARED
    )
    leads_before = query(warehouse, "select count(*) from intermediate.int_lead_changes")[0][0]
    assert leads_before == 3  # a first build: every lead

    # day 2
    with duckdb.connect(str(warehouse)) as con:
        deliver(con, date(2025, 5, 16), datetime(2025, 5, 17, 0, 0), {
            ("ma", "leads"): [
                {"lead_id": "L9", "email": "new@example.org", "created_at": ts("2025-05-16 01:00"),
                 "lead_source": "Webinar"},
            ],
            ("ma", "activities"): [
                # L2 crosses the MQL threshold; no IS contact follows (its SLA is pending at the clock)
                {"activity_id": "A6", "lead_id": "L2", "activity_type": "form_submit",
                 "occurred_at": ts("2025-05-16 06:00"), "score_delta": 80},
                # A4 moves from L1 to L3: L1's cycle 2 loses its MQL, L3 gains activity
                {"activity_id": "A4", "lead_id": "L3", "activity_type": "webinar_attended",
                 "occurred_at": ts("2025-04-10 00:00"), "score_delta": 55},
                {"activity_id": "A7", "lead_id": "L9", "activity_type": "form_submit",
                 "occurred_at": ts("2025-05-16 02:00"), "score_delta": 90},
            ],
            ("sfa", "lead"): [
                # S2 is soft-deleted: L2 loses its SFA lead
                {"id": "S2", "status": "Open", "created_date": ts("2025-04-02 01:00"), "owner_id": "U_IS",
                 "is_deleted": True},
            ],
            ("sfa", "lead_history"): [
                # L3 (by e-mail to S3) is worked and recycled: a second cycle
                {"id": "H6", "lead_id": "S3", "field": "Status", "created_date": ts("2025-05-16 03:00"),
                 "new_value": "Working"},
                {"id": "H7", "lead_id": "S3", "field": "Status", "created_date": ts("2025-05-16 05:00"),
                 "new_value": "Nurturing"},
            ],
            ("sfa", "opportunity"): [
                # an opportunity no lead converted into (soft-deleted on day 3)
                {"id": "O2", "stage_name": "Prospecting", "created_date": ts("2025-05-16 00:00"), "account_id": "ACC2",
                 "amount": 500000, "owner_id": "U_FS", "type": "New Business",
                 "last_modified_date": ts("2025-05-16 00:00")},
            ],
            ("sfa", "task"): [
                # T3 (L1's first IS contact of cycle 2) is re-delivered on S3
                {"id": "T3", "created_date": ts("2025-04-10 05:00"), "who_id": "S3", "owner_id": "U_IS",
                 "type": "Email"},
            ],
        })  # fmt: skip
        # identity re-assigns L3 to another company (no lifecycle row of L3's changes for that)
        replace_crosswalk(con, [("ma", "leads", "L1", "CO-A"), ("ma", "leads", "L2", "CO-B"), ("ma", "leads", "L3", "CO-D"),
                         ("ma", "leads", "L9", "CO-A")])  # fmt: skip
    build(work, warehouse, LIFECYCLE_SELECT)
    day2 = tables(warehouse, COMPARED)
    assert day2 == full_build_of_copy(tmp_path, warehouse, "full_day2", LIFECYCLE_SELECT, COMPARED)
    changed = {r[0] for r in query(warehouse, "select lead_id from intermediate.int_lead_changes")}
    assert changed == {"L1", "L2", "L3", "L9"}
    cycles = query(
        warehouse, "select lead_id, count(*) from intermediate.int_lead_cycles_bounded group by 1 order by 1"
    )
    assert cycles == [("L1", 2), ("L2", 1), ("L3", 2), ("L9", 1)]
    (pending,) = query(warehouse, "select is_first_contact_within_sla from core.fct_lead_funnel "
                                    "where lead_cycle_id = 'L2#1'")  # fmt: skip
    assert pending == (None,)
    assert query(warehouse, OPPORTUNITIES) == [("O1", None, "webinar"), ("O2", None, "other")]
    assert query(warehouse, LEAD_ATTRIBUTES) == [
        ("L1", "webinar", "U_IS", "CO-A"),
        ("L3", "other", None, "CO-D"),
        ("L9", "webinar", None, "CO-A"),
    ]

    # day 3: no lifecycle input of any lead; a later CS extract moves the clock a month, a campaign
    # changes channel, an SFA lead gets an owner, identity moves L9 to another company
    with duckdb.connect(str(warehouse)) as con:
        deliver(con, date(2025, 6, 20), datetime(2025, 6, 21, 0, 0), {
            ("cs", "customers"): [
                {"customer_id": "CU3", "company_name": "Third KK", "created_at": ts("2025-06-20 00:00")},
            ],
            ("ma", "campaigns"): [
                {"campaign_id": "CP1", "name": "Webinar April", "channel": "event", "cost": 300000,
                 "start_date": date(2025, 4, 1), "end_date": date(2025, 4, 30)},
            ],
            ("sfa", "opportunity"): [
                {"id": "O2", "stage_name": "Prospecting", "created_date": ts("2025-05-16 00:00"), "account_id": "ACC2",
                 "amount": 500000, "owner_id": "U_FS", "type": "New Business", "is_deleted": True,
                 "last_modified_date": ts("2025-06-20 00:00")},
            ],
            ("sfa", "lead"): [
                {"id": "S3", "status": "Open", "created_date": ts("2025-04-02 01:00"), "email": "hanako@example.com",
                 "owner_id": "U_IS"},
            ],
        })  # fmt: skip
        replace_crosswalk(con, [("ma", "leads", "L1", "CO-A"), ("ma", "leads", "L2", "CO-B"), ("ma", "leads", "L3", "CO-D"),
                         ("ma", "leads", "L9", "CO-E"), ("sfa", "account", "ACC1", "CO-A")])  # fmt: skip
    build(work, warehouse, LIFECYCLE_SELECT)
    assert query(warehouse, "select count(*) from intermediate.int_lead_changes") == [(0,)]
    day3 = tables(warehouse, COMPARED)
    assert day3 == full_build_of_copy(tmp_path, warehouse, "full_day3", LIFECYCLE_SELECT, COMPARED)
    (breached,) = query(warehouse, "select is_first_contact_within_sla from core.fct_lead_funnel "
                                     "where lead_cycle_id = 'L2#1'")  # fmt: skip
    assert breached == (False,)
    assert query(warehouse, LEAD_ATTRIBUTES) == [
        ("L1", "event", "U_IS", "CO-A"),
        ("L3", "other", "U_IS", "CO-D"),
        ("L9", "webinar", None, "CO-E"),
    ]
    # O1: account company by identity, channel by its (originating) campaign; O2 soft-deleted
    assert query(warehouse, OPPORTUNITIES) == [("O1", "CO-A", "event")]
    assert day3["intermediate.int_lead_cycles_assembled"] == day2["intermediate.int_lead_cycles_assembled"]
