-- PERIOD view of the lead funnel: every entry of a lead into a stage, counted in the reporting
-- day/week/month it happened (fct_lifecycle_events), sliced by the lead cycle's source, campaign,
-- company segment and owner. Counts only: a ratio of two flows of the same period (MQLs of this
-- month over leads of this month) is not a conversion and can exceed 1; the conversion rates live
-- in the COHORT view rpt_funnel_cohort (see _kpi__docs.md).
{%- set slices = kpi_lead_slices() %}
{%- set stages = ['lead', 'mql', 'sal', 'sql', 'opportunity', 'won', 'lost', 'recycled', 'disqualified'] %}

with

lifecycle_events as (

    select * from {{ ref('fct_lifecycle_events') }}

),

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

date_grains as (

    {{ kpi_date_grains() }}

),

reporting_hours as (

    {{ kpi_reporting_hours() }}

),

stage_events as (

    select
        lifecycle_events.stage,
        {{ kpi_local_date_by_hour('reporting_hours', 'lifecycle_events.occurred_at') }} as event_date,
        {{ kpi_lead_slice_values('lead_funnel', 'users') }}
    from lifecycle_events
    left join lead_funnel
        on lead_funnel.lead_cycle_id = lifecycle_events.lead_cycle_id
    left join users
        on users.user_id = lead_funnel.is_owner_user_id
    {{ kpi_join_reporting_hour('reporting_hours', 'lifecycle_events.occurred_at') }}
    where lifecycle_events.subject_type = 'lead'

),

daily as (

    -- the counts of each reporting day first, per slice: counts add up, so the grain expansion
    -- below multiplies slice-days instead of every event row (3 grains x millions of events)
    select
        event_date,
        {{ slices | join(',\n        ') }},
        {%- for stage in stages %}
        {{ kpi_count_if("stage = '" ~ stage ~ "'") }} as {{ stage }}_count{{ ',' if not loop.last }}
        {%- endfor %}
    from stage_events
    {{ kpi_group_by_slices(['event_date'], slices) }}

),

periodized as (

    select
        date_grains.grain,
        date_grains.period_start,
        daily.*
    from daily
    inner join date_grains
        on date_grains.date_day = daily.event_date

),

aggregated as (

    -- a null slice column is the 'all' roll-up of the daily grouping sets: GROUP BY keeps it a
    -- group of its own, so each slice's day rows roll up to its period rows
    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        {%- for stage in stages %}
        cast(sum({{ stage }}_count) as bigint) as {{ stage }}_count{{ ',' if not loop.last }}
        {%- endfor %}
    from periodized
    group by grain, period_start, {{ slices | join(', ') }}

),

final as (

    select
        grain,
        period_start,
        {{ kpi_slice_columns(slices, 'aggregated') }}
        {%- for stage in stages %}
        {{ stage }}_count,
        {%- endfor %}
        {{ kpi_rules_version() }} as rules_version
    from aggregated

)

select * from final
