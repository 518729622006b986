-- Scoring calibration ("answer check"): lead cycles grouped by the band of their highest score
-- (var score_bands, labelled in core) and the reporting period the cycle started, with how many
-- reached MQL/SQL/won. A well-calibrated score shows SQL and win rates rising with the band;
-- high_score_unconverted_count feeds the rpt_scoring_review list.
with

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

date_grains as (

    {{ kpi_date_grains() }}

),

reporting_hours as (

    {{ kpi_reporting_hours() }}

),

cycles as (

    select
        {{ kpi_local_date_by_hour('reporting_hours', 'lead_funnel.lead_at') }} as cohort_date,
        coalesce(score_band, '(none)') as score_band,
        max_score,
        coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at, lost_at) is not null as reached_mql,
        coalesce(sql_at, opportunity_at, won_at, lost_at) is not null as reached_sql,
        won_at is not null as is_won,
        won_amount_jpy
    from lead_funnel
    {{ kpi_join_reporting_hour('reporting_hours', 'lead_funnel.lead_at') }}

),

daily as (

    -- each reporting day's counts and sums first, per band: they add up, so the grain expansion
    -- below multiplies band-days, not lead cycles
    select
        cohort_date,
        score_band,
        count(*) as lead_cycle_count,
        {{ kpi_count_if('reached_mql') }} as mql_count,
        {{ kpi_count_if('reached_sql') }} as sql_count,
        {{ kpi_count_if('is_won') }} as won_count,
        sum(case when is_won then won_amount_jpy end) as won_amount_jpy,
        {{ kpi_count_if('max_score >= ' ~ var('mql_score_threshold') ~ ' and not reached_sql') }} as high_score_unconverted_count,
        -- max_score is an integer: its sum is exact, the average below the same as avg()
        sum(max_score) as max_score_sum,
        count(max_score) as max_score_count
    from cycles
    {{ kpi_group_by_slices(['cohort_date'], ['score_band']) }}

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

aggregated as (

    -- a null score_band is the 'all' roll-up of the daily grouping sets and stays a group here
    select
        grain,
        period_start,
        score_band,
        cast(sum(lead_cycle_count) as bigint) as lead_cycle_count,
        cast(sum(mql_count) as bigint) as mql_count,
        cast(sum(sql_count) as bigint) as sql_count,
        cast(sum(won_count) as bigint) as won_count,
        cast(coalesce(sum(won_amount_jpy), 0) as decimal(18, 2)) as won_amount_jpy,
        cast(sum(high_score_unconverted_count) as bigint) as high_score_unconverted_count,
        {{ kpi_exact_avg('sum(max_score_sum)', 'sum(max_score_count)') }} as max_score_avg
    from periodized
    group by grain, period_start, score_band

),

final as (

    select
        grain,
        period_start,
        coalesce(score_band, 'all') as score_band,
        lead_cycle_count,
        mql_count,
        sql_count,
        won_count,
        won_amount_jpy,
        {{ kpi_ratio('mql_count', 'lead_cycle_count') }} as reached_mql_rate,
        {{ kpi_ratio('sql_count', 'lead_cycle_count') }} as reached_sql_rate,
        {{ kpi_ratio('won_count', 'lead_cycle_count') }} as reached_won_rate,
        {{ kpi_ratio('won_count', 'sql_count') }} as sql_to_won_rate,
        high_score_unconverted_count,
        max_score_avg,
        {{ kpi_rules_version() }} as rules_version
    from aggregated

)

select * from final
