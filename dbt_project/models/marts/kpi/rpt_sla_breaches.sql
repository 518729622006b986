-- The escalation list: every lead cycle that broke an SLA. An MQL breaches when IS made no first
-- contact within var is_first_contact_sla_hours (still open past the deadline, or contacted
-- late); an SQL when field sales made no first approach within var fs_first_approach_sla_hours.
-- Ages are measured against the warehouse clock (int_warehouse_clock), never wall-clock time, so
-- a re-run gives the same list. Breached-but-later-handled rows stay, flagged is_handled.
with

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

handoffs as (

    select
        lead_funnel.lead_cycle_id,
        'is_first_contact' as sla_name,
        lead_funnel.lead_id,
        lead_funnel.cycle_number,
        lead_funnel.company_id,
        lead_funnel.lead_source,
        lead_funnel.channel,
        lead_funnel.campaign_id,
        lead_funnel.employee_band,
        lead_funnel.industry,
        -- the cycle ended (recycled, disqualified, closed): the breach is history, not a to-do
        coalesce(
            lead_funnel.recycled_at, lead_funnel.disqualified_at, lead_funnel.won_at, lead_funnel.lost_at
        ) is not null as is_cycle_closed,
        'mql' as stage,
        lead_funnel.mql_at as stage_at,
        lead_funnel.first_is_contact_at as handled_at,
        lead_funnel.is_first_contact_within_sla as is_within_sla,
        cast({{ var('is_first_contact_sla_hours') }} as {{ kpi_type_double() }}) as sla_hours,
        -- IS owns the first contact: the SFA lead owner
        lead_funnel.is_owner_user_id as owner_user_id
    from lead_funnel
    where lead_funnel.mql_at is not null

    union all

    select
        lead_funnel.lead_cycle_id,
        'fs_first_approach' as sla_name,
        lead_funnel.lead_id,
        lead_funnel.cycle_number,
        lead_funnel.company_id,
        lead_funnel.lead_source,
        lead_funnel.channel,
        lead_funnel.campaign_id,
        lead_funnel.employee_band,
        lead_funnel.industry,
        coalesce(
            lead_funnel.recycled_at, lead_funnel.disqualified_at, lead_funnel.won_at, lead_funnel.lost_at
        ) is not null as is_cycle_closed,
        'sql' as stage,
        lead_funnel.sql_at as stage_at,
        lead_funnel.first_fs_approach_at as handled_at,
        lead_funnel.is_fs_approach_within_sla as is_within_sla,
        cast({{ var('fs_first_approach_sla_hours') }} as {{ kpi_type_double() }}) as sla_hours,
        -- field sales owns the approach: the opportunity owner once there is one, else the lead owner
        coalesce(opportunities.owner_user_id, lead_funnel.is_owner_user_id) as owner_user_id
    from lead_funnel
    left join opportunities
        on opportunities.opportunity_id = lead_funnel.opportunity_id
    where lead_funnel.sql_at is not null

),

aged as (

    select
        handoffs.*,
        warehouse_clock.as_of_at,
        {{ kpi_hours_between('handoffs.stage_at', 'warehouse_clock.as_of_at') }} as age_hours,
        {{ kpi_hours_between('handoffs.stage_at', 'handoffs.handled_at') }} as response_hours
    from handoffs
    cross join warehouse_clock

),

breaches as (

    select *
    from aged
    where (handled_at is not null and not coalesce(is_within_sla, false))
        or (handled_at is null and age_hours > sla_hours)

),

final as (

    select
        breaches.lead_cycle_id,
        breaches.sla_name,
        breaches.lead_id,
        cast(breaches.cycle_number as bigint) as cycle_number,
        breaches.company_id,
        breaches.lead_source,
        breaches.channel,
        breaches.campaign_id,
        breaches.employee_band,
        breaches.industry,
        breaches.owner_user_id,
        users.user_name as owner_name,
        users.team,
        breaches.stage,
        breaches.stage_at,
        breaches.sla_hours,
        {{ dbt.dateadd('hour', 'cast(breaches.sla_hours as integer)', 'breaches.stage_at') }} as due_at,
        breaches.handled_at,
        breaches.handled_at is not null as is_handled,
        breaches.response_hours,
        breaches.age_hours,
        coalesce(breaches.response_hours, breaches.age_hours) - breaches.sla_hours as hours_overdue,
        breaches.is_cycle_closed,
        breaches.as_of_at,
        {{ kpi_rules_version() }} as rules_version
    from breaches
    left join users
        on users.user_id = breaches.owner_user_id

)

select * from final
