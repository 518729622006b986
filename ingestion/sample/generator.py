"""`generate()`: the one entry point that writes a landing folder and its truth folder.

Owns the run: builds the world and the funnel, renders every entity per daily folder with that
day's export style (SFA alternates UTF-8-with-BOM / CP932 and API / snake_case column names),
injects bad rows, re-delivers one file, and writes the truth and manifest. Deterministic: the same
arguments give byte-identical files (no wall clock, named random streams, fixed file order).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import numpy as np

from ingestion.rules import business_rules

from . import activities as activities_mod
from . import cs as cs_mod
from . import ma as ma_mod
from . import sfa as sfa_mod
from .context import Context
from .frames import Style
from .funnel import simulate
from .people import build_people, sf_id
from .scales import get_scale
from .timeutil import DAY, jst_midnight, rng_for
from .truth import write_truth
from .world import build_campaigns, build_companies, build_users
from .writer import BAD_NUM, BAD_TS, BadRowSpec, FileSpec, Writer

GENERATOR_VERSION = "1.0.0"
SYSTEMS = ("ma", "sfa", "cs")

SFA_API = Style(ts="iso_utc_ms", date="iso", boolean="lower", columns="source")
SFA_REPORT = Style(ts="jst_slash", date="slash", boolean="upper", columns="snake")

BAD_ROWS = {
    ("ma", "activities"): BadRowSpec(
        key="activity_id",
        spoil=(("bad_timestamp", "occurred_at", BAD_TS), ("missing_key", "activity_id", ())),
        zero=("score_delta",),
    ),
    ("ma", "leads"): BadRowSpec(
        key="lead_id",
        spoil=(("bad_timestamp", "created_at", BAD_TS), ("missing_key", "lead_id", ())),
        fresh=(("email", "import-error-{k}@example.com"), ("sfa_lead_id", ""), ("sfa_contact_id", "")),
        zero=("score",),
    ),
    ("sfa", "Task"): BadRowSpec(
        key="Id", spoil=(("bad_timestamp", "CreatedDate", BAD_TS),), fresh=(("WhoId", ""), ("WhatId", ""))
    ),
    ("sfa", "Opportunity"): BadRowSpec(key="Id", spoil=(("non_numeric", "Amount", BAD_NUM),)),
    ("cs", "subscriptions"): BadRowSpec(
        key="subscription_id", spoil=(("non_numeric", "mrr", BAD_NUM),), fresh=(("customer_id", "C-{k}"),)
    ),
}
CONTRACT_ENTITY = {
    "Account": "account",
    "Contact": "contact",
    "Lead": "lead",
    "LeadHistory": "lead_history",
    "Task": "task",
    "Event": "event",
    "Opportunity": "opportunity",
    "OpportunityHistory": "opportunity_history",
    "User": "user",
}


def _spec(system: str, entity: str, day: int, sfa_styles: list[tuple[str, Style]]) -> FileSpec:
    """The export format of one entity on one day."""
    if system == "sfa":
        encoding, style = sfa_styles[day]
        return FileSpec("csv", encoding, style)
    if system == "ma":
        return {
            "leads": FileSpec("csv", style=Style(ts="iso_jst_offset")),
            "activities": FileSpec("csv.gz", style=Style(ts="jst_plain")),
            "campaigns": FileSpec("csv", style=Style(ts="iso_jst_offset")),
            "campaign_members": FileSpec("jsonl", style=Style(ts="iso_utc_z")),
        }[entity]
    if entity == "subscriptions":
        # The initial bulk load and every third day come as Parquet from the billing EL job.
        parquet = day == 0 or day % 3 == 2
        return FileSpec("parquet" if parquet else "csv", style=Style(ts="jst_plain", date="slash"))
    if entity == "health_scores":
        return FileSpec("jsonl", style=Style(ts="iso_jst_offset"))
    return FileSpec("csv", style=Style(ts="jst_plain"))


def _sfa_styles(seed: int, days: int) -> list[tuple[str, Style]]:
    """SFA export job settings per day; the first two days show both encodings and column styles."""
    rng = rng_for(seed, "sfa-styles")
    out = []
    for d in range(days):
        cp932 = rng.random() < 0.35 if d > 1 else d == 1
        snake = rng.random() < 0.25 if d > 1 else d == 1
        out.append(("cp932" if cp932 else "utf-8-sig", SFA_REPORT if snake else SFA_API))
    return out


def _clear(out: Path, truth: Path) -> None:
    for sub in SYSTEMS:
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    for name in (
        "companies.csv",
        "record_companies.csv",
        "lead_cycles.csv",
        "customers.csv",
        "bad_rows.csv",
        "deliveries.csv",
        "manifest.json",
    ):
        (truth / name).unlink(missing_ok=True)


def generate(
    scale: str,
    seed: int,
    out: Path,
    truth: Path,
    days: int | None = None,
    start: dt.date = dt.date(2026, 6, 1),
    progress: bool = True,
    overwrite: bool = False,
) -> dict:
    """Write MA/SFA/CS extracts to `<out>/<system>/<YYYY-MM-DD>/<entity>.<ext>` and the truth folder.

    Returns the manifest (also written to `<truth>/manifest.json`). Refuses to write into a landing
    folder that already holds extracts unless `overwrite` (then only ma/, sfa/, cs/ and the truth
    files are replaced).
    """
    from tqdm import tqdm

    sc = get_scale(scale)
    days = int(days or sc.days)
    if days < 1:
        raise ValueError("days must be >= 1")
    out, truth = Path(out), Path(truth)
    if any((out / s).exists() for s in SYSTEMS):
        if not overwrite:
            raise FileExistsError(f"{out} already holds extracts; pass overwrite=True to replace them")
        _clear(out, truth)
    rules = business_rules()
    threshold, reset = int(rules["mql_score_threshold"]), int(rules["recycle_score_reset"])
    start_ts = jst_midnight(start)
    end_ts = start_ts + days * DAY

    bar = tqdm(total=days + 4, desc=f"generate {sc.name}", unit="step", file=sys.stderr, disable=not progress)
    companies = build_companies(sc, seed)
    users = build_users(sc, seed, start_ts, days, sf_id)
    campaigns = build_campaigns(sc, seed, start_ts, days)
    funnel = simulate(sc, seed, start_ts, days, companies, campaigns)
    people = build_people(funnel, companies, seed, end_ts)
    rng = rng_for(seed, "installed-base")
    installed = np.sort(
        rng.choice(
            len(companies), size=max(1, round(sc.installed_base_share * len(companies))), replace=False
        )
    )
    ctx = Context(sc, seed, start_ts, days, rules, companies, users, campaigns, funnel, people, installed)
    bar.update()
    target = round(sc.activities * days / sc.days)
    act = activities_mod.simulate(funnel, end_ts, target, threshold, reset, campaigns, seed)
    bar.update()
    # Frames become compact Arrow as soon as they exist (bounded memory at scale L).
    sfa = sfa_mod.build(ctx)
    frames = [fr.finalise(days) for fr in sfa.frames]
    sfa.frames.clear()
    ma_frames = [
        ma_mod.leads_frame(ctx, act, sfa)[0].finalise(days),
        ma_mod.activities_frame(ctx, act).finalise(days),
        ma_mod.campaigns_frame(ctx).finalise(days),
        ma_mod.members_frame(ctx, act).finalise(days),
    ]
    frames = ma_frames + frames
    n_activities = len(act.lead)
    del act, ma_frames
    cust = cs_mod.build(ctx, sfa)
    frames += [fr.finalise(days) for fr in cust.frames]
    cust.frames.clear()
    bar.update()

    writer = Writer(out, rng_for(seed, "writer"))
    sfa_styles = _sfa_styles(seed, days)
    late_files: list[dict] = []
    for d in range(days):
        day_str = (start + dt.timedelta(days=d)).isoformat()
        for fr in frames:
            table, late = fr.for_day(d)
            if table.num_rows == 0:
                continue
            spec = _spec(fr.system, fr.entity, d, sfa_styles)
            bad = BAD_ROWS.get((fr.system, fr.entity)) if spec.fmt != "parquet" else None
            entity = CONTRACT_ENTITY.get(fr.entity, fr.entity)
            rel = writer.write(fr.system, day_str, fr.entity, table, fr.kinds(), spec, bad, entity)
            if late:
                late_files.append(
                    {
                        "source_file": rel,
                        "kind": "late",
                        "note": f"{late} records belong to days 1-3 before {day_str}",
                    }
                )
        bar.update()

    # One re-delivered file: the first User snapshot again, on a day without another User file.
    first_user = f"sfa/{start.isoformat()}/User.csv"
    user_days = {rel.split("/")[1] for rel in writer.counts if rel.endswith("/User.csv")}
    for d in range(2, days):
        day_str = (start + dt.timedelta(days=d)).isoformat()
        if day_str not in user_days and first_user in writer.counts:
            writer.duplicate(first_user, f"sfa/{day_str}/User.csv")
            break
    deliveries = writer.deliveries + late_files

    manifest = {
        "generator_version": GENERATOR_VERSION,
        "arguments": {"scale": sc.name, "seed": int(seed), "days": days, "start": start.isoformat()},
        "rules_version": str(rules["ssot_rules_version"]),
        "rules_used": {"mql_score_threshold": threshold, "recycle_score_reset": reset},
        "timezone_without_offset": "Asia/Tokyo",
        "totals": {
            "companies": len(companies),
            "ma_leads": int((funnel.created < end_ts).sum()),
            "ma_activities": n_activities,
            "sfa_leads": len(sfa.lead_ma),
            "sfa_accounts": int((sfa.account_created < end_ts).sum()),
            "opportunities": len(sfa.opp.created),
            "customers": len(cust.company),
            "bad_rows": len(writer.bad_rows),
            "files": len(writer.counts),
        },
        "files": dict(sorted(writer.counts.items())),
    }
    write_truth(truth, ctx, sfa, cust, writer.bad_rows, deliveries, manifest)
    bar.update()
    bar.close()
    return manifest
