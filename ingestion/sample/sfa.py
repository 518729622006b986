"""SFA (Salesforce-style) records: accounts, contacts, leads and their history, tasks, events,
opportunities and their history, users.

Owns the SFA side of the lifecycle evidence (docs/design.md): LeadHistory Status changes for SAL,
SQL, recycle, disqualification and conversion; IS Call/Email tasks for first contact; Events for
appointments; Field Sales tasks for the first approach; Lead.ConvertedOpportunityId and
OpportunityHistory Closed Won/Lost. Noise that the rules must ignore is added on purpose (tasks by
Marketing users, IS tasks of type Other, Field Sales meetings on the opportunity only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import corporate_number, names
from .context import Context
from .frames import INT_NULL, Frame
from .funnel import LOSS_REASONS, LOSS_WEIGHTS, MAX_CYCLES, P_WIN
from .people import BOTH, EMAIL_ONLY, MA_SIDE_ONLY, MA_WRONG, SFA_SIDE_ONLY, SFA_WRONG, ma_lead_ids, sf_ids
from .timeutil import DAY, HOUR, NEVER, business_time_of_day, rng_for, uniform_secs

STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")
STAGE_AT = (0.0, 0.2, 0.5, 0.8)  # share of the way from creation to close
STAGE_PROB = (10, 20, 50, 75)
SUBJECTS_CALL = (
    "架電: 資料請求フォロー",
    "架電: ウェビナー参加御礼",
    "Call: follow-up",
    "架電 初回ヒアリング",
    '架電 "至急" 折り返し希望\n担当者不在のため再架電',
    "架電: 料金ページ閲覧フォロー",
)
SUBJECTS_EMAIL = ("メール: 資料送付", "Email: 日程調整のお願い", 'メール送付 "導入事例"\n返信待ち')
DISPOSITIONS = ("接続", "不在", "留守電", "受付ブロック")


@dataclass
class Opportunities:
    """Every opportunity (lead-converted and direct), indexed by opportunity number - 1."""

    created: np.ndarray
    close: np.ndarray  # actual close (won or lost), NEVER while open
    planned_close: np.ndarray
    won: np.ndarray  # bool
    amount: np.ndarray
    loss: np.ndarray  # index into LOSS_REASONS or -1
    company: np.ndarray
    account: np.ndarray  # account number
    lead: np.ndarray  # MA lead index or -1 (direct)
    cycle: np.ndarray
    owner: np.ndarray  # user index (Field Sales)
    campaign: np.ndarray  # campaign index or -1
    source: np.ndarray  # object: lead source


@dataclass
class Sfa:
    frames: list[Frame]
    account_company: np.ndarray  # account number - 1 -> company
    account_created: np.ndarray
    primary_account: np.ndarray  # company -> account number (0 none)
    lead_company: np.ndarray  # sfa lead number - 1 -> company
    lead_ma: np.ndarray  # sfa lead number - 1 -> MA lead index or -1
    contact_of_lead: np.ndarray  # MA lead index -> contact number (0 none)
    contact_at: np.ndarray  # MA lead index -> conversion time (NEVER none)
    opp: Opportunities
    opp_of_cycle: np.ndarray  # (MAX_CYCLES, n) opportunity number (0 none)


def _ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return sf_ids(prefix, numbers)


def _pick(weights: list[float], n: int, rng: np.random.Generator) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _corp_numbers(ctx: Context, company: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """The company's 法人番号 on `share` of records, 2 % of those mistyped (wrong check digit)."""
    out = np.full(len(company), None, dtype=object)
    has = np.flatnonzero(rng.random(len(company)) < share)
    wrong = rng.random(len(has)) < 0.02
    for j, w in zip(has.tolist(), wrong.tolist(), strict=True):
        num = ctx.companies.corporate_number[company[j]]
        out[j] = corporate_number.corrupt(num, rng) if w else num
    return out


