{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_leads() }}",
) }}
-- Incremental by lead (macros/lifecycle/incremental_leads.sql): a run rebuilds the leads of
-- int_lead_changes only. depends_on: {{ ref('int_lead_changes') }}

-- One row per MA lead cycle with every stage time and the id of the record that evidences it
-- (docs/design.md "Lifecycle evidence"): status stages and bounds from int_lead_cycles_bounded,
-- the MQL from int_lead_cycle_scores_aggregated, then the SFA touches inside the cycle
-- (first IS contact at/after MQL, appointment set at/after SQL, first field-sales approach
-- at/after SQL) and the opportunity the SFA lead converted into, with its first close.
-- A touch belongs to a cycle only before the cycle is recycled.

with

cycles as (

    {{ changed_lead_rows(ref('int_lead_cycles_bounded')) }}

),

scores as (

    {{ changed_lead_rows(ref('int_lead_cycle_scores_aggregated')) }}

),

links as (

    {{ changed_lead_rows(ref('int_leads_linked')) }}

),

tasks as (

    select * from {{ ref('stg_sfa__tasks') }}

),

events as (

    select * from {{ ref('stg_sfa__events') }}

),

users as (

    select * from {{ ref('stg_sfa__users') }}

),

opportunities as (

    select * from {{ ref('stg_sfa__opportunities') }}
    where not is_deleted

),

opportunity_histories as (

    select * from {{ ref('stg_sfa__opportunity_histories') }}

),

staged_cycles as (

    select
        cycles.*,
        scores.mql_at,
        scores.mql_activity_id,
        scores.score_at_mql,
        scores.max_score,
        scores.activity_count,
        links.sfa_lead_id,
        links.converted_contact_id,
        links.converted_opportunity_id
    from cycles
    left join scores
        on cycles.lead_id = scores.lead_id
        and cycles.cycle_number = scores.cycle_number
    left join links
        on cycles.lead_id = links.lead_id

),

-- SFA touches on linked leads only (the lead itself, or its converted contact for field sales)
touches as (

    select
        'task' as touch_kind,
        tasks.task_id as touch_id,
        tasks.who_id,
        tasks.created_at as touched_at,
        {{ is_is_contact_task('tasks.task_type', 'users.department') }} as is_is_contact,
        false as is_appointment,
        {{ is_fs_approach('users.department') }} as is_fs_approach
    from tasks
    left join users
        on tasks.owner_user_id = users.user_id

    union all

    select
        'event' as touch_kind,
        events.event_id as touch_id,
        events.who_id,
        events.created_at as touched_at,
        false as is_is_contact,
        {{ is_appointment_event('events.event_type') }} as is_appointment,
        {{ is_fs_approach('users.department') }} as is_fs_approach
    from events
    left join users
        on events.owner_user_id = users.user_id

),

-- who an SFA touch is on: the linked SFA lead, or (field sales only) its converted contact
lead_people as (

    select
        lead_id,
        sfa_lead_id as who_id,
        true as is_sfa_lead
    from links
    where sfa_lead_id is not null

    union all

    select
        lead_id,
        converted_contact_id as who_id,
        false as is_sfa_lead
    from links
    where converted_contact_id is not null

),

cycle_touches as (

    select
        staged_cycles.lead_id,
        staged_cycles.cycle_number,
        touches.touch_kind,
        touches.touch_id,
        touches.touched_at,
        touches.is_is_contact
            and lead_people.is_sfa_lead
            and touches.touched_at >= staged_cycles.mql_at as is_is_contact,
        touches.is_appointment
            and lead_people.is_sfa_lead
            and touches.touched_at >= staged_cycles.sql_at as is_appointment,
        touches.is_fs_approach
            and touches.touched_at >= staged_cycles.sql_at as is_fs_approach
    from touches
    inner join lead_people
        on touches.who_id = lead_people.who_id
    inner join staged_cycles
        on lead_people.lead_id = staged_cycles.lead_id
    where (touches.is_is_contact or touches.is_appointment or touches.is_fs_approach)
        and (staged_cycles.cycle_number = 1 or touches.touched_at >= staged_cycles.cycle_start_at)
        and (staged_cycles.cycle_end_at is null or touches.touched_at < staged_cycles.cycle_end_at)

),

first_touches as (

    select
        lead_id,
        cycle_number,
        touch_kind,
        touch_id,
        touched_at,
        is_is_contact,
        is_appointment,
        is_fs_approach,
        row_number() over (
            partition by lead_id, cycle_number, is_is_contact
            order by touched_at, touch_id
            rows between unbounded preceding and current row
        ) as is_contact_rank,
        row_number() over (
            partition by lead_id, cycle_number, is_appointment
            order by touched_at, touch_id
            rows between unbounded preceding and current row
        ) as appointment_rank,
        row_number() over (
            partition by lead_id, cycle_number, is_fs_approach
            order by touched_at, touch_id
            rows between unbounded preceding and current row
        ) as fs_approach_rank
    from cycle_touches

),

