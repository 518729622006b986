"""The truth folder (docs/design.md "The truth folder"): what really happened.

Owns companies.csv, record_companies.csv, lead_cycles.csv, customers.csv, bad_rows.csv,
deliveries.csv and manifest.json. Truth ids (`TC-...`) never appear in landing files.
Timestamps are UTC ISO 8601 (`2026-06-01T00:30:00Z`); a stage that did not happen inside the
range is empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .context import Context
from .cs import Customers
from .funnel import LOSS_REASONS, MAX_CYCLES
from .people import id_array, ma_lead_ids, sf_ids
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


def _iso(ts: np.ndarray, end_ts: int) -> pa.Array:
    """UTC ISO strings (`2026-06-01T00:30:00Z`), null where the time is not inside the range yet."""
    ts = np.asarray(ts, dtype=np.int64)
    text = pa.array(np.where(ts < end_ts, ts, 0)).cast(pa.timestamp("s")).cast(pa.string())
    text = pc.binary_join_element_wise(pc.replace_substring(text, " ", "T"), "Z", "")
    return pc.if_else(pa.array(ts < end_ts), text, pa.scalar(None, pa.string()))


def _write(path: Path, columns: dict[str, object]) -> int:
    """A truth CSV (UTF-8, header, nulls empty) written by Arrow: fast and memory-light at scale L."""
    table = pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in columns.items()})
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True))
    return table.num_rows


def _lead_cycles(ctx: Context, sfa: Sfa) -> pa.Table:
    f, end = ctx.funnel, ctx.end_ts
    parts, keys = [], []
    for k in range(MAX_CYCLES):
        idx = np.flatnonzero(f.stage["start"][k] < end)
        opp_ok = f.stage["opp"][k][idx] < end
        lost_ok = f.stage["lost"][k][idx] < end
        cols = {
            "lead_id": pa.array(ma_lead_ids(idx + 1), pa.string()),
            "cycle_number": pa.array(np.full(len(idx), k + 1)),
        }
        for name, stage in STAGE_OF.items():
            cols[name] = _iso(f.stage[stage][k][idx], end)
        cols["opportunity_id"] = pa.array(
            sf_ids("006", np.where(opp_ok, sfa.opp_of_cycle[k][idx], 0)), pa.string()
        )
        cols["amount_jpy"] = pa.array(f.amount[k][idx], mask=~opp_ok)
        reasons = np.array([*LOSS_REASONS, None], dtype=object)[np.where(lost_ok, f.loss_reason[k][idx], -1)]
        cols["loss_reason"] = pa.array(reasons, pa.string())
        parts.append(pa.table({c: cols[c] for c in LEAD_CYCLE_COLUMNS}))
        keys.append((idx, np.full(len(idx), k)))
    order = np.lexsort((np.concatenate([c for _, c in keys]), np.concatenate([i for i, _ in keys])))
    return pa.concat_tables(parts).take(pa.array(order))


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
    cid = np.array(comp.ids, dtype=object)
    counts: dict[str, int] = {}
    counts["companies.csv"] = _write(
        truth / "companies.csv",
        {
            "true_company_id": comp.ids,
            "canonical_name": comp.canonical,
            "corporate_number": comp.corporate_number,
            "domain": comp.domain,
            "employees": comp.employees,
            "industry": comp.industry,
            "group_id": [g or None for g in comp.group_id],
        },
    )
    live = np.flatnonzero(f.created < end)
    accounts = np.flatnonzero(sfa.account_created < end)
    n_sfa, n_cust = len(sfa.lead_company), len(cust.company)
    sizes = (len(live), len(accounts), n_sfa, n_cust)
    counts["record_companies.csv"] = _write(
        truth / "record_companies.csv",
        {
            "source_system": np.repeat(np.array(["ma", "sfa", "sfa", "cs"], dtype=object), sizes),
            "source_entity": np.repeat(
                np.array(["leads", "account", "lead", "customers"], dtype=object), sizes
            ),
            "source_record_id": np.concatenate(
                [
                    ma_lead_ids(live + 1),
                    sf_ids("001", accounts + 1),
                    sf_ids("00Q", np.arange(1, n_sfa + 1)),
                    id_array("C-", np.arange(1, n_cust + 1), 6),
                ]
            ),
            "true_company_id": np.concatenate(
                [
                    cid[f.company[live]],
                    cid[sfa.account_company[accounts]],
                    cid[sfa.lead_company],
                    cid[cust.company],
                ]
            ),
        },
    )
    cycles = _lead_cycles(ctx, sfa)
    pacsv.write_csv(cycles, truth / "lead_cycles.csv", pacsv.WriteOptions(include_header=True))
    counts["lead_cycles.csv"] = cycles.num_rows
    counts["customers.csv"] = _write(
        truth / "customers.csv",
        {
            "true_company_id": cid[cust.company],
            "customer_id": id_array("C-", np.arange(1, n_cust + 1), 6),
            "customer_at": _iso(cust.start_date_ts, 2**62),
            "churned_at": _iso(cust.churned_ts, end),
            "mrr_jpy": cust.mrr,
        },
    )
    bad_cols = ("system", "entity", "source_file", "row_number", "key", "reason_class")
    counts["bad_rows.csv"] = _write(
        truth / "bad_rows.csv",
        {
            c: pa.array([r[c] for r in bad_rows], pa.int64() if c == "row_number" else pa.string())
            for c in bad_cols
        },
    )
    del_cols = ("source_file", "kind", "note")
    counts["deliveries.csv"] = _write(
        truth / "deliveries.csv", {c: pa.array([r[c] for r in deliveries], pa.string()) for c in del_cols}
    )
    manifest["truth_rows"] = counts
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (truth / "manifest.json").write_text(text, encoding="utf-8")
    return counts
