"""The KPI definitions recomputed in pandas, straight from the core facts, for comparison.

Owns: one function per rpt_ mart returning the rows that mart must hold, computed from the
fct_* / dim_* frames with pandas only (written from DOMAIN.md and docs/kpis.md, not from the SQL),
and `assert_frames_match`, the comparison (counts exact, rates and amounts within 1e-9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.rules import business_rules

GRAINS = ("day", "week", "month")
LEAD_SLICES = ["lead_source", "channel", "campaign_id", "employee_band", "industry", "owner_user_id", "team"]
OPP_SLICES = [*LEAD_SLICES, "opportunity_type"]
STAGES = ["lead", "mql", "sal", "sql", "opportunity", "won", "lost", "recycled", "disqualified"]


# --- calendar ------------------------------------------------------------------------------------


def local_day(ts: pd.Series) -> pd.Series:
    """UTC naive timestamps -> the reporting-calendar day (naive midnight)."""
    tz = business_rules()["reporting_timezone"]
    ts = pd.to_datetime(ts)
    return ts.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()


def as_day(d: pd.Series) -> pd.Series:
    return pd.to_datetime(d).dt.normalize()


def period_start(day: pd.Series, grain: str) -> pd.Series:
    if grain == "day":
        return day
    if grain == "week":  # ISO week: Monday start
        return day - pd.to_timedelta(day.dt.weekday, unit="D")
    return day.dt.to_period("M").dt.to_timestamp()


def by_grain(frame: pd.DataFrame, day_col: str) -> pd.DataFrame:
    """One copy of the rows per grain, with grain and period_start; rows without a day drop out."""
    frame = frame[frame[day_col].notna()]
    parts = []
    for grain in GRAINS:
        part = frame.copy()
        part["grain"] = grain
        part["period_start"] = period_start(part[day_col], grain)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def sliced(frame: pd.DataFrame, keys: list[str], slices: list[str], agg: dict) -> pd.DataFrame:
    """Aggregate per keys alone ('all') and per keys + each slice; other slices read 'all'."""
    out = []
    for slice_name in ["all", *slices]:
        group = keys + ([] if slice_name == "all" else [slice_name])
        part = frame.groupby(group, dropna=False).agg(**agg).reset_index()
        part["slice_name"] = slice_name
        for s in slices:
            if s != slice_name:
                part[s] = "all"
        out.append(part)
    return pd.concat(out, ignore_index=True)


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = num.astype("float64")
    den = den.astype("float64")
    return (num / den).where(den != 0)


def q50(s: pd.Series) -> float:
    return s.dropna().quantile(0.5) if s.notna().any() else np.nan


def q90(s: pd.Series) -> float:
    return s.dropna().quantile(0.9) if s.notna().any() else np.nan


def none(s: pd.Series) -> pd.Series:
    return s.astype("object").where(s.notna(), "(none)")


def is_true(s: pd.Series) -> pd.Series:
    """True where the (nullable) boolean is true; null counts as false."""
    return s.astype("boolean").fillna(False).astype(bool)


def hours(start: pd.Series, end: pd.Series) -> pd.Series:
    return (pd.to_datetime(end) - pd.to_datetime(start)).dt.total_seconds() / 3600.0


# --- slice attributes -------------------------------------------------------------------------


def cycle_attributes(f: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The lead slices of every lead cycle, keyed by lead_cycle_id."""
    funnel = f["fct_lead_funnel"]
    users = f["dim_users"][["user_id", "team"]]
    attrs = funnel.merge(users, how="left", left_on="is_owner_user_id", right_on="user_id")
    attrs["owner_user_id"] = attrs["is_owner_user_id"]
    return attrs[["lead_cycle_id", *LEAD_SLICES]]


def fill_slices(frame: pd.DataFrame, slices: list[str]) -> pd.DataFrame:
    for s in slices:
        frame[s] = none(frame[s])
    return frame


# --- marts ------------------------------------------------------------------------------------