touches_by_cycle as (

    select
        lead_id,
        cycle_number,
        max(case when is_is_contact and is_contact_rank = 1 then touched_at end) as first_is_contact_at,
        max(case when is_is_contact and is_contact_rank = 1 then touch_id end) as first_is_contact_task_id,
        max(case when is_appointment and appointment_rank = 1 then touched_at end) as appointment_set_at,
        max(case when is_appointment and appointment_rank = 1 then touch_id end) as appointment_event_id,
        max(case when is_fs_approach and fs_approach_rank = 1 then touched_at end) as first_fs_approach_at,
        max(case when is_fs_approach and fs_approach_rank = 1 then touch_kind end) as first_fs_approach_kind,
        max(case when is_fs_approach and fs_approach_rank = 1 then touch_id end) as first_fs_approach_id
    from first_touches
    group by lead_id, cycle_number

),

first_closes as (

    select
        opportunity_id,
        opportunity_history_id,
        changed_at,
        stage_name,
        row_number() over (
            partition by opportunity_id, stage_name
            order by changed_at, opportunity_history_id
            rows between unbounded preceding and current row
        ) as close_rank
    from opportunity_histories
    where stage_name in ('{{ var("opportunity_stage_won") }}', '{{ var("opportunity_stage_lost") }}')

),

closes_by_opportunity as (

    select
        opportunity_id,
        max(case when stage_name = '{{ var("opportunity_stage_won") }}' then changed_at end) as won_at,
        max(case when stage_name = '{{ var("opportunity_stage_won") }}' then opportunity_history_id end)
            as won_opportunity_history_id,
        max(case when stage_name = '{{ var("opportunity_stage_lost") }}' then changed_at end) as lost_at,
        max(case when stage_name = '{{ var("opportunity_stage_lost") }}' then opportunity_history_id end)
            as lost_opportunity_history_id
    from first_closes
    where close_rank = 1
    group by opportunity_id

),

-- the converted opportunity belongs to the cycle in which it was created (cycle 1 is open
-- towards the past, so an opportunity created before the MA lead still lands in a cycle)
cycle_opportunities as (

    select
        staged_cycles.lead_id,
        staged_cycles.cycle_number,
        opportunities.opportunity_id,
        opportunities.created_at as opportunity_at,
        opportunities.amount_jpy,
        opportunities.loss_reason
    from staged_cycles
    inner join opportunities
        on staged_cycles.converted_opportunity_id = opportunities.opportunity_id
    where (staged_cycles.cycle_number = 1 or opportunities.created_at >= staged_cycles.cycle_start_at)
        and (staged_cycles.cycle_end_at is null or opportunities.created_at < staged_cycles.cycle_end_at)

),

final as (

    select
        staged_cycles.lead_id,
        staged_cycles.cycle_number,
        staged_cycles.sfa_lead_id,
        staged_cycles.cycle_start_at,
        staged_cycles.cycle_end_at,
        staged_cycles.cycle_start_at as lead_at,
        staged_cycles.mql_at,
        staged_cycles.mql_activity_id,
        staged_cycles.score_at_mql,
        staged_cycles.max_score,
        coalesce(staged_cycles.activity_count, 0) as activity_count,
        staged_cycles.sal_at,
        staged_cycles.sal_lead_history_id,
        staged_cycles.sql_at,
        staged_cycles.sql_lead_history_id,
        staged_cycles.recycled_at,
        staged_cycles.recycled_lead_history_id,
        staged_cycles.disqualified_at,
        staged_cycles.disqualified_lead_history_id,
        staged_cycles.converted_at,
        staged_cycles.converted_lead_history_id,
        touches_by_cycle.first_is_contact_at,
        touches_by_cycle.first_is_contact_task_id,
        touches_by_cycle.appointment_set_at,
        touches_by_cycle.appointment_event_id,
        touches_by_cycle.first_fs_approach_at,
        touches_by_cycle.first_fs_approach_kind,
        touches_by_cycle.first_fs_approach_id,
        cycle_opportunities.opportunity_id,
        cycle_opportunities.opportunity_at,
        cycle_opportunities.amount_jpy as opportunity_amount_jpy,
        closes_by_opportunity.won_at,
        closes_by_opportunity.won_opportunity_history_id,
        closes_by_opportunity.lost_at,
        closes_by_opportunity.lost_opportunity_history_id,
        case when closes_by_opportunity.lost_at is not null then cycle_opportunities.loss_reason end
            as loss_reason,
        -- the links the cycle was assembled with (int_lead_changes compares them with the current)
        staged_cycles.converted_contact_id,
        staged_cycles.converted_opportunity_id
    from staged_cycles
    left join touches_by_cycle
        on staged_cycles.lead_id = touches_by_cycle.lead_id
        and staged_cycles.cycle_number = touches_by_cycle.cycle_number
    left join cycle_opportunities
        on staged_cycles.lead_id = cycle_opportunities.lead_id
        and staged_cycles.cycle_number = cycle_opportunities.cycle_number
    left join closes_by_opportunity
        on cycle_opportunities.opportunity_id = closes_by_opportunity.opportunity_id

)

select * from final
