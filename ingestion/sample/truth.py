"""The truth folder (docs/design.md "The truth folder"): what really happened.

Owns companies.csv, record_companies.csv, lead_cycles.csv, customers.csv, bad_rows.csv,
deliveries.csv and manifest.json. Truth ids (`TC-...`) never appear in landing files.
Timestamps are UTC ISO 8601 (`2026-06-01T00:30:00Z`); a stage that did not happen inside the
range is empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np

from .context import Context
from .cs import Customers
from .funnel import LOSS_REASONS, MAX_CYCLES
from .people import ma_lead_id, sf_id
from .sfa import Sfa

LEAD_CYCLE_COLUMNS = (
    "lead_id",
    "cycle_number",
    "lead_at",
    "mql_at",
    "sal_at",
    "sql_at",
    "opportunity_at",
    "won_at",
    "lost_at",
    "recycled_at",
    "disqualified_at",
    "first_is_contact_at",
    "appointment_set_at",
    "first_fs_approach_at",
    "opportunity_id",
    "amount_jpy",
    "loss_reason",
)
# truth column -> funnel stage
STAGE_OF = {
    "lead_at": "start",
    "mql_at": "mql",
    "sal_at": "sal",
    "sql_at": "sql",
    "opportunity_at": "opp",
    "won_at": "won",
    "lost_at": "lost",
    "recycled_at": "recycled",
    "disqualified_at": "disq",
    "first_is_contact_at": "contact",
    "appointment_set_at": "appt",
    "first_fs_approach_at": "fs",
}


def _iso_array(ts: np.ndarray, end_ts: int) -> list[str]:
    """UTC ISO strings, empty where the time is outside the range (not happened yet)."""
    text = np.datetime_as_string(np.clip(ts, 0, 2**40).astype("datetime64[s]"), unit="s")
    return [f"{t}Z" if v < end_ts else "" for t, v in zip(text.tolist(), ts.tolist(), strict=True)]


def _write_csv(path: Path, header: tuple[str, ...] | list[str], rows) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            count += 1
    return count


def write_truth(
    truth: Path,
    ctx: Context,
    sfa: Sfa,
    cust: Customers,
    bad_rows: list[dict],
    deliveries: list[dict],
    manifest: dict,
) -> dict[str, int]:
    truth.mkdir(parents=True, exist_ok=True)
    comp, f, end = ctx.companies, ctx.funnel, ctx.end_ts
    counts: dict[str, int] = {}
    counts["companies.csv"] = _write_csv(
        truth / "companies.csv",
        (
            "true_company_id",
            "canonical_name",
            "corporate_number",
            "domain",
            "employees",
            "industry",
            "group_id",
        ),
        zip(
            comp.ids,
            comp.canonical,
            comp.corporate_number,
            comp.domain,
            comp.employees.tolist(),
            comp.industry,
            comp.group_id,
            strict=True,
        ),
    )

    def records():
        live = np.flatnonzero(f.created < end)
        for i in live.tolist():
            yield ("ma", "leads", ma_lead_id(i + 1), comp.ids[f.company[i]])
        for a in np.flatnonzero(sfa.account_created < end).tolist():
            yield ("sfa", "account", sf_id("001", a + 1), comp.ids[sfa.account_company[a]])
        for j, c in enumerate(sfa.lead_company.tolist()):
            yield ("sfa", "lead", sf_id("00Q", j + 1), comp.ids[c])
        for k, c in enumerate(cust.company.tolist()):
            yield ("cs", "customers", f"C-{k + 1:06d}", comp.ids[c])

    counts["record_companies.csv"] = _write_csv(
        truth / "record_companies.csv",
        ("source_system", "source_entity", "source_record_id", "true_company_id"),
        records(),
    )

    def cycles():
        for k in range(MAX_CYCLES):
            live = np.flatnonzero(f.stage["start"][k] < end)
            cols = {name: _iso_array(f.stage[stage][k][live], end) for name, stage in STAGE_OF.items()}
            opp_no = sfa.opp_of_cycle[k][live]
            opp_ok = f.stage["opp"][k][live] < end
            lost_ok = f.stage["lost"][k][live] < end
            for j, i in enumerate(live.tolist()):
                yield (
                    ma_lead_id(i + 1),
                    k + 1,
                    *(cols[name][j] for name in LEAD_CYCLE_COLUMNS[2:14]),
                    sf_id("006", int(opp_no[j])) if opp_ok[j] else "",
                    int(f.amount[k][i]) if opp_ok[j] else "",
                    LOSS_REASONS[f.loss_reason[k][i]] if lost_ok[j] else "",
                )

    counts["lead_cycles.csv"] = _write_csv(truth / "lead_cycles.csv", LEAD_CYCLE_COLUMNS, cycles())
    cust_at = _iso_array(cust.start_date_ts, 2**62)
    churn_at = _iso_array(cust.churned_ts, end)
    counts["customers.csv"] = _write_csv(
        truth / "customers.csv",
        ("true_company_id", "customer_id", "customer_at", "churned_at", "mrr_jpy"),
        (
            (comp.ids[c], f"C-{k + 1:06d}", cust_at[k], churn_at[k], int(cust.mrr[k]))
            for k, c in enumerate(cust.company.tolist())
        ),
    )
    bad_cols = ("system", "entity", "source_file", "row_number", "key", "reason_class")
    counts["bad_rows.csv"] = _write_csv(
        truth / "bad_rows.csv", bad_cols, ([r[c] for c in bad_cols] for r in bad_rows)
    )
    del_cols = ("source_file", "kind", "note")
    counts["deliveries.csv"] = _write_csv(
        truth / "deliveries.csv", del_cols, ([r[c] for c in del_cols] for r in deliveries)
    )
    manifest["truth_rows"] = counts
    (truth / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return counts


def iso_date(day: dt.date) -> str:
    return day.isoformat()
