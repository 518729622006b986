"""MA (Marketo / Account Engagement style) extracts: leads, activities, campaigns, members.

Owns the MA side: lead versions (one per lead and day on which it changed: new activity, sync to
SFA, conversion) whose `score` is the running sum of the activities up to `updated_at`, the
activity rows themselves (vectorised, 10M at scale L), full campaign snapshots when campaigns
change, and campaign membership from source campaigns and webinar/event attendance.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import corporate_number, names
from .activities import OPT_FLAT, TYPES, Activities, T
from .context import Context
from .frames import INT_NULL, Frame, by_index
from .people import BOTH, MA_SIDE_ONLY, MA_WRONG, SFA_WRONG, sf_ids
from .sfa import Sfa
from .timeutil import DAY, rng_for


def _prefixed(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers.astype(np.int64)).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def activities_frame(ctx: Context, act: Activities) -> Frame:
    """Ids as numbers and strings as dictionaries: ~40 bytes per activity until its day is written."""
    camp_ids = [*ctx.campaigns.ids, None]
    url, cat, asset = (list(col) for col in zip(*OPT_FLAT, strict=True))
    return Frame(
        "ma",
        "activities",
        {
            "activity_id": ("id:A-:10", np.arange(1, len(act.lead) + 1)),
            "lead_id": ("id:L-:7", act.lead + 1),
            "activity_type": ("str", by_index(TYPES, act.type)),
            "occurred_at": ("ts", act.time),
            "campaign_id": (
                "str",
                by_index(camp_ids, np.where(act.campaign < 0, len(ctx.campaigns), act.campaign)),
            ),
            "url": ("str", by_index(url, act.option)),
            "page_category": ("str", by_index(cat, act.option)),
            "asset_name": ("str", by_index(asset, act.option)),
            "score_delta": ("int", act.delta),
        },
        ctx.day_of(act.time),
    )


def leads_frame(ctx: Context, act: Activities, sfa: Sfa) -> tuple[Frame, np.ndarray, np.ndarray]:
    """MA lead versions; also returns (lead index, score) of each lead's latest version."""
    rng = rng_for(ctx.seed, "ma-leads")
    f, p, comp, end = ctx.funnel, ctx.people, ctx.companies, ctx.end_ts
    n = f.n
    sync_ok = np.flatnonzero(p.sync_at < end)
    conv_ok = np.flatnonzero(sfa.contact_at < end)
    lead = np.concatenate([act.lead, sync_ok, conv_ok])
    time = np.concatenate([act.time, p.sync_at[sync_ok], sfa.contact_at[conv_ok]])
    delta = np.concatenate([act.delta, np.zeros(len(sync_ok) + len(conv_ok), dtype=np.int64)])
    src = np.concatenate(
        [np.zeros(len(act.lead), np.int8), np.ones(len(sync_ok), np.int8), np.full(len(conv_ok), 2, np.int8)]
    )
    pos = np.arange(len(lead))  # activities are already in id order
    o = np.lexsort((pos, src, time, lead))
    lead, time, delta = lead[o], time[o], delta[o]
    m = len(lead)
    new = np.ones(m, dtype=bool)
    new[1:] = lead[1:] != lead[:-1]
    first = np.maximum.accumulate(np.where(new, np.arange(m), 0))
    cs = np.cumsum(delta)
    score = cs - (cs[first] - delta[first])
    day = ctx.day_of(time)
    last = np.ones(m, dtype=bool)
    last[:-1] = (lead[1:] != lead[:-1]) | (day[1:] != day[:-1])
    v = np.flatnonzero(last)
    vl, vt, vs = lead[v], time[v], score[v]

    weights = np.asarray(names.VARIANT_WEIGHTS["ma"])
    variant = rng.choice(len(weights), size=n, p=weights / weights.sum())
    company_name = comp.variants[f.company, variant]
    emp = comp.employees[f.company]
    bands = np.array([10, 50, 100, 300, 1000, 5000])  # "about 300" typed into a form
    banded = bands[np.clip(np.searchsorted(bands, emp), 0, len(bands) - 1)]
    u = rng.random(n)
    employees = np.where(u < 0.3, INT_NULL, np.where(u < 0.5, banded, emp))
    corp = np.full(n, None, dtype=object)
    for i in np.flatnonzero(rng.random(n) < 0.10).tolist():
        num = comp.corporate_number[f.company[i]]
        corp[i] = corporate_number.corrupt(num, rng) if rng.random() < 0.02 else num
    sfa_ref = sf_ids("00Q", p.sfa_number)
    wrong_ref = sf_ids("00Q", np.arange(90_000_000, 90_000_000 + n))
    show = (vt >= p.sync_at[vl]) & np.isin(p.link[vl], [BOTH, MA_SIDE_ONLY, SFA_WRONG, MA_WRONG])
    lead_ref = np.where(p.link == MA_WRONG, wrong_ref, sfa_ref)
    contact_ids = sf_ids("003", np.arange(0, int(sfa.contact_of_lead.max(initial=0)) + 1))
    synced_contact = rng.random(n) < 0.6
    contact_of_person = contact_ids[sfa.contact_of_lead]
    contact_shown = (vt >= sfa.contact_at[vl]) & synced_contact[vl]
    chan = np.array(ctx.campaigns.channel, dtype=object)
    industry = np.where(rng.random(n) < 0.3, None, np.array(comp.industry, dtype=object)[f.company])
    pref = np.where(rng.random(n) < 0.2, None, np.array(comp.prefecture, dtype=object)[f.company])
    # A few creation rows reach the MA export 1-3 days late.
    created_day = ctx.day_of(f.created[vl])
    is_creation = ctx.day_of(vt) == created_day
    late_by = np.where(is_creation & (rng.random(len(v)) < 0.01), rng.integers(1, 4, len(v)), 0)
    deliver = np.minimum(ctx.day_of(vt) + late_by, ctx.days - 1)
    frame = Frame(
        "ma",
        "leads",
        {
            "lead_id": ("id:L-:7", vl + 1),
            "email": ("str", by_index(pa.array(p.email, pa.string()), vl)),
            "created_at": ("ts", f.created[vl]),
            "first_name": ("str", by_index([g[0] for g in names.GIVEN_NAMES], p.given[vl])),
            "last_name": ("str", by_index([g[0] for g in names.FAMILY_NAMES], p.family[vl])),
            "company_name": ("str", by_index(pa.array(company_name, pa.string()), vl)),
            "job_title": ("str", by_index(pa.array(p.title, pa.string()), vl)),
            "phone": ("str", by_index(pa.array(p.phone, pa.string()), vl)),
            "employees": ("int", employees[vl]),
            "industry": ("str", by_index(pa.array(industry, pa.string()), vl)),
            "prefecture": ("str", by_index(pa.array(pref, pa.string()), vl)),
            "corporate_number": ("str", by_index(pa.array(corp, pa.string()), vl)),
            "lead_source": ("str", by_index(chan, f.campaign[vl])),
            "campaign_id": ("str", by_index(ctx.campaigns.ids, f.campaign[vl])),
            "score": ("int", vs),
            "sfa_lead_id": ("str", by_index(pa.array(lead_ref, pa.string()), vl, null=~show)),
            "sfa_contact_id": (
                "str",
                by_index(pa.array(contact_of_person, pa.string()), vl, null=~contact_shown),
            ),
            "updated_at": ("ts", vt),
        },
        deliver,
        late=deliver > ctx.day_of(vt),
        order=vt,
    )
    final = np.ones(len(v), dtype=bool)
    final[:-1] = vl[1:] != vl[:-1]
    return frame, vl[final], vs[final]


