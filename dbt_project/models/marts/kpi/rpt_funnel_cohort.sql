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

reporting_hours as (

    {{ kpi_reporting_hours() }}

),

leads as (

    select
        lead_progress.*,
        {{ kpi_local_date_by_hour('reporting_hours', 'lead_progress.created_at') }} as cohort_date,
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
    {{ kpi_join_reporting_hour('reporting_hours', 'lead_progress.created_at') }}

),

daily as (

    -- each cohort day's counts and exact sums first, per slice: they add up, so the grain
    -- expansion below multiplies slice-days instead of every lead
    select
        cohort_date,
        {{ slices | join(',\n        ') }},
        count(*) as lead_count,
        {{ kpi_count_if('reached_mql_at is not null') }} as mql_count,
        {{ kpi_count_if('reached_sql_at is not null') }} as sql_count,
        {{ kpi_count_if('reached_opportunity_at is not null') }} as opportunity_count,
        {{ kpi_count_if('won_at is not null') }} as won_count,
        {{ kpi_count_if('lost_at is not null') }} as lost_count,
        {{ kpi_count_if('is_recycled_mql = 1') }} as recycled_mql_count,
        {{ kpi_count_if('disqualified_at is not null') }} as disqualified_count,
        sum(case when won_at is not null then won_amount_jpy end) as won_amount_jpy,
        {%- for days in ['days_to_mql', 'days_to_sql', 'days_to_won'] %}
        {{ kpi_exact_sum_if('true', days) }} as {{ days }}_sum,
        {{ kpi_count_values_if('true', days) }} as {{ days }}_count{{ ',' if not loop.last }}
        {%- endfor %}
    from leads
    {{ kpi_group_by_slices(['cohort_date'], slices) }}

),

periodized as (

    select
        date_grains.grain,
        date_grains.period_start,
        daily.*
    from daily
    inner join date_grains
        on date_grains.date_day = daily.cohort_date

),

additive as (

    -- a null slice column is the 'all' roll-up of the daily grouping sets and stays a group of
    -- its own here
    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        cast(sum(lead_count) as bigint) as lead_count,
        {%- for count in ['mql', 'sql', 'opportunity', 'won', 'lost', 'recycled_mql', 'disqualified'] %}
        cast(sum({{ count }}_count) as bigint) as {{ count }}_count,
        {%- endfor %}
        cast(coalesce(sum(won_amount_jpy), 0) as decimal(18, 2)) as won_amount_jpy,
        {%- for days in ['days_to_mql', 'days_to_sql', 'days_to_won'] %}
        {{ kpi_exact_avg('sum(' ~ days ~ '_sum)', 'sum(' ~ days ~ '_count)') }} as {{ days }}_avg{{ ',' if not loop.last }}
        {%- endfor %}
    from periodized
    group by grain, period_start, {{ slices | join(', ') }}

),

progressed_periodized as (

    -- medians do not add up over days: they need every lead of the period, so only the leads
    -- that reached MQL (every days_to_ is null otherwise), with only the columns the medians
    -- read, go per grain
    select
        date_grains.grain,
        date_grains.period_start,
        leads.days_to_mql,
        leads.days_to_sql,
        leads.days_to_won,
        {%- for slice in slices %}
        leads.{{ slice }}{{ ',' if not loop.last }}
        {%- endfor %}
    from leads
    inner join date_grains
        on date_grains.date_day = leads.cohort_date
    where coalesce(leads.days_to_mql, leads.days_to_sql, leads.days_to_won) is not null

),

medians as (

    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        {{ kpi_percentile_if('true', 'days_to_mql', 0.5) }} as days_to_mql_median,
        {{ kpi_percentile_if('true', 'days_to_sql', 0.5) }} as days_to_sql_median,
        {{ kpi_percentile_if('true', 'days_to_won', 0.5) }} as days_to_won_median
    from progressed_periodized
    {{ kpi_group_by_slices(['grain', 'period_start'], slices) }}

),

aggregated as (

    select
        additive.*,
        medians.days_to_mql_median,
        medians.days_to_sql_median,
        medians.days_to_won_median
    from additive
    left join medians
        on medians.grain = additive.grain
        and medians.period_start = additive.period_start
        {%- for slice in slices %}
        and medians.{{ slice }} is not distinct from additive.{{ slice }}
        {%- endfor %}

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
