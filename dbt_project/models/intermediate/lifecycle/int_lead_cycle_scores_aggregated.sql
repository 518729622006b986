{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_leads() }}",
) }}
-- Incremental by lead (macros/lifecycle/incremental_leads.sql): a run rebuilds the leads of
-- int_lead_changes only. depends_on: {{ ref('int_lead_changes') }}

-- One row per MA lead cycle that has activities: the MQL crossing and the score reached.
-- The running score is the sum of activities.score_delta ordered by occurred_at, activity_id
-- (docs/design.md). Cycle starts (recycle times) are interleaved as zero-delta markers in the same
-- ordered pass, so each activity learns its cycle without a range join and activities are scanned
-- once. A marker sorts before an activity at the same instant: the MA's reset activity written at
-- the recycle moment belongs to the new cycle. The MQL of a cycle is its first activity at which
-- the score crosses the threshold, before the cycle is disqualified.

with

activities as (

    select * from {{ ref('stg_ma__activities') }}
    where {{ is_changed_lead('lead_id') }}

),

cycles as (

    select * from {{ ref('int_lead_cycles_bounded') }}
    where {{ is_changed_lead('lead_id') }}

),

timeline as (

    select
        lead_id,
        occurred_at as event_at,
        1 as event_order,
        activity_id,
        coalesce(score_delta, 0) as score_delta,
        0 as is_cycle_start
    from activities
    where lead_id is not null

    union all

    select
        lead_id,
        cycle_start_at as event_at,
        0 as event_order,
        cast(null as {{ dbt.type_string() }}) as activity_id,
        0 as score_delta,
        1 as is_cycle_start
    from cycles
    where cycle_number > 1

),

scored as (

    select
        lead_id,
        event_at,
        activity_id,
        score_delta,
        is_cycle_start,
        cast(sum(score_delta) over (
            partition by lead_id
            order by event_at, event_order, activity_id nulls first
            rows between unbounded preceding and current row
        ) as bigint) as score,
        cast(1 + sum(is_cycle_start) over (
            partition by lead_id
            order by event_at, event_order, activity_id nulls first
            rows between unbounded preceding and current row
        ) as integer) as cycle_number
    from timeline

),

scored_activities as (

    select
        lead_id,
        cycle_number,
        event_at as occurred_at,
        activity_id,
        score,
        {{ is_mql_crossing('score - score_delta', 'score') }} as is_mql_crossing
    from scored
    where is_cycle_start = 0

),

crossings as (

    select
        scored_activities.lead_id,
        scored_activities.cycle_number,
        scored_activities.occurred_at as mql_at,
        scored_activities.activity_id as mql_activity_id,
        scored_activities.score as score_at_mql,
        row_number() over (
            partition by scored_activities.lead_id, scored_activities.cycle_number
            order by scored_activities.occurred_at, scored_activities.activity_id
            rows between unbounded preceding and current row
        ) as crossing_rank
    from scored_activities
    left join cycles
        on scored_activities.lead_id = cycles.lead_id
        and scored_activities.cycle_number = cycles.cycle_number
    where scored_activities.is_mql_crossing
        and (cycles.disqualified_at is null or scored_activities.occurred_at < cycles.disqualified_at)

),

per_cycle as (

    select
        lead_id,
        cycle_number,
        count(*) as activity_count,
        max(score) as max_score,
        min(occurred_at) as first_activity_at,
        max(occurred_at) as last_activity_at
    from scored_activities
    group by lead_id, cycle_number

),

final as (

    select
        per_cycle.lead_id,
        per_cycle.cycle_number,
        per_cycle.activity_count,
        per_cycle.max_score,
        per_cycle.first_activity_at,
        per_cycle.last_activity_at,
        crossings.mql_at,
        crossings.mql_activity_id,
        crossings.score_at_mql
    from per_cycle
    left join crossings
        on per_cycle.lead_id = crossings.lead_id
        and per_cycle.cycle_number = crossings.cycle_number
        and crossings.crossing_rank = 1

)

select * from final