def build(ctx: Context) -> Sfa:
    rng = rng_for(ctx.seed, "sfa")
    f, p, users, end = ctx.funnel, ctx.people, ctx.users, ctx.end_ts
    rules = ctx.rules
    n = f.n

    # --- opportunities: converted leads plus direct (outbound) ones -------------------------
    conv_lead, conv_cycle = [], []
    for k in range(MAX_CYCLES):
        idx = np.flatnonzero(f.stage["opp"][k] < end)
        conv_lead.append(idx)
        conv_cycle.append(np.full(len(idx), k))
    conv_lead = np.concatenate(conv_lead)
    conv_cycle = np.concatenate(conv_cycle)
    n_direct = round(ctx.scale.direct_opportunities * ctx.days / ctx.scale.days)
    d_created = ctx.start_ts + rng.integers(0, ctx.days, n_direct) * DAY + business_time_of_day(rng, n_direct)
    d_created = d_created[d_created < end]
    n_direct = len(d_created)
    d_company = rng.choice(len(ctx.companies), size=n_direct, p=ctx.companies.weight)
    d_won = rng.random(n_direct) < P_WIN * 0.9
    d_close = d_created + uniform_secs(rng, 14 * DAY, 120 * DAY, n_direct)
    emp = ctx.companies.employees[d_company]
    d_amount = np.clip(
        np.round(rng.lognormal(np.log(1_500_000 * (emp / 100.0) ** 0.35), 0.5) / 10_000) * 10_000,
        200_000,
        50_000_000,
    ).astype(np.int64)
    created = np.concatenate([f.stage["opp"][conv_cycle, conv_lead], d_created])
    lead_won = f.stage["won"][conv_cycle, conv_lead]
    lead_lost = f.stage["lost"][conv_cycle, conv_lead]
    close = np.concatenate([np.minimum(lead_won, lead_lost), d_close])
    won = np.concatenate([lead_won < NEVER, d_won])
    amount = np.concatenate([f.amount[conv_cycle, conv_lead], d_amount])
    loss = np.concatenate(
        [
            f.loss_reason[conv_cycle, conv_lead],
            np.where(d_won, -1, rng.choice(len(LOSS_REASONS), size=n_direct, p=LOSS_WEIGHTS)),
        ]
    )
    company = np.concatenate([f.company[conv_lead], d_company])
    lead = np.concatenate([conv_lead, np.full(n_direct, -1)])
    cycle = np.concatenate([conv_cycle, np.full(n_direct, -1)])
    campaign = np.concatenate([f.campaign[conv_lead], np.full(n_direct, -1)])
    chan = np.array(ctx.campaigns.channel, dtype=object)
    source = np.concatenate([chan[f.campaign[conv_lead]], np.full(n_direct, "outbound", dtype=object)])
    order = np.lexsort((np.arange(len(created)), created))
    created, close, won, amount, loss, company, lead, cycle, campaign, source = (
        a[order] for a in (created, close, won, amount, loss, company, lead, cycle, campaign, source)
    )
    n_opp = len(created)
    planned = np.where(close < NEVER, close, created + uniform_secs(rng, 30 * DAY, 120 * DAY, n_opp))
    fs_first_sql = np.full(n, NEVER, dtype=np.int64)
    for k in range(MAX_CYCLES - 1, -1, -1):
        fs_first_sql = np.where(f.stage["sql"][k] < NEVER, f.stage["sql"][k], fs_first_sql)
    is_owner = users.pick("Inside Sales", np.minimum(p.sync_at, end - 1), rng)
    fs_owner = users.pick("Field Sales", np.minimum(fs_first_sql, end - 1), rng)
    opp_owner = np.where(lead >= 0, fs_owner[np.maximum(lead, 0)], users.pick("Field Sales", created, rng))
    opp_of_cycle = np.zeros((MAX_CYCLES, n), dtype=np.int64)
    opp_of_cycle[cycle[lead >= 0], lead[lead >= 0]] = np.flatnonzero(lead >= 0) + 1

    # --- accounts: the installed base and some prospects exist before the range ---------------
    n_comp = len(ctx.companies)
    pre = np.zeros(n_comp, dtype=bool)
    pre[ctx.installed] = True
    pre |= rng.random(n_comp) < 0.2
    need_at = np.full(n_comp, NEVER, dtype=np.int64)
    np.minimum.at(need_at, company, np.where(lead >= 0, created, created - 2 * HOUR))
    acc_company = np.concatenate([np.flatnonzero(pre), np.flatnonzero(~pre & (need_at < NEVER))])
    acc_created = np.concatenate(
        [
            ctx.start_ts
            - rng.integers(30, 700, int(pre.sum())) * DAY
            + business_time_of_day(rng, int(pre.sum())),
            need_at[~pre & (need_at < NEVER)],
        ]
    )
    dup_src = np.flatnonzero(pre)[rng.random(int(pre.sum())) < 0.03]  # duplicate accounts (messy CRM)
    acc_company = np.concatenate([acc_company, dup_src])
    acc_created = np.concatenate(
        [acc_created, ctx.start_ts - rng.integers(1, 300, len(dup_src)) * DAY + 10 * HOUR]
    )
    is_dup = np.concatenate([np.zeros(len(acc_company) - len(dup_src), bool), np.ones(len(dup_src), bool)])
    a_order = np.lexsort((np.arange(len(acc_company)), acc_created))
    acc_company, acc_created, is_dup = acc_company[a_order], acc_created[a_order], is_dup[a_order]
    n_acc = len(acc_company)
    primary = np.zeros(n_comp, dtype=np.int64)
    for a in np.flatnonzero(~is_dup)[::-1]:
        primary[acc_company[a]] = a + 1
    account = primary[company]
    acc_ids = _ids("001", np.arange(1, n_acc + 1))
    deleted_at = np.where(
        is_dup & (rng.random(n_acc) < 0.5),
        ctx.start_ts + rng.integers(0, ctx.days, n_acc) * DAY + 15 * HOUR,
        NEVER,
    )
    deleted_at = np.where(deleted_at < end, deleted_at, NEVER)
    variant = _pick(names.VARIANT_WEIGHTS["sfa_account"], n_acc, rng)
    acc_owner = users.pick("Field Sales", np.minimum(np.maximum(acc_created, ctx.start_ts), end - 1), rng)
    seg = np.where(
        ctx.companies.employees[acc_company] >= 1000,
        "Enterprise",
        np.where(ctx.companies.employees[acc_company] >= 100, "Mid", "SMB"),
    ).astype(object)
    v_acc = np.concatenate([np.arange(n_acc), np.flatnonzero(deleted_at < NEVER)])
    v_time = np.concatenate([acc_created, deleted_at[deleted_at < NEVER]])
    v_del = np.concatenate([np.zeros(n_acc, bool), np.ones(int((deleted_at < NEVER).sum()), bool)])
    comp = ctx.companies
    account_frame = Frame(
        "sfa",
        "Account",
        {
            "Id": ("str", acc_ids[v_acc]),
            "Name": ("str", comp.variants[acc_company, variant][v_acc]),
            "CreatedDate": ("ts", acc_created[v_acc]),
            "Website": (
                "str",
                np.array([f"https://www.{comp.domain[c]}" for c in acc_company], dtype=object)[v_acc],
            ),
            "Phone": ("str", np.array(comp.phone, dtype=object)[acc_company][v_acc]),
            "Industry": ("str", np.array(comp.industry, dtype=object)[acc_company][v_acc]),
            "NumberOfEmployees": ("int", comp.employees[acc_company][v_acc]),
            "BillingState": ("str", np.array(comp.prefecture, dtype=object)[acc_company][v_acc]),
            "CorporateNumber__c": ("str", _corp_numbers(ctx, acc_company, 0.6, rng)[v_acc]),
            "OwnerId": ("str", np.array(users.ids, dtype=object)[acc_owner][v_acc]),
            "LastModifiedDate": ("ts", v_time),
            "IsDeleted": ("bool", v_del),
            "Segment__c": ("str", seg[v_acc]),
        },
        ctx.day_of(v_time),
        order=v_time,
    )

    # --- SFA leads (synced MA leads + a few junk duplicates that get deleted) ----------------
    synced = np.flatnonzero(p.sfa_number > 0)
    synced = synced[np.argsort(p.sfa_number[synced], kind="stable")]
    n_synced = len(synced)
    junk_src = synced[(p.link[synced] == BOTH) & (rng.random(n_synced) < 0.01)]
    junk_at = np.maximum(p.sync_at[junk_src], ctx.start_ts) + uniform_secs(rng, HOUR, 5 * DAY, len(junk_src))
    keep = junk_at < end
    junk_src, junk_at = junk_src[keep], junk_at[keep]
    junk_del = junk_at + uniform_secs(rng, HOUR, 4 * DAY, len(junk_src))
    n_sfa = n_synced + len(junk_src)
    lead_ma = np.concatenate([synced, np.full(len(junk_src), -1)])
    lead_person = np.concatenate([synced, junk_src])  # whose name/e-mail the SFA lead carries
    lead_ids = _ids("00Q", np.arange(1, n_sfa + 1))
    contact_number = np.zeros(n, dtype=np.int64)
    conv = lead >= 0
    conv_leads = lead[conv]
    contact_number[conv_leads] = np.arange(1, len(conv_leads) + 1)
    contact_at = np.full(n, NEVER, dtype=np.int64)
    contact_at[conv_leads] = created[conv]
    opp_ids = _ids("006", np.arange(1, n_opp + 1))
    contact_ids = _ids("003", np.arange(1, len(conv_leads) + 1))
    opp_of_lead = np.zeros(n, dtype=np.int64)
    opp_of_lead[conv_leads] = np.flatnonzero(conv) + 1

    # status events: (sfa lead number - 1, time, status code or -1, history field)
    st_names = [
        "Open",
        rules["lead_status_sal"],
        rules["lead_status_sql"],
        rules["lead_status_recycled"],
        rules["lead_status_disqualified"],
        rules["lead_status_converted"],
    ]
    ev_lead, ev_time, ev_status, ev_kind = [], [], [], []  # kind: 0 created, 1 status, 2 owner, 3 deleted
    row_of_ma = np.full(n, -1, dtype=np.int64)
    row_of_ma[synced] = np.arange(n_synced)

    def add(rows, times, status, kind):
        ok = times < end
        ev_lead.append(rows[ok])
        ev_time.append(times[ok])
        ev_status.append(np.full(int(ok.sum()), status))
        ev_kind.append(np.full(int(ok.sum()), kind))

    add(np.arange(n_synced), p.sync_at[synced], 0, 0)
    add(np.arange(n_synced, n_sfa), junk_at, 0, 0)
    add(np.arange(n_synced, n_sfa), junk_del, -1, 3)
    for k in range(MAX_CYCLES):
        s = {name: f.stage[name][k][synced] for name in ("mql", "sal", "sql", "recycled", "disq", "opp")}
        rows = np.arange(n_synced)
        if k > 0:
            add(rows, s["mql"], 0, 1)  # a recycled lead that scores again is Open again
        add(rows, s["sal"], 1, 1)
        add(rows, s["sql"], 2, 1)
        add(rows, s["recycled"], 3, 1)
        add(rows, s["disq"], 4, 1)
        add(rows, s["opp"], 5, 1)
    add(np.arange(n_synced), fs_first_sql[synced], -1, 2)
    e_lead, e_time, e_status, e_kind = (np.concatenate(x) for x in (ev_lead, ev_time, ev_status, ev_kind))
    o = np.lexsort((e_kind, e_time, e_lead))
    e_lead, e_time, e_status, e_kind = e_lead[o], e_time[o], e_status[o], e_kind[o]
    m = len(e_lead)
    has_status = e_status >= 0
    last_status_pos = np.maximum.accumulate(np.where(has_status, np.arange(m), -1))
    cur_status = e_status[np.maximum(last_status_pos, 0)]
    new_lead = np.ones(m, dtype=bool)
    new_lead[1:] = e_lead[1:] != e_lead[:-1]
    prev_status = np.where(new_lead, -1, np.roll(cur_status, 1))

    ma_of_row = lead_ma[e_lead]
    person = lead_person[e_lead]
    is_owner_row = is_owner[person]
    fs_owner_row = fs_owner[person]
    owner_at = np.where((ma_of_row >= 0) & (e_time >= fs_first_sql[person]), fs_owner_row, is_owner_row)
    user_ids = np.array(users.ids, dtype=object)

    # LeadHistory: created, Status and Owner rows (deletions leave no field history)
    h = e_kind != 3
    h_kind = e_kind[h]
    prev_names = np.array([*st_names, None], dtype=object)[
        np.where(prev_status < 0, len(st_names), prev_status)
    ]
    h_old = np.where(h_kind == 1, prev_names[h], None)
    h_new = np.where(h_kind == 1, np.array(st_names, dtype=object)[np.maximum(e_status[h], 0)], None)
    h_old = np.where(h_kind == 2, user_ids[is_owner_row[h]], h_old)
    h_new = np.where(h_kind == 2, user_ids[fs_owner_row[h]], h_new)
    h_field = np.array(["created", "Status", "Owner"], dtype=object)[h_kind]
    h_time = e_time[h]
    h_order = np.lexsort((np.arange(int(h.sum())), h_time))
    h_number = np.empty(int(h.sum()), dtype=np.int64)
    h_number[h_order] = np.arange(1, int(h.sum()) + 1)
    history_frame = Frame(
        "sfa",
        "LeadHistory",
        {
            "Id": ("str", _ids("017", h_number)),
            "LeadId": ("str", lead_ids[e_lead[h]]),
            "Field": ("str", h_field),
            "CreatedDate": ("ts", h_time),
            "OldValue": ("str", h_old),
            "NewValue": ("str", h_new),
        },
        ctx.day_of(h_time),
        order=h_time,
    )

    # Lead versions: the last state per lead and day (a daily delta holds the current record)
    day = ctx.day_of(e_time)
    last = np.ones(m, dtype=bool)
    last[:-1] = (e_lead[1:] != e_lead[:-1]) | (day[1:] != day[:-1])
    v = np.flatnonzero(last)
    vl, vt, vp = e_lead[v], e_time[v], person[v]
    vma = ma_of_row[v]
    converted = (vma >= 0) & (vt >= contact_at[np.maximum(vma, 0)])
    lead_variant = _pick(names.VARIANT_WEIGHTS["sfa_lead"], n, rng)
    upper = rng.random(n) < 0.05
    emails = np.array([e.capitalize() if u else e for e, u in zip(p.email, upper, strict=True)], dtype=object)
    ma_id = ma_lead_ids(np.arange(1, n + 1))
    wrong_ma = ma_lead_ids(np.arange(9_000_000, 9_000_000 + n))
    # MA_Lead_Id__c: right when the sync worked on the SFA side, wrong or missing otherwise.
    link = p.link[vp]
    ma_ref = np.where(np.isin(link, [BOTH, SFA_SIDE_ONLY, MA_WRONG]), ma_id[vp], None)
    ma_ref = np.where(link == SFA_WRONG, wrong_ma[vp], ma_ref)
    ma_ref = np.where(np.isin(link, [MA_SIDE_ONLY, EMAIL_ONLY]) | (vma < 0), None, ma_ref)
    cmp_of = f.company[vp]
    # Attributes typed once per person, so every version of a lead agrees.
    website = np.array([f"https://www.{comp.domain[c]}" for c in range(n_comp)], dtype=object)
    person_emp = np.where(rng.random(n) < 0.4, INT_NULL, comp.employees[f.company])
    person_corp = _corp_numbers(ctx, f.company, 0.15, rng)
    person_web = np.where(rng.random(n) < 0.5, website[f.company], None)
    person_rating = np.array(["Hot", "Warm", "Cold"], dtype=object)[rng.integers(0, 3, n)]
    lead_frame = Frame(
        "sfa",
        "Lead",
        {
            "Id": ("str", lead_ids[vl]),
            "Status": ("str", np.array(st_names, dtype=object)[cur_status[v]]),
            "CreatedDate": ("ts", np.concatenate([p.sync_at[synced], junk_at])[vl]),
            "FirstName": ("str", np.array([names.GIVEN_NAMES[g][0] for g in p.given], dtype=object)[vp]),
            "LastName": ("str", np.array([names.FAMILY_NAMES[g][0] for g in p.family], dtype=object)[vp]),
            "Email": ("str", emails[vp]),
            "Company": ("str", comp.variants[cmp_of, lead_variant[vp]]),
            "Title": ("str", p.title[vp]),
            "Phone": ("str", p.phone[vp]),
            "LeadSource": ("str", chan[f.campaign[vp]]),
            "NumberOfEmployees": ("int", person_emp[vp]),
            "CorporateNumber__c": ("str", person_corp[vp]),
            "Website": ("str", person_web[vp]),
            "IsConverted": ("bool", converted),
            "ConvertedDate": ("date", np.where(converted, contact_at[np.maximum(vma, 0)], NEVER)),
            "ConvertedAccountId": (
                "str",
                np.where(
                    converted,
                    acc_ids[np.maximum(account[np.maximum(opp_of_lead[np.maximum(vma, 0)] - 1, 0)] - 1, 0)],
                    None,
                ),
            ),
            "ConvertedContactId": (
                "str",
                np.where(
                    converted,
                    contact_ids[np.maximum(contact_number[np.maximum(vma, 0)] - 1, 0)]
                    if len(contact_ids)
                    else None,
                    None,
                ),
            ),
            "ConvertedOpportunityId": (
                "str",
                np.where(
                    converted,
                    opp_ids[np.maximum(opp_of_lead[np.maximum(vma, 0)] - 1, 0)] if n_opp else None,
                    None,
                ),
            ),
            "MA_Lead_Id__c": ("str", ma_ref),
            "OwnerId": ("str", user_ids[owner_at[v]]),
            "LastModifiedDate": ("ts", vt),
            "IsDeleted": ("bool", e_kind[v] == 3),
            "Rating__c": ("str", person_rating[vp]),
        },
        ctx.day_of(vt),
        order=vt,
    )

    # --- contacts (one per converted lead) ----------------------------------------------------
    c_created = created[conv]
    c_ma = np.where(rng.random(len(conv_leads)) < 0.9, ma_id[conv_leads], None)
    contact_frame = Frame(
        "sfa",
        "Contact",
        {
            "Id": ("str", contact_ids),
            "CreatedDate": ("ts", c_created),
            "AccountId": ("str", acc_ids[account[conv] - 1]),
            "FirstName": (
                "str",
                np.array([names.GIVEN_NAMES[g][0] for g in p.given[conv_leads]], dtype=object),
            ),
            "LastName": (
                "str",
                np.array([names.FAMILY_NAMES[g][0] for g in p.family[conv_leads]], dtype=object),
            ),
            "Email": ("str", p.email[conv_leads]),
            "Title": ("str", p.title[conv_leads]),
            "Phone": ("str", p.phone[conv_leads]),
            "LeadSource": ("str", source[conv]),
            "MA_Lead_Id__c": ("str", c_ma),
            "OwnerId": ("str", user_ids[opp_owner[conv]]),
            "LastModifiedDate": ("ts", c_created),
            "IsDeleted": ("bool", np.zeros(len(conv_leads), bool)),
        },
        ctx.day_of(c_created),
        order=c_created,
    )

    # --- opportunities and their stage history ---------------------------------------------------
    s_opp, s_time, s_stage = [], [], []
    for j, frac in enumerate(STAGE_AT):
        t = created + ((planned - created) * frac).astype(np.int64)
        t -= t % 60
        t = np.where(j == 0, created, np.maximum(t, created + 60))
        ok = (t < end) & (t < close)
        s_opp.append(np.flatnonzero(ok))
        s_time.append(t[ok])
        s_stage.append(np.full(int(ok.sum()), j))
    closed = np.flatnonzero(close < end)
    s_opp.append(closed)
    s_time.append(close[closed])
    s_stage.append(np.where(won[closed], 4, 5))
    so, stt, ss = (np.concatenate(x) for x in (s_opp, s_time, s_stage))
    o = np.lexsort((ss, stt, so))
    so, stt, ss = so[o], stt[o], ss[o]
    stage_names = np.array(
        [*STAGES, rules["opportunity_stage_won"], rules["opportunity_stage_lost"]], dtype=object
    )
    prob = np.array([*STAGE_PROB, 100, 0], dtype=np.int64)
    oh_order = np.lexsort((so, stt))
    oh_num = np.empty(len(so), dtype=np.int64)
    oh_num[oh_order] = np.arange(1, len(so) + 1)
    opp_hist_frame = Frame(
        "sfa",
        "OpportunityHistory",
        {
            "Id": ("str", _ids("008", oh_num)),
            "OpportunityId": ("str", opp_ids[so]),
            "StageName": ("str", stage_names[ss]),
            "CreatedDate": ("ts", stt),
            "Amount": ("int", amount[so]),
            "CloseDate": ("date", planned[so]),
            "Probability": ("float", prob[ss].astype(float)),
        },
        ctx.day_of(stt),
        order=stt,
    )
    oday = ctx.day_of(stt)
    last = np.ones(len(so), dtype=bool)
    last[:-1] = (so[1:] != so[:-1]) | (oday[1:] != oday[:-1])
    v = np.flatnonzero(last)
    vo, vt, vs = so[v], stt[v], ss[v]
    is_closed = vs >= 4
    loss_names = np.array([*LOSS_REASONS, None], dtype=object)
    acc_names = comp.variants[acc_company, 0]
    opp_frame = Frame(
        "sfa",
        "Opportunity",
        {
            "Id": ("str", opp_ids[vo]),
            "StageName": ("str", stage_names[vs]),
            "CreatedDate": ("ts", created[vo]),
            "AccountId": ("str", acc_ids[account[vo] - 1]),
            "Name": (
                "str",
                np.array([f"{acc_names[account[o] - 1]} - SSOT Cloud 導入" for o in vo], dtype=object),
            ),
            "Amount": ("int", amount[vo]),
            "CloseDate": ("date", planned[vo]),
            "IsClosed": ("bool", is_closed),
            "IsWon": ("bool", vs == 4),
            "LeadSource": ("str", source[vo]),
            "CampaignId": (
                "str",
                np.array([ctx.campaigns.ids[c] if c >= 0 else None for c in campaign[vo]], dtype=object),
            ),
            "Type": ("str", np.full(len(vo), "New Business", dtype=object)),
            "OwnerId": ("str", user_ids[opp_owner[vo]]),
            "Loss_Reason__c": ("str", np.where(vs == 5, loss_names[loss[vo]], None)),
            "LastModifiedDate": ("ts", vt),
            "IsDeleted": ("bool", np.zeros(len(vo), bool)),
        },
        ctx.day_of(vt),
        order=vt,
    )

    task_frame, event_frame = _tasks_events(
        ctx,
        rng,
        synced,
        row_of_ma,
        lead_ids,
        is_owner,
        fs_owner,
        contact_at,
        contact_ids,
        contact_number,
        created,
        opp_ids,
        opp_owner,
        account,
        acc_ids,
    )
    frames = [
        account_frame,
        contact_frame,
        lead_frame,
        history_frame,
        task_frame,
        event_frame,
        opp_frame,
        opp_hist_frame,
        _users_frame(ctx),
    ]
    lead_company = f.company[lead_person]
    return Sfa(
        frames,
        acc_company,
        acc_created,
        primary,
        lead_company,
        lead_ma,
        contact_number,
        contact_at,
        Opportunities(
            created,
            close,
            planned,
            won,
            amount,
            loss,
            company,
            account,
            lead,
            cycle,
            opp_owner,
            campaign,
            source,
        ),
        opp_of_cycle,
    )


