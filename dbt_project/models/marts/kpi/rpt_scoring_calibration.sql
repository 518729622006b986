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

cycles as (

    select
        {{ kpi_local_date('lead_at') }} as cohort_date,
        coalesce(score_band, '(none)') as score_band,
        max_score,
        coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at, lost_at) is not null as reached_mql,
        coalesce(sql_at, opportunity_at, won_at, lost_at) is not null as reached_sql,
        won_at is not null as is_won,
        won_amount_jpy
    from lead_funnel

),

periodized as (

    select
        date_grains.grain,
        date_grains.period_start,
        cycles.*
    from cycles
    inner join date_grains
        on date_grains.date_day = cycles.cohort_date

),

aggregated as (

    select
        grain,
        period_start,
        score_band,
        cast(count(*) as bigint) as lead_cycle_count,
        {{ kpi_count_if('reached_mql') }} as mql_count,
        {{ kpi_count_if('reached_sql') }} as sql_count,
        {{ kpi_count_if('is_won') }} as won_count,
        {{ kpi_sum_money_if('is_won', 'won_amount_jpy') }} as won_amount_jpy,
        {{ kpi_count_if('max_score >= ' ~ var('mql_score_threshold') ~ ' and not reached_sql') }} as high_score_unconverted_count,
        cast(avg(max_score) as {{ kpi_type_double() }}) as max_score_avg
    from periodized
    {{ kpi_group_by_slices(['grain', 'period_start'], ['score_band']) }}

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
