"""What happened to every lead: arrival, campaign, and the stage times of each lifecycle cycle.

Owns the funnel behaviour (rates and delays, DOMAIN.md) as numpy arrays, one row per lead and one
plane per cycle. Times are epoch seconds in whole minutes; a stage that did not happen is NEVER.
Stage times are simulated without looking at the end of the range and only masked when written,
so every later stage is strictly after its prerequisite and truncation never breaks evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scales import Scale
from .timeutil import DAY, HOUR, NEVER, business_time_of_day, rng_for, uniform_secs
from .world import CHANNEL_LEAD_WEIGHT, Campaigns, Companies

MAX_CYCLES = 3
# Probability that a cycle reaches MQL (cycle 1, then after each recycle).
P_MQL = (0.33, 0.35, 0.30)
P_CONTACT_IN_SLA, P_CONTACT_LATE = 0.80, 0.12  # the rest of MQLs are never contacted
P_SAL = 0.74  # contacted MQLs that IS accepts
P_SQL = 0.38  # SALs with confirmed intent
P_RECYCLE_AFTER_SAL, P_RECYCLE_NO_SAL = 0.60, 0.50  # else disqualified
P_APPOINTMENT = 0.42
P_FS_IN_SLA, P_FS_LATE = 0.85, 0.08
P_OPPORTUNITY = 0.55
P_RECYCLE_SQL_NO_OPP = 0.5
P_WIN = 0.28
LOSS_REASONS = ("price", "competitor", "timing", "no_budget", "no_decision", "feature_gap")
LOSS_WEIGHTS = (0.25, 0.25, 0.15, 0.15, 0.12, 0.08)
# Channels whose leads are warmer (attended something) MQL more often.
CHANNEL_MQL_LIFT = {
    "webinar": 1.25,
    "event": 1.2,
    "seminar": 1.3,
    "referral": 1.4,
    "organic": 0.9,
    "paid_ads": 0.85,
}

STAGES = (
    "start",
    "mql",
    "contact",
    "sal",
    "sql",
    "appt",
    "fs",
    "opp",
    "won",
    "lost",
    "recycled",
    "disq",
)


@dataclass
class Funnel:
    created: np.ndarray  # (n,) MA lead created_at
    company: np.ndarray  # (n,) company index
    campaign: np.ndarray  # (n,) campaign index (source campaign)
    stage: dict[str, np.ndarray]  # name -> (MAX_CYCLES, n) times, NEVER when not reached
    amount: np.ndarray  # (MAX_CYCLES, n) opportunity amount JPY (0 when no opportunity)
    loss_reason: np.ndarray  # (MAX_CYCLES, n) index into LOSS_REASONS, -1 when none

    @property
    def n(self) -> int:
        return len(self.created)


def _after(base: np.ndarray, delay: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask & (base < NEVER), base + delay, NEVER)


def lead_arrivals(rng: np.random.Generator, n: int, start_ts: int, days: int) -> np.ndarray:
    """Creation times spread over the whole range: weekdays busier, a gentle growth trend."""
    day = np.arange(days)
    weekday = (np.datetime64("1970-01-01") + (start_ts + 9 * HOUR) // DAY + day).astype("datetime64[D]")
    dow = (weekday.astype(np.int64) + 3) % 7  # 0 = Monday
    weight = np.where(dow >= 5, 0.35, 1.0) * (1 + 0.3 * day / max(days - 1, 1))
    counts = rng.multinomial(n, weight / weight.sum())
    d = np.repeat(day, counts)
    return np.sort(start_ts + d * DAY + business_time_of_day(rng, n))


def assign_campaigns(
    rng: np.random.Generator, created: np.ndarray, camps: Campaigns, start_ts: int
) -> np.ndarray:
    """The source campaign of each lead: among campaigns capturing leads that day, by channel weight."""
    out = np.empty(len(created), dtype=np.int64)
    day_of = (created - start_ts) // DAY
    chan = np.array(camps.channel)
    for d in np.unique(day_of):
        at = start_ts + int(d) * DAY
        live = np.flatnonzero((camps.start <= at) & (at <= camps.end + 7 * DAY))
        w = np.array([CHANNEL_LEAD_WEIGHT[c] for c in chan[live]])
        per_channel = {c: (chan[live] == c).sum() for c in set(chan[live])}
        w = w / np.array([per_channel[c] for c in chan[live]])
        rows = np.flatnonzero(day_of == d)
        out[rows] = live[rng.choice(len(live), size=len(rows), p=w / w.sum())]
    return out


def simulate(
    scale: Scale, seed: int, start_ts: int, days: int, companies: Companies, camps: Campaigns
) -> Funnel:
    rng = rng_for(seed, "funnel")
    n = max(1, round(scale.leads * days / scale.days))  # leads per day is the scale's, not the total
    created = lead_arrivals(rng, n, start_ts, days)
    company = rng.choice(len(companies), size=n, p=companies.weight)
    campaign = assign_campaigns(rng, created, camps, start_ts)
    chan = np.array(camps.channel)[campaign]
    lift = np.array([CHANNEL_MQL_LIFT.get(c, 1.0) for c in chan])
    lift *= np.where(companies.employees[company] >= 100, 1.1, 0.92)

    stage = {s: np.full((MAX_CYCLES, n), NEVER, dtype=np.int64) for s in STAGES}
    amount = np.zeros((MAX_CYCLES, n), dtype=np.int64)
    loss = np.full((MAX_CYCLES, n), -1, dtype=np.int64)
    start = created.copy()
    for k in range(MAX_CYCLES):
        s = {name: stage[name][k] for name in STAGES}
        s["start"][:] = start
        alive = start < NEVER
        is_mql = alive & (rng.random(n) < np.clip(P_MQL[k] * lift, 0, 0.95))
        if k == 0:  # some leads arrive hot (webinar + pricing page the same day), most warm up slowly
            quick = rng.random(n) < 0.3
            delay = np.where(
                quick,
                uniform_secs(rng, 0.5 * HOUR, 6 * HOUR, n),
                np.minimum(rng.exponential(8 * DAY, n), 45 * DAY).astype(np.int64) + 3600,
            )
        else:
            delay = uniform_secs(rng, 5 * DAY, 40 * DAY, n)
        s["mql"][:] = _after(start, delay - delay % 60, is_mql)

        u = rng.random(n)
        contacted = is_mql & (u < P_CONTACT_IN_SLA + P_CONTACT_LATE)
        c_delay = np.where(
            u < P_CONTACT_IN_SLA,
            uniform_secs(rng, 15 * 60, 23.5 * HOUR, n),
            uniform_secs(rng, 25 * HOUR, 120 * HOUR, n),
        )
        s["contact"][:] = _after(s["mql"], c_delay, contacted)
        sal = contacted & (rng.random(n) < P_SAL)
        s["sal"][:] = _after(s["contact"], uniform_secs(rng, 10 * 60, 48 * HOUR, n), sal)
        sql = sal & (rng.random(n) < P_SQL)
        s["sql"][:] = _after(s["sal"], uniform_secs(rng, HOUR, 120 * HOUR, n), sql)

        # Exits of MQLs that never became SQL (never-contacted MQLs stay open: SLA breaches).
        rec_sal = sal & ~sql & (rng.random(n) < P_RECYCLE_AFTER_SAL)
        dq_sal = sal & ~sql & ~rec_sal
        rec_nosal = contacted & ~sal & (rng.random(n) < P_RECYCLE_NO_SAL)
        dq_nosal = contacted & ~sal & ~rec_nosal
        recycled = np.where(rec_sal, _after(s["sal"], uniform_secs(rng, DAY, 10 * DAY, n), rec_sal), NEVER)
        recycled = np.where(
            rec_nosal, _after(s["contact"], uniform_secs(rng, DAY, 7 * DAY, n), rec_nosal), recycled
        )
        disq = np.where(dq_sal, _after(s["sal"], uniform_secs(rng, DAY, 5 * DAY, n), dq_sal), NEVER)
        disq = np.where(dq_nosal, _after(s["contact"], uniform_secs(rng, DAY, 5 * DAY, n), dq_nosal), disq)

        appt = sql & (rng.random(n) < P_APPOINTMENT)
        s["appt"][:] = _after(s["sql"], uniform_secs(rng, 30 * 60, 72 * HOUR, n), appt)
        u = rng.random(n)
        fs = sql & (u < P_FS_IN_SLA + P_FS_LATE)
        f_delay = np.where(
            u < P_FS_IN_SLA,
            uniform_secs(rng, 30 * 60, 40 * HOUR, n),
            uniform_secs(rng, 49 * HOUR, 150 * HOUR, n),
        )
        s["fs"][:] = _after(s["sql"], f_delay, fs)
        opp = sql & (rng.random(n) < P_OPPORTUNITY)
        opp_at = _after(s["sql"], uniform_secs(rng, DAY, 14 * DAY, n), opp)
        # The appointment is set on the lead, so it must precede the conversion to a contact.
        s["opp"][:] = np.where(appt & opp, np.maximum(opp_at, s["appt"] + HOUR), opp_at)
        rec_sql = sql & ~opp & (rng.random(n) < P_RECYCLE_SQL_NO_OPP)
        dq_sql = sql & ~opp & ~rec_sql
        recycled = np.where(
            rec_sql, _after(s["sql"], uniform_secs(rng, 7 * DAY, 30 * DAY, n), rec_sql), recycled
        )
        disq = np.where(dq_sql, _after(s["sql"], uniform_secs(rng, 7 * DAY, 20 * DAY, n), dq_sql), disq)
        if k == MAX_CYCLES - 1:  # no fourth cycle: the last recycle becomes a disqualification
            disq = np.where(recycled < NEVER, recycled, disq)
            recycled = np.full(n, NEVER, dtype=np.int64)
        s["recycled"][:] = recycled
        s["disq"][:] = disq

        won = opp & (rng.random(n) < P_WIN)
        close = _after(s["opp"], uniform_secs(rng, 14 * DAY, 120 * DAY, n), opp)
        s["won"][:] = np.where(won, close, NEVER)
        s["lost"][:] = np.where(opp & ~won, close, NEVER)
        emp = companies.employees[company]
        base = 1_500_000 * (emp / 100.0) ** 0.35
        amt = np.clip(np.round(rng.lognormal(np.log(base), 0.5) / 10_000) * 10_000, 200_000, 50_000_000)
        amount[k] = np.where(opp, amt, 0).astype(np.int64)
        loss[k] = np.where(opp & ~won, rng.choice(len(LOSS_REASONS), size=n, p=LOSS_WEIGHTS), -1)
        start = recycled
    return Funnel(created, company, campaign, stage, amount, loss)