def campaigns_frame(ctx: Context) -> Frame:
    """Full snapshots of the campaign list on day 1 and whenever a campaign appears or closes its cost."""
    c = ctx.campaigns
    change_days = {0}
    for t in np.concatenate([c.created_at, c.finalised_at]):
        if ctx.start_ts <= t < ctx.end_ts:
            change_days.add(int((t - ctx.start_ts) // DAY))
    idx, days, as_of = [], [], []
    for d in sorted(change_days):
        cutoff = ctx.start_ts + (d + 1) * DAY
        for i in np.flatnonzero(c.created_at < cutoff).tolist():
            idx.append(i)
            days.append(d)
            as_of.append(cutoff)
    idx = np.array(idx, dtype=np.int64)
    as_of = np.array(as_of, dtype=np.int64)
    final = c.finalised_at[idx] < as_of
    return Frame(
        "ma",
        "campaigns",
        {
            "campaign_id": ("str", np.array(c.ids, dtype=object)[idx]),
            "name": ("str", np.array(c.name, dtype=object)[idx]),
            "channel": ("str", np.array(c.channel, dtype=object)[idx]),
            "start_date": ("date", c.start[idx]),
            "end_date": ("date", c.end[idx]),
            "cost": ("int", np.where(final, c.actual[idx], c.budget[idx])),
            "currency": ("str", np.full(len(idx), "JPY", dtype=object)),
            "updated_at": ("ts", np.where(final, c.finalised_at[idx], c.created_at[idx])),
        },
        np.array(days, dtype=np.int64),
    )


def members_frame(ctx: Context, act: Activities) -> Frame:
    f = ctx.funnel
    live = np.flatnonzero(f.created < ctx.end_ts)
    reg = np.flatnonzero(
        np.isin(act.type, [T["webinar_registered"], T["webinar_attended"], T["event_attended"]])
        & (act.campaign >= 0)
    )
    camp = np.concatenate([f.campaign[live], act.campaign[reg]])
    lead = np.concatenate([live, act.lead[reg]])
    t = np.concatenate([f.created[live], act.time[reg]])
    status = np.concatenate(
        [
            np.full(len(live), "Responded", dtype=object),
            np.where(act.type[reg] == T["webinar_registered"], "Registered", "Attended").astype(object),
        ]
    )
    responded = np.where(status == "Registered", np.int64(2**62), t)
    return Frame(
        "ma",
        "campaign_members",
        {
            "campaign_id": ("str", np.array(ctx.campaigns.ids, dtype=object)[camp]),
            "lead_id": ("str", _prefixed("L-", lead + 1, 7)),
            "member_status": ("str", status),
            "responded_at": ("ts", responded),
            "created_at": ("ts", t),
        },
        ctx.day_of(t),
        order=t,
    )
