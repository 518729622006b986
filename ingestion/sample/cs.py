"""CS (billing / Gainsight / Zendesk style) extracts: customers, subscriptions, health, tickets.

Owns the customer side: won deals become customers (one per company, later wins add a
subscription), the installed base that predates the range renews or churns at its term end
(all subscriptions of a churned customer end `churned`, per docs/design.md), weekly health scores
and support tickets with requester e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import corporate_number, names
from .context import Context
from .frames import Frame
from .people import sf_ids
from .sfa import Sfa
from .timeutil import DAY, HOUR, NEVER, business_time_of_day, rng_for, uniform_secs

P_CHURN_AT_TERM_END = 0.2
CHURN_REASONS = ("price", "low_usage", "switched_competitor", "budget_cut", "merged", "closed_business")
PRODUCTS = ("SSOT Cloud", "SSOT Cloud Add-on")


@dataclass
class Customers:
    company: np.ndarray
    created: np.ndarray  # customer record created
    start_date_ts: np.ndarray  # JST midnight of the first subscription start
    churned_ts: np.ndarray  # JST midnight of the final end_date, NEVER when not churned
    mrr: np.ndarray  # total MRR of the latest subscription versions
    frames: list[Frame]


def _jst_midnight(ts: np.ndarray) -> np.ndarray:
    return ts - (ts + 9 * HOUR) % DAY


def build(ctx: Context, sfa: Sfa) -> Customers:
    rng = rng_for(ctx.seed, "cs")
    end, comp = ctx.end_ts, ctx.companies
    opp = sfa.opp
    won = np.flatnonzero(opp.won & (opp.close < end))
    won = won[np.lexsort((won, opp.close[won]))]

    # customers: installed base first (created before the range), then first wins per company
    inst = np.asarray(ctx.installed, dtype=np.int64)
    inst_created = (
        ctx.start_ts - rng.integers(30, 720, len(inst)) * DAY + business_time_of_day(rng, len(inst))
    )
    onboard = opp.close[won] + uniform_secs(rng, DAY, 5 * DAY, len(won))
    seen = set(inst.tolist())
    new_c, new_t, extra_c, extra_t, extra_opp, first_opp = [], [], [], [], [], []
    for j, o in enumerate(won.tolist()):
        c = int(opp.company[o])
        if onboard[j] >= end:
            continue
        if c in seen:
            extra_c.append(c)
            extra_t.append(onboard[j])
            extra_opp.append(o)
        else:
            seen.add(c)
            new_c.append(c)
            new_t.append(onboard[j])
            first_opp.append(o)
    company = np.concatenate([inst, np.array(new_c, dtype=np.int64)])
    created = np.concatenate([inst_created, np.array(new_t, dtype=np.int64)])
    n_cust = len(company)
    cust_of_company = {int(c): i for i, c in enumerate(company.tolist())}
    inst_mrr = (np.round(rng.lognormal(np.log(150_000), 0.6, len(inst)) / 1000) * 1000).astype(np.int64)
    first_mrr = np.concatenate(
        [inst_mrr, np.round(opp.amount[first_opp] / 12 / 1000).astype(np.int64) * 1000]
    )

    # subscriptions: one per customer, plus one per later win; 12-month terms
    s_cust = np.concatenate(
        [np.arange(n_cust), np.array([cust_of_company[c] for c in extra_c], dtype=np.int64)]
    )
    s_start = np.concatenate([_jst_midnight(created), _jst_midnight(np.array(extra_t, dtype=np.int64))])
    s_mrr = np.concatenate([first_mrr, np.round(opp.amount[extra_opp] / 12 / 1000).astype(np.int64) * 1000])
    s_product = np.concatenate([np.zeros(n_cust, np.int64), np.ones(len(extra_c), np.int64)])
    s_created = np.concatenate([created, np.array(extra_t, dtype=np.int64)])
    n_sub = len(s_cust)
    term_end = s_start + 365 * DAY - DAY
    while True:  # roll installed-base terms forward to the one running at the range start
        behind = term_end < ctx.start_ts
        if not behind.any():
            break
        term_end = np.where(behind, term_end + 365 * DAY, term_end)

    # term ends inside the range: the customer renews (end_date moves a year) or churns
    churn_ts = np.full(n_cust, NEVER, dtype=np.int64)
    reason = np.full(n_cust, -1, dtype=np.int64)
    ver_sub, ver_time, ver_end, ver_status = (
        [np.arange(n_sub)],
        [s_created],
        [term_end.copy()],
        [np.zeros(n_sub, np.int64)],
    )
    cur_end = term_end.copy()
    primary = np.arange(n_cust)  # subscription index of each customer's first subscription
    for _ in range(3):
        due = np.flatnonzero(cur_end[primary] + 10 * HOUR < end)
        due = due[churn_ts[due] >= NEVER]
        if len(due) == 0:
            break
        churn = rng.random(len(due)) < P_CHURN_AT_TERM_END
        for ci, ch in zip(due.tolist(), churn.tolist(), strict=True):
            t = int(cur_end[primary[ci]] + 10 * HOUR)
            subs = np.flatnonzero(s_cust == ci)
            if ch:
                churn_ts[ci] = int(cur_end[primary[ci]])
                reason[ci] = int(rng.integers(0, len(CHURN_REASONS)))
                for s in subs.tolist():
                    ver_sub.append(np.array([s]))
                    ver_time.append(np.array([t]))
                    ver_end.append(np.array([cur_end[primary[ci]]]))
                    ver_status.append(np.array([1]))
                    cur_end[s] = cur_end[primary[ci]]
            else:
                for s in subs.tolist():
                    cur_end[s] = cur_end[s] + 365 * DAY
                    ver_sub.append(np.array([s]))
                    ver_time.append(np.array([t]))
                    ver_end.append(np.array([cur_end[s]]))
                    ver_status.append(np.array([0]))
    vs, vt, ve, vst = (np.concatenate(x) for x in (ver_sub, ver_time, ver_end, ver_status))
    mrr_total = np.zeros(n_cust, dtype=np.int64)
    np.add.at(mrr_total, s_cust, s_mrr)

    cust_ids = np.array([f"C-{i + 1:06d}" for i in range(n_cust)], dtype=object)
    sub_ids = np.array([f"SUB-{i + 1:06d}" for i in range(n_sub)], dtype=object)
    sub_frame = Frame(
        "cs",
        "subscriptions",
        {
            "subscription_id": ("str", sub_ids[vs]),
            "customer_id": ("str", cust_ids[s_cust[vs]]),
            "start_date": ("date", s_start[vs]),
            "mrr": ("int", s_mrr[vs]),
            "end_date": ("date", ve),
            "status": ("str", np.array(["active", "churned"], dtype=object)[vst]),
            "product": ("str", np.array(PRODUCTS, dtype=object)[s_product[vs]]),
            "churn_reason": (
                "str",
                np.where(vst == 1, np.array([*CHURN_REASONS, None], dtype=object)[reason[s_cust[vs]]], None),
            ),
            "updated_at": ("ts", vt),
        },
        ctx.day_of(vt),
        order=vt,
    )

    # customer records: creation, and an update when they churn
    acc_ids = sf_ids("001", np.arange(1, len(sfa.account_company) + 1))
    u = rng.random(n_cust)
    sfa_ref = np.where(u < 0.85, acc_ids[np.maximum(sfa.primary_account[company] - 1, 0)], None)
    sfa_ref = np.where(
        (u >= 0.85) & (u < 0.9),
        sf_ids("001", np.arange(80_000_000, 80_000_000 + n_cust)),
        sfa_ref,
    )
    sfa_ref = np.where(sfa.primary_account[company] == 0, None, sfa_ref)
    weights = np.asarray(names.VARIANT_WEIGHTS["cs"])
    variant = rng.choice(len(weights), size=n_cust, p=weights / weights.sum())
    corp = np.full(n_cust, None, dtype=object)
    for i in np.flatnonzero(rng.random(n_cust) < 0.5).tolist():
        num = comp.corporate_number[company[i]]
        corp[i] = corporate_number.corrupt(num, rng) if rng.random() < 0.02 else num
    dom = np.array(comp.domain, dtype=object)[company]
    dom = np.where(rng.random(n_cust) < 0.1, np.array([f"www.{d}" for d in dom], dtype=object), dom)
    plan = np.where(
        mrr_total >= 300_000, "Enterprise", np.where(mrr_total >= 100_000, "Standard", "Starter")
    ).astype(object)
    churned = np.flatnonzero(churn_ts < NEVER)
    cv = np.concatenate([np.arange(n_cust), churned])
    ct = np.concatenate([created, churn_ts[churned] + 10 * HOUR])
    cust_frame = Frame(
        "cs",
        "customers",
        {
            "customer_id": ("str", cust_ids[cv]),
            "company_name": ("str", comp.variants[company, variant][cv]),
            "created_at": ("ts", created[cv]),
            "domain": ("str", dom[cv]),
            "corporate_number": ("str", corp[cv]),
            "sfa_account_id": ("str", sfa_ref[cv]),
            "plan": ("str", plan[cv]),
            "prefecture": ("str", np.array(comp.prefecture, dtype=object)[company][cv]),
            "employees": ("int", comp.employees[company][cv]),
            "updated_at": ("ts", ct),
        },
        ctx.day_of(ct),
        order=ct,
    )

    health = _health(ctx, rng, cust_ids, created, churn_ts)
    tickets = _tickets(ctx, rng, cust_ids, company, created, churn_ts)
    first_start = _jst_midnight(created)
    return Customers(
        company, created, first_start, churn_ts, mrr_total, [cust_frame, sub_frame, health, tickets]
    )


def _health(ctx, rng, cust_ids, created, churn_ts) -> Frame:
    """Weekly health scores (Mondays 09:00 JST) for customers live at that moment."""
    mondays = [
        t
        for t in range(ctx.start_ts, ctx.end_ts, DAY)
        if (np.datetime64(int(t + 9 * HOUR), "s").astype("datetime64[D]").astype(np.int64) + 3) % 7 == 0
    ]
    base = rng.uniform(45, 95, len(cust_ids))
    rows_c, rows_t, rows_h = [], [], []
    for m in mondays:
        t = m + 9 * HOUR
        live = np.flatnonzero((created <= t) & (t < churn_ts))
        # churners slide towards the churn date
        slide = np.where(churn_ts[live] < NEVER, np.clip((churn_ts[live] - t) / (120 * DAY), 0, 1), 1.0)
        h = np.clip(base[live] * (0.5 + 0.5 * slide) + rng.normal(0, 4, len(live)), 0, 100)
        rows_c.append(live)
        rows_t.append(np.full(len(live), t, dtype=np.int64))
        rows_h.append(np.round(h, 1))
    c = np.concatenate(rows_c) if rows_c else np.zeros(0, np.int64)
    t = np.concatenate(rows_t) if rows_t else np.zeros(0, np.int64)
    h = np.concatenate(rows_h) if rows_h else np.zeros(0)
    return Frame(
        "cs",
        "health_scores",
        {
            "customer_id": ("str", cust_ids[c]),
            "scored_at": ("ts", t),
            "health_score": ("float", h),
        },
        ctx.day_of(t),
        order=t,
    )


def _tickets(ctx, rng, cust_ids, company, created, churn_ts) -> Frame:
    comp = ctx.companies
    lo = np.maximum(created, ctx.start_ts)
    hi = np.minimum(churn_ts, ctx.end_ts)
    span = np.maximum(hi - lo, 0) / DAY
    count = rng.poisson(span * 2 / 30)  # about two tickets a month
    c = np.repeat(np.arange(len(cust_ids)), count)
    t = lo[c] + (rng.random(len(c)) * (hi[c] - lo[c])).astype(np.int64)
    t -= t % 60
    solved = t + uniform_secs(rng, HOUR, 10 * DAY, len(c))
    fam = rng.integers(0, len(names.FAMILY_NAMES), len(c))
    free = rng.random(len(c)) < 0.1
    email = np.array(
        [
            f"{names.FAMILY_NAMES[fi][1]}{i % 97}@{names.FREE_MAIL_DOMAINS[i % len(names.FREE_MAIL_DOMAINS)]}"
            if fr
            else f"{names.FAMILY_NAMES[fi][1]}@{comp.domain[company[ci]]}"
            for i, (fi, fr, ci) in enumerate(zip(fam, free, c, strict=True))
        ],
        dtype=object,
    )
    prio = np.array(["low", "normal", "high", "urgent"], dtype=object)[
        rng.choice(4, len(c), p=[0.3, 0.5, 0.15, 0.05])
    ]
    n = len(c)
    is_solved = solved < ctx.end_ts
    v = np.concatenate([np.arange(n), np.flatnonzero(is_solved)])
    solved_v = np.concatenate([np.full(n, NEVER, dtype=np.int64), solved[is_solved]])
    vt = np.concatenate([t, solved[is_solved]])
    late_by = np.where(rng.random(len(v)) < 0.02, rng.integers(1, 4, len(v)), 0)
    day = np.minimum(ctx.day_of(vt) + late_by, ctx.days - 1)
    order = np.lexsort((np.arange(n), t))
    num = np.empty(n, dtype=np.int64)
    num[order] = np.arange(1, n + 1)
    ids = np.array([f"TKT-{x:07d}" for x in num], dtype=object)
    return Frame(
        "cs",
        "tickets",
        {
            "ticket_id": ("str", ids[v]),
            "customer_id": ("str", cust_ids[c][v]),
            "created_at": ("ts", t[v]),
            "requester_email": ("str", email[v]),
            "solved_at": ("ts", solved_v),
            "priority": ("str", prio[v]),
            "status": ("str", np.where(solved_v < NEVER, "solved", "open").astype(object)),
        },
        day,
        late=day > ctx.day_of(vt),
        order=vt,
    )
