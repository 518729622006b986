-- COHORT view of the lead funnel: MA leads grouped by the reporting day/week/month they were
-- created, and how far (furthest stage reached in any cycle) and how fast (days from creation)
-- they got. A lead counts at a stage when it reached that stage or a later one, so the cohort
-- funnel never widens down the stages and every conversion rate is a fraction 0-1.
-- Acquisition slices (source, campaign, channel, company) come from cycle 1; owner and team from
-- the latest cycle (who works the lead now).
{%- set slices = kpi_lead_slices() %}

with

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

date_grains as (

    {{ kpi_date_grains() }}

),

cycle_progress as (

    select
        lead_id,
        lead_at,
        -- stages happen in order, so the first non-null of a stage and its successors is when
        -- the cycle reached "at least" that stage
        coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at, lost_at) as reached_mql_at,
        coalesce(sql_at, opportunity_at, won_at, lost_at) as reached_sql_at,
        coalesce(opportunity_at, won_at, lost_at) as reached_opportunity_at,
        won_at,
        lost_at,
        -- an MQL sent back to nurture: the cycle reached MQL and was recycled
        case
            when recycled_at is not null
                and coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at, lost_at) is not null
                then 1
            else 0
        end as is_recycled_mql,
        disqualified_at,
        won_amount_jpy
    from lead_funnel

),

lead_progress as (

    select
        lead_id,
        min(lead_at) as created_at,
        min(reached_mql_at) as reached_mql_at,
        min(reached_sql_at) as reached_sql_at,
        min(reached_opportunity_at) as reached_opportunity_at,
        min(won_at) as won_at,
        min(lost_at) as lost_at,
        max(is_recycled_mql) as is_recycled_mql,
        min(disqualified_at) as disqualified_at,
        sum(case when won_at is not null then won_amount_jpy end) as won_amount_jpy
    from cycle_progress
    group by lead_id

),

first_cycles as (

    select * from lead_funnel where cycle_number = 1

),

latest_cycles as (

    select * from lead_funnel where is_latest_cycle

),

leads as (

    select
        lead_progress.*,
        {{ kpi_local_date('lead_progress.created_at') }} as cohort_date,
        coalesce(first_cycles.lead_source, '(none)') as lead_source,
        coalesce(first_cycles.channel, '(none)') as channel,
        coalesce(first_cycles.campaign_id, '(none)') as campaign_id,
        coalesce(first_cycles.employee_band, '(none)') as employee_band,
        coalesce(first_cycles.industry, '(none)') as industry,
        coalesce(latest_cycles.is_owner_user_id, '(none)') as owner_user_id,
        coalesce(users.team, '(none)') as team,
        {{ kpi_hours_between('lead_progress.created_at', 'lead_progress.reached_mql_at') }} / 24.0 as days_to_mql,
        {{ kpi_hours_between('lead_progress.created_at', 'lead_progress.reached_sql_at') }} / 24.0 as days_to_sql,
        {{ kpi_hours_between('lead_progress.created_at', 'lead_progress.won_at') }} / 24.0 as days_to_won
    from lead_progress
    left join first_cycles
        on first_cycles.lead_id = lead_progress.lead_id
    left join latest_cycles
        on latest_cycles.lead_id = lead_progress.lead_id
    left join users
        on users.user_id = latest_cycles.is_owner_user_id

),

periodized as (

    select
        date_grains.grain,
        date_grains.period_start,
        leads.*
    from leads
    inner join date_grains
        on date_grains.date_day = leads.cohort_date

),

aggregated as (

    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        cast(count(*) as bigint) as lead_count,
        {{ kpi_count_if('reached_mql_at is not null') }} as mql_count,
        {{ kpi_count_if('reached_sql_at is not null') }} as sql_count,
        {{ kpi_count_if('reached_opportunity_at is not null') }} as opportunity_count,
        {{ kpi_count_if('won_at is not null') }} as won_count,
        {{ kpi_count_if('lost_at is not null') }} as lost_count,
        {{ kpi_count_if('is_recycled_mql = 1') }} as recycled_mql_count,
        {{ kpi_count_if('disqualified_at is not null') }} as disqualified_count,
        {{ kpi_sum_money_if('won_at is not null', 'won_amount_jpy') }} as won_amount_jpy,
        {{ kpi_avg_if('true', 'days_to_mql') }} as days_to_mql_avg,
        {{ kpi_percentile_if('true', 'days_to_mql', 0.5) }} as days_to_mql_median,
        {{ kpi_avg_if('true', 'days_to_sql') }} as days_to_sql_avg,
        {{ kpi_percentile_if('true', 'days_to_sql', 0.5) }} as days_to_sql_median,
        {{ kpi_avg_if('true', 'days_to_won') }} as days_to_won_avg,
        {{ kpi_percentile_if('true', 'days_to_won', 0.5) }} as days_to_won_median
    from periodized
    {{ kpi_group_by_slices(['grain', 'period_start'], slices) }}

),

final as (

    select
        grain,
        period_start,
        {{ kpi_slice_columns(slices, 'aggregated') }}
        lead_count,
        mql_count,
        sql_count,
        opportunity_count,
        won_count,
        lost_count,
        recycled_mql_count,
        disqualified_count,
        won_amount_jpy,
        {{ kpi_ratio('mql_count', 'lead_count') }} as mql_rate,
        {{ kpi_ratio('sql_count', 'mql_count') }} as mql_to_sql_rate,
        {{ kpi_ratio('opportunity_count', 'sql_count') }} as sql_to_opportunity_rate,
        {{ kpi_ratio('won_count', 'opportunity_count') }} as opportunity_to_won_rate,
        {{ kpi_ratio('won_count', 'lead_count') }} as lead_to_won_rate,
        {{ kpi_ratio('recycled_mql_count', 'mql_count') }} as recycle_rate,
        days_to_mql_avg,
        days_to_mql_median,
        days_to_sql_avg,
        days_to_sql_median,
        days_to_won_avg,
        days_to_won_median,
        {{ kpi_rules_version() }} as rules_version
    from aggregated

)

select * from final
