{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_leads() }}",
) }}
-- Incremental by lead (macros/lifecycle/incremental_leads.sql): a run rebuilds the leads of
-- int_lead_changes only. depends_on: {{ ref('int_lead_changes') }}

-- One row per MA lead cycle with its bounds and the stages SFA lead status changes give
-- (docs/design.md "Lifecycle evidence"). Cycle 1 starts at the MA lead's creation; every status
-- change to the recycled status ends cycle n and starts cycle n+1 at that moment. A status change
-- belongs to the cycle of the recycles strictly before it, so the recycle itself closes its cycle.
-- Within a cycle the first entry into each stage counts.

with

links as (

    select * from {{ ref('int_leads_linked') }}
    where {{ is_changed_lead('lead_id') }}

),

lead_histories as (

    select * from {{ ref('stg_sfa__lead_histories') }}

),

stage_changes as (

    select
        links.lead_id,
        lead_histories.lead_history_id,
        lead_histories.changed_at,
        {{ lead_status_stage('lead_histories.new_value') }} as stage
    from lead_histories
    inner join links
        on lead_histories.sfa_lead_id = links.sfa_lead_id
    -- Salesforce spells the field `Status`; exports differ in case
    where lower(lead_histories.field_name) = 'status'

),

cycled as (

    select
        lead_id,
        lead_history_id,
        changed_at,
        stage,
        1 + coalesce(
            sum(case when stage = 'recycled' then 1 else 0 end) over (
                partition by lead_id
                order by changed_at, lead_history_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as cycle_number
    from stage_changes
    where stage is not null

),

first_entries as (

    select
        lead_id,
        cycle_number,
        stage,
        changed_at,
        lead_history_id,
        row_number() over (
            partition by lead_id, cycle_number, stage
            order by changed_at, lead_history_id
            rows between unbounded preceding and current row
        ) as entry_rank
    from cycled

),

stages_by_cycle as (

    select
        lead_id,
        cycle_number,
        max(case when stage = 'sal' then changed_at end) as sal_at,
        max(case when stage = 'sal' then lead_history_id end) as sal_lead_history_id,
        max(case when stage = 'sql' then changed_at end) as sql_at,
        max(case when stage = 'sql' then lead_history_id end) as sql_lead_history_id,
        max(case when stage = 'recycled' then changed_at end) as recycled_at,
        max(case when stage = 'recycled' then lead_history_id end) as recycled_lead_history_id,
        max(case when stage = 'disqualified' then changed_at end) as disqualified_at,
        max(case when stage = 'disqualified' then lead_history_id end) as disqualified_lead_history_id,
        max(case when stage = 'converted' then changed_at end) as converted_at,
        max(case when stage = 'converted' then lead_history_id end) as converted_lead_history_id
    from first_entries
    where entry_rank = 1
    group by lead_id, cycle_number

),

cycle_starts as (

    select
        lead_id,
        1 as cycle_number,
        lead_created_at as cycle_start_at
    from links

    union all

    select
        lead_id,
        cycle_number + 1 as cycle_number,
        recycled_at as cycle_start_at
    from stages_by_cycle
    where recycled_at is not null

),

final as (

    select
        cycle_starts.lead_id,
        cycle_starts.cycle_number,
        cycle_starts.cycle_start_at,
        -- the next cycle starts where this one is recycled
        stages_by_cycle.recycled_at as cycle_end_at,
        stages_by_cycle.sal_at,
        stages_by_cycle.sal_lead_history_id,
        stages_by_cycle.sql_at,
        stages_by_cycle.sql_lead_history_id,
        stages_by_cycle.recycled_at,
        stages_by_cycle.recycled_lead_history_id,
        stages_by_cycle.disqualified_at,
        stages_by_cycle.disqualified_lead_history_id,
        stages_by_cycle.converted_at,
        stages_by_cycle.converted_lead_history_id
    from cycle_starts
    left join stages_by_cycle
        on cycle_starts.lead_id = stages_by_cycle.lead_id
        and cycle_starts.cycle_number = stages_by_cycle.cycle_number

)

select * from final
