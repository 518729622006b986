"""MA behaviour: every lead's activities with score deltas that reproduce the funnel's MQL times.

Owns the scoring evidence of docs/design.md: the running sum of `score_delta` (ordered by
occurred_at, activity_id) crosses `mql_score_threshold` exactly at the planned MQL activity, never
earlier in the cycle; on recycle a `score_change` resets it to `recycle_score_reset`. Everything is
vectorised (10M rows at scale L): activities are numpy columns, sorted once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .funnel import MAX_CYCLES, Funnel
from .timeutil import DAY, NEVER, rng_for
from .world import Campaigns

TYPES = (
    "web_visit",
    "pricing_page_view",
    "form_submit",
    "document_download",
    "email_open",
    "email_click",
    "webinar_registered",
    "webinar_attended",
    "event_attended",
    "score_change",
)
T = {name: i for i, name in enumerate(TYPES)}
BASE_DELTA = np.array([2, 8, 10, 10, 1, 3, 5, 15, 15, 0], dtype=np.int64)
# Ordinary behaviour mix, and the high-intent actions that tip a lead over the threshold.
ORDINARY_P = np.array([0.38, 0.06, 0.02, 0.08, 0.24, 0.12, 0.04, 0.03, 0.03, 0.0])
TIPPING = np.array(
    [
        T["pricing_page_view"],
        T["document_download"],
        T["webinar_attended"],
        T["form_submit"],
        T["event_attended"],
    ]
)
RANK_FIRST, RANK_PRE, RANK_MQL, RANK_POST, RANK_RESET = 0, 1, 2, 3, 4
ENGAGED_WINDOW = 60 * DAY  # leads that never MQL stop engaging after about two months

# (url, page_category, asset_name) options per type; one is drawn per activity.
OPTIONS: dict[str, list[tuple[str | None, str | None, str | None]]] = {
    "web_visit": [
        ("https://www.ssot-saas.co.jp/", "top", None),
        ("https://www.ssot-saas.co.jp/product/sfa", "product", None),
        ("https://www.ssot-saas.co.jp/product/ma-integration", "product", None),
        ("https://www.ssot-saas.co.jp/blog/inside-sales-kpi", "blog", None),
        ("https://www.ssot-saas.co.jp/blog/mql-definition", "blog", None),
        ("https://www.ssot-saas.co.jp/case/manufacturing", "case_study", None),
        ("https://www.ssot-saas.co.jp/careers", "careers", None),
    ],
    "pricing_page_view": [
        ("https://www.ssot-saas.co.jp/pricing", "pricing", None),
        ("https://www.ssot-saas.co.jp/pricing?plan=enterprise", "pricing", None),
    ],
    "form_submit": [
        ("https://www.ssot-saas.co.jp/contact", "form", "お問い合わせ"),
        ("https://www.ssot-saas.co.jp/download/form", "form", "資料請求フォーム"),
    ],
    "document_download": [
        ("https://www.ssot-saas.co.jp/download/whitepaper-01", "download", "営業DX完全ガイド"),
        ("https://www.ssot-saas.co.jp/download/whitepaper-02", "download", "MQL設計ハンドブック"),
        ("https://www.ssot-saas.co.jp/download/price-sheet", "download", "料金表"),
    ],
    "email_open": [(None, "email", "メルマガ 月次号"), (None, "email", "ウェビナー案内")],
    "email_click": [
        ("https://www.ssot-saas.co.jp/lp/webinar", "email", "ウェビナー案内"),
        ("https://www.ssot-saas.co.jp/lp/case", "email", "導入事例メール"),
    ],
    "webinar_registered": [("https://www.ssot-saas.co.jp/webinar/entry", "webinar", None)],
    "webinar_attended": [(None, "webinar", None)],
    "event_attended": [(None, "event", "展示会ブース来場")],
    "score_change": [(None, None, "リサイクル: スコアリセット")],
}
OPT_FLAT = [opt for name in TYPES for opt in OPTIONS[name]]
OPT_OFFSET = np.cumsum([0] + [len(OPTIONS[name]) for name in TYPES])[:-1]
OPT_COUNT = np.array([len(OPTIONS[name]) for name in TYPES])
CAMPAIGN_CHANNEL_OF_TYPE = {
    T["webinar_registered"]: "webinar",
    T["webinar_attended"]: "webinar",
    T["event_attended"]: "event",
    T["email_open"]: "email",
    T["email_click"]: "email",
}


@dataclass
class Activities:
    """Sorted by (occurred_at, lead, in-lead order): position i is activity id `A-{i+1:010d}`."""

    lead: np.ndarray  # int64 lead index
    time: np.ndarray  # int64 epoch s
    type: np.ndarray  # int8 index into TYPES
    delta: np.ndarray  # int64 score delta
    campaign: np.ndarray  # int64 campaign index, -1 none
    option: np.ndarray  # int64 index into OPT_FLAT


def _windows(f: Funnel, end_ts: int) -> list[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]]:
    """(phase, cycle, lead indexes, window start, window end) for every activity window."""
    out = []
    for k in range(MAX_CYCLES):
        st = f.stage["start"][k]
        mql = f.stage["mql"][k]
        cyc_end = np.minimum.reduce([f.stage["recycled"][k], f.stage["disq"][k], f.stage["opp"][k]])
        started = st < end_ts
        has_mql = started & (mql < NEVER)
        idx = np.flatnonzero(started)
        pre_end = np.where(has_mql, np.minimum(mql, end_ts), np.minimum(st + ENGAGED_WINDOW, end_ts))
        out.append(("pre", k, idx, st[idx], pre_end[idx]))
        idx = np.flatnonzero(has_mql & (mql < end_ts))
        out.append(("post", k, idx, mql[idx], np.minimum(cyc_end, end_ts)[idx]))
    return out


def simulate(
    f: Funnel, end_ts: int, target: int, threshold: int, reset: int, camps: Campaigns, seed: int
) -> Activities:
    rng = rng_for(seed, "activities")
    if not 0 <= reset < threshold:
        raise ValueError("recycle_score_reset must be below mql_score_threshold")
    engagement = rng.lognormal(0.0, 0.6, f.n)
    wins = _windows(f, end_ts)
    # Pre-MQL windows of MQL cycles are busier: the lead is warming up.
    weight = []
    for phase, k, idx, ws, we in wins:
        mult = 1.5 if phase == "post" else np.where(f.stage["mql"][k][idx] < NEVER, 3.0, 1.0)
        weight.append(engagement[idx] * mult * np.maximum(we - ws, 0) / DAY)
    fixed = np.count_nonzero(f.created < end_ts)
    for k in range(MAX_CYCLES):
        fixed += np.count_nonzero(f.stage["mql"][k] < end_ts) + np.count_nonzero(
            f.stage["recycled"][k] < end_ts
        )
    total_w = sum(float(w.sum()) for w in weight)
    rate = max(target - fixed, 0) / total_w if total_w else 0.0

    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("lead", "cycle", "rank", "time", "type")}

    def add(lead, cycle, rank, time, typ):
        parts["lead"].append(lead.astype(np.int64))
        parts["cycle"].append(np.full(len(lead), cycle, dtype=np.int8) if np.isscalar(cycle) else cycle)
        parts["rank"].append(np.full(len(lead), rank, dtype=np.int8))
        parts["time"].append(time.astype(np.int64))
        parts["type"].append(typ.astype(np.int8))

    live = np.flatnonzero(f.created < end_ts)
    add(live, 0, RANK_FIRST, f.created[live], np.full(len(live), T["form_submit"]))
    for (phase, k, idx, ws, we), w in zip(wins, weight, strict=True):
        counts = rng.poisson(w * rate)
        lead = np.repeat(idx, counts)
        s, e = np.repeat(ws, counts), np.repeat(we, counts)
        t = s + (rng.random(len(lead)) * (e - s)).astype(np.int64)
        t -= t % 60
        typ = rng.choice(len(TYPES), size=len(lead), p=ORDINARY_P)
        add(lead, k, RANK_PRE if phase == "pre" else RANK_POST, t, typ)
    for k in range(MAX_CYCLES):
        idx = np.flatnonzero(f.stage["mql"][k] < end_ts)
        add(idx, k, RANK_MQL, f.stage["mql"][k][idx], TIPPING[rng.integers(0, len(TIPPING), len(idx))])
        idx = np.flatnonzero(f.stage["recycled"][k] < end_ts)
        add(idx, k, RANK_RESET, f.stage["recycled"][k][idx], np.full(len(idx), T["score_change"]))
    lead, cycle, rank, time, typ = (
        np.concatenate(parts[c]) for c in ("lead", "cycle", "rank", "time", "type")
    )
    parts.clear()

    # Per (lead, cycle) in time order: clip the pre-MQL running score below the threshold, then
    # size the tipping activity so it crosses, then size the reset.
    order = np.lexsort((rank, time, cycle, lead))
    lead, cycle, rank, time, typ = lead[order], cycle[order], rank[order], time[order], typ[order]
    n = len(lead)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (lead[1:] != lead[:-1]) | (cycle[1:] != cycle[:-1])
    first = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    s0 = np.where(cycle == 0, 0, reset).astype(np.int64)
    is_pre = rank <= RANK_PRE
    base = BASE_DELTA[typ]
    first_delta = rng.integers(5, 41, n)  # the first form's attribute score (title, size, industry)
    base = np.where(rank == RANK_FIRST, first_delta, base)

    def group_cumsum(x: np.ndarray) -> np.ndarray:
        cs = np.cumsum(x)
        return cs - (cs[first] - x[first])

    pre_cs = np.minimum(group_cumsum(np.where(is_pre, base, 0)), threshold - 1 - s0)
    prev = np.where(new_group, 0, np.roll(pre_cs, 1))
    delta = np.where(is_pre, pre_cs - prev, base)
    is_mql = rank == RANK_MQL
    delta = np.where(is_mql, threshold - s0 - pre_cs + rng.integers(0, 21, n), delta)
    is_reset = rank == RANK_RESET
    before = group_cumsum(np.where(is_reset, 0, delta))
    delta = np.where(is_reset, reset - s0 - before, delta)

    # Campaign of the activity: the lead's source campaign for its first form; a recent campaign
    # of the matching channel for webinar/event/email actions.
    campaign = np.full(n, -1, dtype=np.int64)
    campaign[rank == RANK_FIRST] = f.campaign[lead[rank == RANK_FIRST]]
    chan = np.array(camps.channel)
    for ty, ch in CAMPAIGN_CHANNEL_OF_TYPE.items():
        rows = np.flatnonzero((typ == ty) & (rank != RANK_FIRST))
        cands = np.flatnonzero(chan == ch)
        if len(cands) == 0 or len(rows) == 0:
            continue
        started = np.searchsorted(camps.start[cands], time[rows], side="right")
        back = (rng.random(len(rows)) * np.minimum(started, 3)).astype(np.int64)
        campaign[rows] = np.where(
            started > 0, cands[np.maximum(started - 1 - back, 0)], f.campaign[lead[rows]]
        )
    option = OPT_OFFSET[typ] + (rng.random(n) * OPT_COUNT[typ]).astype(np.int64)

    pos = np.arange(n)
    glob = np.lexsort((pos, lead, time))
    return Activities(lead[glob], time[glob], typ[glob], delta[glob], campaign[glob], option[glob])