def _tasks_events(
    ctx,
    rng,
    synced,
    row_of_ma,
    lead_ids,
    is_owner,
    fs_owner,
    contact_at,
    contact_ids,
    contact_number,
    opp_created,
    opp_ids,
    opp_owner,
    account,
    acc_ids,
):
    f, users, end = ctx.funnel, ctx.users, ctx.end_ts
    user_ids = np.array(users.ids, dtype=object)
    t_time, t_who, t_what, t_acc, t_owner, t_type, t_subject = [], [], [], [], [], [], []

    def task(time, who, what, acc, owner, typ, subject):
        ok = time < end
        t_time.append(time[ok])
        t_who.append(np.asarray(who, dtype=object)[ok])
        t_what.append(np.asarray(what, dtype=object)[ok])
        t_acc.append(np.asarray(acc, dtype=object)[ok])
        t_owner.append(owner[ok])
        t_type.append(np.asarray(typ, dtype=object)[ok])
        t_subject.append(np.asarray(subject, dtype=object)[ok])

    def who_of(leads):
        return lead_ids[row_of_ma[leads]]

    def subjects(typ):
        call = np.array(SUBJECTS_CALL, dtype=object)[rng.integers(0, len(SUBJECTS_CALL), len(typ))]
        mail = np.array(SUBJECTS_EMAIL, dtype=object)[rng.integers(0, len(SUBJECTS_EMAIL), len(typ))]
        return np.where(typ == "Call", call, mail)

    none = None
    for k in range(MAX_CYCLES):
        idx = np.flatnonzero((f.stage["contact"][k] < end) & (row_of_ma >= 0))
        typ = np.where(rng.random(len(idx)) < 0.7, "Call", "Email").astype(object)
        task(
            f.stage["contact"][k][idx],
            who_of(idx),
            [none] * len(idx),
            [none] * len(idx),
            is_owner[idx],
            typ,
            subjects(typ),
        )
        extra = rng.poisson(0.8, len(idx))
        rep = np.repeat(idx, extra)
        typ = np.where(rng.random(len(rep)) < 0.6, "Call", "Email").astype(object)
        tt = f.stage["contact"][k][rep] + uniform_secs(rng, 30 * 60, 72 * HOUR, len(rep))
        task(tt, who_of(rep), [none] * len(rep), [none] * len(rep), is_owner[rep], typ, subjects(typ))
        # IS research tasks of type Other right after the MQL: not a contact attempt.
        idx = np.flatnonzero((f.stage["mql"][k] < end) & (row_of_ma >= 0) & (rng.random(f.n) < 0.15))
        tt = np.maximum(f.stage["mql"][k][idx], ctx.people.sync_at[idx]) + uniform_secs(
            rng, 60, HOUR, len(idx)
        )
        task(
            tt,
            who_of(idx),
            [none] * len(idx),
            [none] * len(idx),
            is_owner[idx],
            ["Other"] * len(idx),
            ["企業リサーチ (Web)"] * len(idx),
        )
        # Field Sales first approach: on the lead, or on its contact once converted.
        idx = np.flatnonzero((f.stage["fs"][k] < end) & (row_of_ma >= 0))
        tt = f.stage["fs"][k][idx]
        conv = tt >= contact_at[idx]
        who = np.where(
            conv,
            contact_ids[np.maximum(contact_number[idx] - 1, 0)] if len(contact_ids) else None,
            who_of(idx),
        )
        typ = np.where(rng.random(len(idx)) < 0.6, "Call", "Email").astype(object)
        task(tt, who, [none] * len(idx), [none] * len(idx), fs_owner[idx], typ, subjects(typ))
    # Marketing logs newsletter sends as Email tasks: same type as IS contact, wrong department.
    idx = np.flatnonzero((row_of_ma >= 0) & (rng.random(f.n) < 0.1))
    lo = np.maximum(ctx.people.sync_at[idx], ctx.start_ts)
    tt = lo + (rng.random(len(idx)) * np.maximum(end - lo, 60)).astype(np.int64)
    tt -= tt % 60
    mk = users.pick("Marketing", np.minimum(tt, end - 1), rng)
    task(
        tt,
        who_of(idx),
        [none] * len(idx),
        [none] * len(idx),
        mk,
        ["Email"] * len(idx),
        ["メルマガ配信: 月次ニュース"] * len(idx),
    )
    # Field Sales work on the opportunity (no WhoId: not an approach to the lead).
    rep = np.repeat(np.arange(len(opp_created)), rng.poisson(1.5, len(opp_created)))
    tt = opp_created[rep] + uniform_secs(rng, DAY, 30 * DAY, len(rep))
    typ = np.full(len(rep), "Call", dtype=object)
    task(
        tt,
        [none] * len(rep),
        opp_ids[rep],
        acc_ids[account[rep] - 1],
        opp_owner[rep],
        typ,
        ["商談フォロー: 提案内容確認"] * len(rep),
    )

    time = np.concatenate(t_time)
    typ = np.concatenate(t_type)
    owner = np.concatenate(t_owner)
    n = len(time)
    num = np.empty(n, dtype=np.int64)
    num[np.lexsort((np.arange(n), time))] = np.arange(1, n + 1)
    late_by = np.where(rng.random(n) < 0.01, rng.integers(1, 4, n), 0)
    day = np.minimum(ctx.day_of(time) + late_by, ctx.days - 1)
    late = day > ctx.day_of(time)
    subtype = np.where(typ == "Call", "Call", np.where(typ == "Email", "Email", "Task")).astype(object)
    disp = np.where(
        typ == "Call", np.array(DISPOSITIONS, dtype=object)[rng.integers(0, len(DISPOSITIONS), n)], None
    )
    task_frame = Frame(
        "sfa",
        "Task",
        {
            "Id": ("str", _ids("00T", num)),
            "CreatedDate": ("ts", time),
            "WhoId": ("str", np.concatenate(t_who)),
            "WhatId": ("str", np.concatenate(t_what)),
            "AccountId": ("str", np.concatenate(t_acc)),
            "OwnerId": ("str", user_ids[owner]),
            "Subject": ("str", np.concatenate(t_subject)),
            "Type": ("str", typ),
            "TaskSubtype": ("str", subtype),
            "Status": ("str", np.full(n, "Completed", dtype=object)),
            "ActivityDate": ("date", time),
            "CallDisposition": ("str", disp),
        },
        day,
        late=late,
        order=time,
    )

    # Events: appointments set by IS on the lead; Field Sales meetings on the opportunity.
    e_time, e_start, e_who, e_what, e_owner, e_type, e_subj = [], [], [], [], [], [], []
    for k in range(MAX_CYCLES):
        idx = np.flatnonzero((f.stage["appt"][k] < end) & (row_of_ma >= 0))
        tt = f.stage["appt"][k][idx]
        e_time.append(tt)
        e_start.append(tt + uniform_secs(rng, DAY, 10 * DAY, len(idx)))
        e_who.append(who_of(idx))
        e_what.append(np.full(len(idx), None, dtype=object))
        e_owner.append(is_owner[idx])
        e_type.append(np.where(rng.random(len(idx)) < 0.6, "Meeting", "Appointment").astype(object))
        e_subj.append(np.full(len(idx), "初回訪問アポイント (IS設定)", dtype=object))
    sel = np.flatnonzero(rng.random(len(opp_created)) < 0.5)
    tt = opp_created[sel] + uniform_secs(rng, DAY, 20 * DAY, len(sel))
    ok = tt < end
    sel, tt = sel[ok], tt[ok]
    e_time.append(tt)
    e_start.append(tt + uniform_secs(rng, HOUR, 5 * DAY, len(sel)))
    e_who.append(np.full(len(sel), None, dtype=object))
    e_what.append(opp_ids[sel])
    e_owner.append(opp_owner[sel])
    e_type.append(np.full(len(sel), "Meeting", dtype=object))
    e_subj.append(np.full(len(sel), "提案・デモ", dtype=object))
    et = np.concatenate(e_time)
    ne = len(et)
    enum = np.empty(ne, dtype=np.int64)
    enum[np.lexsort((np.arange(ne), et))] = np.arange(1, ne + 1)
    event_frame = Frame(
        "sfa",
        "Event",
        {
            "Id": ("str", _ids("00U", enum)),
            "StartDateTime": ("ts", np.concatenate(e_start)),
            "CreatedDate": ("ts", et),
            "WhoId": ("str", np.concatenate(e_who)),
            "WhatId": ("str", np.concatenate(e_what)),
            "AccountId": ("str", np.full(ne, None, dtype=object)),
            "OwnerId": ("str", user_ids[np.concatenate(e_owner)]),
            "Subject": ("str", np.concatenate(e_subj)),
            "Type": ("str", np.concatenate(e_type)),
        },
        ctx.day_of(et),
        order=et,
    )
    return task_frame, event_frame


def _users_frame(ctx: Context) -> Frame:
    """Full snapshots of User: on the first day and on the day the team changes."""
    u = ctx.users
    snaps = [(0, ctx.start_ts)]
    change_day = int(ctx.day_of(np.array([u.change_ts]))[0])
    if u.change_ts < ctx.end_ts and change_day > 0:
        snaps.append((change_day, u.change_ts))
    rows, days = [], []
    for d, at in snaps:
        for i in range(len(u.ids)):
            if u.hired_at[i] <= at:
                rows.append((i, at < u.left_at[i]))
                days.append(d)
    idx = np.array([r[0] for r in rows])
    return Frame(
        "sfa",
        "User",
        {
            "Id": ("str", np.array(u.ids, dtype=object)[idx]),
            "Name": ("str", np.array(u.name, dtype=object)[idx]),
            "Email": ("str", np.array(u.email, dtype=object)[idx]),
            "Department": ("str", np.array(u.department, dtype=object)[idx]),
            "UserRole": ("str", np.array(u.role, dtype=object)[idx]),
            "IsActive": ("bool", np.array([r[1] for r in rows])),
        },
        np.array(days, dtype=np.int64),
    )