def funnel_period(f):
    ev = f["fct_lifecycle_events"]
    ev = ev[ev["subject_type"] == "lead"].merge(cycle_attributes(f), how="left", on="lead_cycle_id")
    ev = fill_slices(ev, LEAD_SLICES)
    ev["day"] = local_day(ev["occurred_at"])
    for stage in STAGES:
        ev[f"is_{stage}"] = (ev["stage"] == stage).astype("int64")
    g = by_grain(ev, "day")
    return sliced(
        g, ["grain", "period_start"], LEAD_SLICES, {f"{s}_count": (f"is_{s}", "sum") for s in STAGES}
    )


def _first_reached(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    return frame[cols].min(axis=1)


def funnel_cohort(f):
    fun = f["fct_lead_funnel"].copy()
    later = ["won_at", "lost_at"]
    fun["r_mql"] = _first_reached(fun, ["mql_at", "sal_at", "sql_at", "opportunity_at", *later])
    fun["r_sql"] = _first_reached(fun, ["sql_at", "opportunity_at", *later])
    fun["r_opp"] = _first_reached(fun, ["opportunity_at", *later])
    fun["recycled_mql"] = (fun["recycled_at"].notna() & fun["r_mql"].notna()).astype("int64")
    fun["won_amount"] = fun["won_amount_jpy"].astype("float64").where(fun["won_at"].notna())
    leads = fun.groupby("lead_id").agg(
        created_at=("lead_at", "min"),
        r_mql=("r_mql", "min"),
        r_sql=("r_sql", "min"),
        r_opp=("r_opp", "min"),
        won_at=("won_at", "min"),
        lost_at=("lost_at", "min"),
        disq=("disqualified_at", "min"),
        recycled_mql=("recycled_mql", "max"),
        won_amount=("won_amount", "sum"),
    )
    attrs = cycle_attributes(f).merge(fun[["lead_cycle_id", "lead_id", "cycle_number", "is_latest_cycle"]])
    first = attrs[attrs["cycle_number"] == 1].set_index("lead_id")
    latest = attrs[is_true(attrs["is_latest_cycle"])].set_index("lead_id")
    for s in ["lead_source", "channel", "campaign_id", "employee_band", "industry"]:
        leads[s] = first[s].reindex(leads.index)
    for s in ["owner_user_id", "team"]:
        leads[s] = latest[s].reindex(leads.index)
    leads = fill_slices(leads.reset_index(), LEAD_SLICES)
    for name, col in [
        ("mql", "r_mql"),
        ("sql", "r_sql"),
        ("opp", "r_opp"),
        ("won", "won_at"),
        ("lost", "lost_at"),
    ]:
        leads[f"has_{name}"] = leads[col].notna().astype("int64")
    leads["has_disq"] = leads["disq"].notna().astype("int64")
    leads["d_mql"] = hours(leads["created_at"], leads["r_mql"]) / 24
    leads["d_sql"] = hours(leads["created_at"], leads["r_sql"]) / 24
    leads["d_won"] = hours(leads["created_at"], leads["won_at"]) / 24
    leads["day"] = local_day(leads["created_at"])
    g = by_grain(leads, "day")
    out = sliced(
        g,
        ["grain", "period_start"],
        LEAD_SLICES,
        {
            "lead_count": ("lead_id", "size"),
            "mql_count": ("has_mql", "sum"),
            "sql_count": ("has_sql", "sum"),
            "opportunity_count": ("has_opp", "sum"),
            "won_count": ("has_won", "sum"),
            "lost_count": ("has_lost", "sum"),
            "recycled_mql_count": ("recycled_mql", "sum"),
            "disqualified_count": ("has_disq", "sum"),
            "won_amount_jpy": ("won_amount", "sum"),
            "days_to_mql_avg": ("d_mql", "mean"),
            "days_to_mql_median": ("d_mql", q50),
            "days_to_sql_avg": ("d_sql", "mean"),
            "days_to_sql_median": ("d_sql", q50),
            "days_to_won_avg": ("d_won", "mean"),
            "days_to_won_median": ("d_won", q50),
        },
    )
    out["mql_rate"] = ratio(out["mql_count"], out["lead_count"])
    out["mql_to_sql_rate"] = ratio(out["sql_count"], out["mql_count"])
    out["sql_to_opportunity_rate"] = ratio(out["opportunity_count"], out["sql_count"])
    out["opportunity_to_won_rate"] = ratio(out["won_count"], out["opportunity_count"])
    out["lead_to_won_rate"] = ratio(out["won_count"], out["lead_count"])
    out["recycle_rate"] = ratio(out["recycled_mql_count"], out["mql_count"])
    return out


def sla_compliance(f):
    rules = business_rules()
    fun = f["fct_lead_funnel"]
    fun = fun.drop(columns=[c for c in LEAD_SLICES if c in fun.columns]).merge(
        cycle_attributes(f), on="lead_cycle_id"
    )
    fun = fill_slices(fun, LEAD_SLICES)
    mql = fun[fun["mql_at"].notna()].copy()
    mql["day"] = local_day(mql["mql_at"])
    mql["is_mql"] = 1
    mql["m_handled"] = mql["first_is_contact_at"].notna().astype("int64")
    mql["m_within"] = is_true(mql["is_first_contact_within_sla"]).astype("int64")
    mql["m_hours"] = mql["first_response_hours"]
    sql = fun[fun["sql_at"].notna()].copy()
    sql["day"] = local_day(sql["sql_at"])
    sql["is_sql"] = 1
    sql["s_handled"] = sql["first_fs_approach_at"].notna().astype("int64")
    sql["s_within"] = is_true(sql["is_fs_approach_within_sla"]).astype("int64")
    sql["s_hours"] = sql["fs_first_approach_hours"]
    sql["s_appt"] = sql["appointment_set_at"].notna().astype("int64")
    both = pd.concat([mql, sql], ignore_index=True)
    for c in ["is_mql", "m_handled", "m_within", "is_sql", "s_handled", "s_within", "s_appt"]:
        both[c] = both[c].fillna(0).astype("int64")
    g = by_grain(both, "day")
    out = sliced(
        g,
        ["grain", "period_start"],
        LEAD_SLICES,
        {
            "mql_count": ("is_mql", "sum"),
            "mql_contacted_count": ("m_handled", "sum"),
            "first_contact_within_sla_count": ("m_within", "sum"),
            "response_time_avg_hours": ("m_hours", "mean"),
            "response_time_median_hours": ("m_hours", q50),
            "response_time_p90_hours": ("m_hours", q90),
            "sql_count": ("is_sql", "sum"),
            "sql_approached_count": ("s_handled", "sum"),
            "fs_approach_within_sla_count": ("s_within", "sum"),
            "fs_approach_avg_hours": ("s_hours", "mean"),
            "fs_approach_median_hours": ("s_hours", q50),
            "fs_approach_p90_hours": ("s_hours", q90),
            "appointment_set_count": ("s_appt", "sum"),
        },
    )
    out["first_contact_breached_count"] = out["mql_count"] - out["first_contact_within_sla_count"]
    out["first_contact_rate"] = ratio(out["first_contact_within_sla_count"], out["mql_count"])
    out["fs_approach_breached_count"] = out["sql_count"] - out["fs_approach_within_sla_count"]
    out["fs_approach_sla_rate"] = ratio(out["fs_approach_within_sla_count"], out["sql_count"])
    out["appointment_rate"] = ratio(out["appointment_set_count"], out["sql_count"])
    out["sla_compliance_rate"] = ratio(
        out["first_contact_within_sla_count"] + out["fs_approach_within_sla_count"],
        out["mql_count"] + out["sql_count"],
    )
    out["first_contact_sla_hours"] = float(rules["is_first_contact_sla_hours"])
    out["fs_approach_sla_hours"] = float(rules["fs_first_approach_sla_hours"])
    return out


def _opportunities(f) -> pd.DataFrame:
    opp = f["fct_opportunities"].copy()
    seg = f["fct_lead_funnel"][["lead_cycle_id", "employee_band", "industry"]]
    opp = opp.merge(seg, how="left", on="lead_cycle_id")
    opp["owner_user_id"] = opp["owner_user_id"]
    opp["team"] = opp["owner_department"]
    opp = fill_slices(opp, OPP_SLICES)
    opp["won"] = is_true(opp["is_won"])
    opp["lost"] = is_true(opp["is_closed"]) & ~opp["won"]
    opp["is_src"] = is_true(opp["is_is_sourced"])
    opp["mkt_src"] = is_true(opp["is_marketing_sourced"])
    opp["amount"] = opp["amount_jpy"].astype("float64")
    opp["won_amount"] = opp["won_amount_jpy"].astype("float64")
    opp["close_day"] = local_day(opp["closed_at"]).fillna(as_day(opp["close_date"]))
    return opp


def sales_period(f):
    opp = _opportunities(f)
    created = opp.copy()
    created["day"] = local_day(created["created_at"])
    created["n_created"] = 1
    created["pipe"] = created["amount"].where(~created["lost"])
    created["is_pipe"] = created["amount"].where(~created["lost"] & created["is_src"])
    closed = opp[opp["won"] | opp["lost"]].copy()
    closed["day"] = closed["close_day"]
    closed["n_closed"] = 1
    closed["n_won"] = closed["won"].astype("int64")
    closed["n_lost"] = closed["lost"].astype("int64")
    closed["w_amount"] = closed["won_amount"].where(closed["won"])
    closed["l_amount"] = closed["amount"].where(closed["lost"])
    closed["m_amount"] = closed["won_amount"].where(closed["won"] & closed["mkt_src"])
    closed["n_is_closed"] = closed["is_src"].astype("int64")
    closed["n_is_won"] = (closed["is_src"] & closed["won"]).astype("int64")
    closed["n_o_closed"] = (~closed["is_src"]).astype("int64")
    closed["n_o_won"] = (~closed["is_src"] & closed["won"]).astype("int64")
    closed["cycle"] = closed["sales_cycle_days"].where(closed["won"])
    closed["lead_time"] = closed["lead_to_close_days"].where(closed["won"])
    ev = pd.concat([created, closed], ignore_index=True)
    for c in ["n_created", "n_closed", "n_won", "n_lost", "n_is_closed", "n_is_won", "n_o_closed", "n_o_won"]:
        ev[c] = ev[c].fillna(0).astype("int64")
    g = by_grain(ev, "day")
    out = sliced(
        g,
        ["grain", "period_start"],
        OPP_SLICES,
        {
            "opportunity_created_count": ("n_created", "sum"),
            "pipeline_amount_jpy": ("pipe", "sum"),
            "is_sourced_pipeline_amount_jpy": ("is_pipe", "sum"),
            "closed_count": ("n_closed", "sum"),
            "won_count": ("n_won", "sum"),
            "lost_count": ("n_lost", "sum"),
            "won_amount_jpy": ("w_amount", "sum"),
            "lost_amount_jpy": ("l_amount", "sum"),
            "marketing_sourced_won_amount_jpy": ("m_amount", "sum"),
            "is_sourced_closed_count": ("n_is_closed", "sum"),
            "is_sourced_won_count": ("n_is_won", "sum"),
            "other_closed_count": ("n_o_closed", "sum"),
            "other_won_count": ("n_o_won", "sum"),
            "sales_cycle_days_avg": ("cycle", "mean"),
            "sales_cycle_days_median": ("cycle", q50),
            "lead_to_won_days_avg": ("lead_time", "mean"),
            "lead_to_won_days_median": ("lead_time", q50),
        },
    )
    out["is_pipeline_contribution_rate"] = ratio(
        out["is_sourced_pipeline_amount_jpy"], out["pipeline_amount_jpy"]
    )
    out["win_rate"] = ratio(out["won_count"], out["closed_count"])
    out["avg_deal_size_jpy"] = ratio(out["won_amount_jpy"], out["won_count"])
    out["marketing_sourced_revenue_rate"] = ratio(
        out["marketing_sourced_won_amount_jpy"], out["won_amount_jpy"]
    )
    out["is_sourced_win_rate"] = ratio(out["is_sourced_won_count"], out["is_sourced_closed_count"])
    out["other_win_rate"] = ratio(out["other_won_count"], out["other_closed_count"])
    velocity = out["opportunity_created_count"] * out["avg_deal_size_jpy"] * out["win_rate"]
    out["sales_velocity_jpy_per_day"] = ratio(velocity, out["sales_cycle_days_avg"])
    return out


def loss_reasons(f):
    slices = ["lead_source", "channel", "campaign_id", "opportunity_type"]
    opp = _opportunities(f)
    closed = opp[opp["won"] | opp["lost"]].copy()
    closed["loss_reason"] = none(closed["loss_reason"])
    closed["day"] = closed["close_day"]
    closed["n_won"] = closed["won"].astype("int64")
    closed["n_lost"] = closed["lost"].astype("int64")
    closed["w_amount"] = closed["won_amount"].where(closed["won"])
    closed["l_amount"] = closed["amount"].where(closed["lost"])
    g = by_grain(closed, "day")
    out = sliced(
        g,
        ["grain", "period_start", "loss_reason"],
        slices,
        {
            "won_count": ("n_won", "sum"),
            "lost_count": ("n_lost", "sum"),
            "won_amount_jpy": ("w_amount", "sum"),
            "lost_amount_jpy": ("l_amount", "sum"),
        },
    )
    total = out.groupby(["grain", "period_start", "slice_name", *slices])["lost_count"].transform("sum")
    out["lost_share_rate"] = ratio(out["lost_count"], total)
    return out


def campaign_spend_by_day(f) -> pd.DataFrame:
    rows = []
    for c in f["fct_campaign_costs"].itertuples():
        start = c.start_date if pd.notna(c.start_date) else c.end_date
        end = c.end_date if pd.notna(c.end_date) else c.start_date
        if pd.isna(start):
            continue
        start, end = sorted([pd.Timestamp(start), pd.Timestamp(end)])
        days = pd.date_range(start, end, freq="D")
        cost = 0.0 if pd.isna(c.cost_jpy) else float(c.cost_jpy)
        for d in days:
            rows.append(
                {"campaign_id": c.campaign_id, "channel": c.channel, "day": d, "spend": cost / len(days)}
            )
    return pd.DataFrame(rows, columns=["campaign_id", "channel", "day", "spend"])


def campaign_performance(f):
    spend = campaign_spend_by_day(f)
    ev = f["fct_lifecycle_events"]
    leads = ev[(ev["subject_type"] == "lead") & (ev["stage"] == "lead")].merge(
        cycle_attributes(f), how="left", on="lead_cycle_id"
    )
    leads["day"] = local_day(leads["occurred_at"])
    leads["n_lead"] = 1
    opp = _opportunities(f)
    won = opp[opp["won"]].copy()
    won["day"] = won["close_day"]
    won["n_won"] = 1
    won["w_amount"] = won["won_amount"]
    allm = pd.concat(
        [
            spend,
            leads[["campaign_id", "channel", "day", "n_lead"]],
            won[["campaign_id", "channel", "day", "n_won", "w_amount"]],
        ],
        ignore_index=True,
    )
    allm = fill_slices(allm, ["channel", "campaign_id"])
    for c in ["n_lead", "n_won"]:
        allm[c] = allm[c].fillna(0).astype("int64")
    g = by_grain(allm, "day")
    out = sliced(
        g,
        ["grain", "period_start"],
        ["channel", "campaign_id"],
        {
            "spend_jpy": ("spend", "sum"),
            "lead_count": ("n_lead", "sum"),
            "won_count": ("n_won", "sum"),
            "won_amount_jpy": ("w_amount", "sum"),
        },
    )
    out["cpa_jpy"] = ratio(out["spend_jpy"], out["lead_count"])
    out["campaign_roi"] = ratio(out["won_amount_jpy"], out["spend_jpy"])
    return out


def unit_economics(f):
    rules = business_rules()
    cust = f["fct_customers"].copy()
    ltv = cust["lifetime_revenue_jpy"].astype("float64")
    if rules["ltv_method"] == "gross_margin":
        ltv = ltv * rules["gross_margin_rate"]
    new = pd.DataFrame({"day": local_day(cust["customer_at"]), "n_new": 1, "ltv": ltv})
    churn = cust[cust["churned_at"].notna()]
    churned = pd.DataFrame({"day": local_day(churn["churned_at"]), "n_churn": 1})
    cost = campaign_spend_by_day(f).rename(columns={"spend": "cost"})[["day", "cost"]]
    if "campaign_spend" not in rules["cac_cost_sources"]:
        cost = cost.iloc[0:0]
    allm = pd.concat([new, churned, cost], ignore_index=True)
    for c in ["n_new", "n_churn"]:
        allm[c] = allm[c].fillna(0).astype("int64")
    g = by_grain(allm, "day")
    out = (
        g.groupby(["grain", "period_start"])
        .agg(
            new_customer_count=("n_new", "sum"),
            churned_customer_count=("n_churn", "sum"),
            cac_cost_jpy=("cost", "sum"),
            ltv_avg_jpy=("ltv", "mean"),
        )
        .reset_index()
    )
    out["cac_jpy"] = ratio(out["cac_cost_jpy"], out["new_customer_count"])
    out["ltv_to_cac_ratio"] = ratio(out["ltv_avg_jpy"], out["cac_jpy"])
    return out


def scoring_calibration(f):
    threshold = business_rules()["mql_score_threshold"]
    fun = f["fct_lead_funnel"].copy()
    fun["score_band"] = none(fun["score_band"])
    fun["day"] = local_day(fun["lead_at"])
    reached_mql = (
        fun[["mql_at", "sal_at", "sql_at", "opportunity_at", "won_at", "lost_at"]].notna().any(axis=1)
    )
    reached_sql = fun[["sql_at", "opportunity_at", "won_at", "lost_at"]].notna().any(axis=1)
    fun["n_mql"] = reached_mql.astype("int64")
    fun["n_sql"] = reached_sql.astype("int64")
    fun["n_won"] = fun["won_at"].notna().astype("int64")
    fun["w_amount"] = fun["won_amount_jpy"].astype("float64").where(fun["won_at"].notna())
    fun["n_high"] = ((fun["max_score"] >= threshold) & ~reached_sql).astype("int64")
    g = by_grain(fun, "day")
    out = sliced(
        g,
        ["grain", "period_start"],
        ["score_band"],
        {
            "lead_cycle_count": ("lead_cycle_id", "size"),
            "mql_count": ("n_mql", "sum"),
            "sql_count": ("n_sql", "sum"),
            "won_count": ("n_won", "sum"),
            "won_amount_jpy": ("w_amount", "sum"),
            "high_score_unconverted_count": ("n_high", "sum"),
            "max_score_avg": ("max_score", "mean"),
        },
    ).drop(columns="slice_name")
    out["reached_mql_rate"] = ratio(out["mql_count"], out["lead_cycle_count"])
    out["reached_sql_rate"] = ratio(out["sql_count"], out["lead_cycle_count"])
    out["reached_won_rate"] = ratio(out["won_count"], out["lead_cycle_count"])
    out["sql_to_won_rate"] = ratio(out["won_count"], out["sql_count"])
    return out


def sla_breaches(f):
    rules = business_rules()
    as_of = pd.Timestamp(f["int_warehouse_clock"]["as_of_at"].iloc[0])
    fun = f["fct_lead_funnel"]
    opp_owner = f["fct_opportunities"].set_index("opportunity_id")["owner_user_id"]
    rows = []
    for sla_name, stage_col, handled_col, flag_col, sla in [
        ("is_first_contact", "mql_at", "first_is_contact_at", "is_first_contact_within_sla",
         rules["is_first_contact_sla_hours"]),
        ("fs_first_approach", "sql_at", "first_fs_approach_at", "is_fs_approach_within_sla",
         rules["fs_first_approach_sla_hours"]),
    ]:  # fmt: skip
        part = fun[fun[stage_col].notna()].copy()
        age = (as_of - pd.to_datetime(part[stage_col])).dt.total_seconds() / 3600
        handled = part[handled_col].notna()
        late = handled & ~is_true(part[flag_col])
        open_overdue = ~handled & (age > sla)
        part = part[late | open_overdue].copy()
        part["sla_name"] = sla_name
        part["age_hours"] = age[late | open_overdue]
        part["is_handled"] = part[handled_col].notna()
        if sla_name == "is_first_contact":
            part["owner_user_id"] = part["is_owner_user_id"]
        else:
            mapped = part["opportunity_id"].map(opp_owner)
            part["owner_user_id"] = mapped.where(mapped.notna(), part["is_owner_user_id"])
        rows.append(part[["lead_cycle_id", "sla_name", "age_hours", "is_handled", "owner_user_id"]])
    return pd.concat(rows, ignore_index=True)


def scoring_review(f):
    threshold = business_rules()["mql_score_threshold"]
    as_of = pd.Timestamp(f["int_warehouse_clock"]["as_of_at"].iloc[0])
    fun = f["fct_lead_funnel"]
    never_sql = fun[["sql_at", "opportunity_at", "won_at", "lost_at"]].isna().all(axis=1)
    out = fun[(fun["max_score"] >= threshold) & never_sql].copy()
    out["age_days"] = (as_of - pd.to_datetime(out["lead_at"])).dt.total_seconds() / 86400
    return out[["lead_cycle_id", "age_days"]]


MARTS = {
    "rpt_funnel_period": (funnel_period, ["grain", "period_start", "slice_name", *LEAD_SLICES]),
    "rpt_funnel_cohort": (funnel_cohort, ["grain", "period_start", "slice_name", *LEAD_SLICES]),
    "rpt_sla_compliance": (sla_compliance, ["grain", "period_start", "slice_name", *LEAD_SLICES]),
    "rpt_sales_period": (sales_period, ["grain", "period_start", "slice_name", *OPP_SLICES]),
    "rpt_loss_reasons": (
        loss_reasons,
        [
            "grain",
            "period_start",
            "slice_name",
            "loss_reason",
            "lead_source",
            "channel",
            "campaign_id",
            "opportunity_type",
        ],
    ),  # fmt: skip
    "rpt_campaign_performance": (
        campaign_performance,
        ["grain", "period_start", "slice_name", "channel", "campaign_id"],
    ),
    "rpt_unit_economics": (unit_economics, ["grain", "period_start"]),
    "rpt_scoring_calibration": (scoring_calibration, ["grain", "period_start", "score_band"]),
    "rpt_sla_breaches": (sla_breaches, ["lead_cycle_id", "sla_name"]),
    "rpt_scoring_review": (scoring_review, ["lead_cycle_id"]),
}


# --- comparison -------------------------------------------------------------------------------


def _norm_key(s: pd.Series) -> pd.Series:
    if s.name == "period_start":
        return pd.to_datetime(s).dt.normalize()
    return s.astype("object").map(lambda v: "<null>" if pd.isna(v) else str(v))


def assert_frames_match(name: str, actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> int:
    """Same key set; every expected column equal (ints exact, floats within 1e-9). Returns #cells."""
    actual = actual.copy()
    expected = expected.copy()
    for k in keys:
        actual[k] = _norm_key(actual[k])
        expected[k] = _norm_key(expected[k])
    assert not actual.duplicated(keys).any(), f"{name}: duplicate keys in the mart"
    merged = actual.merge(expected, on=keys, how="outer", suffixes=("", "__exp"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    assert only.empty, (
        f"{name}: {len(only)} keys differ, e.g.\n{only[[*keys, '_merge']].head(10).to_string()}"
    )
    checked = 0
    for col in expected.columns:
        if col in keys:
            continue
        a, e = merged[col], merged[f"{col}__exp"]
        if pd.api.types.is_string_dtype(e) or pd.api.types.is_object_dtype(e):
            bad = _norm_key(a) != _norm_key(e)
        elif pd.api.types.is_bool_dtype(e) or col.startswith("is_"):
            bad = a.astype(bool) != e.astype(bool)
        elif pd.api.types.is_integer_dtype(e) and col.endswith("_count"):
            bad = a.astype("int64") != e.astype("int64")
        else:
            af, ef = a.astype("float64"), e.astype("float64")
            both_nan = af.isna() & ef.isna()
            close = np.isclose(af.fillna(0), ef.fillna(0), rtol=1e-9, atol=1e-9)
            bad = ~both_nan & ((af.isna() != ef.isna()) | ~close)
        if bad.any():
            sample = merged.loc[bad, [*keys, col, f"{col}__exp"]].head(8)
            raise AssertionError(f"{name}.{col}: {int(bad.sum())} rows differ\n{sample.to_string()}")
        checked += len(merged)
    return checked
