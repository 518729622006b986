-- Accumulating snapshot of the lead funnel: one row per MA lead cycle with every stage time,
-- the segment attributes KPIs slice by, SLA clocks and the rules version that produced it.
-- Stage evidence and rules: int_lead_cycles_assembled / docs/design.md "Lifecycle evidence".

with

cycles as (

    select * from {{ ref('int_lead_cycles_assembled') }}

),

leads as (

    select * from {{ ref('stg_ma__leads') }}

),

links as (

    select * from {{ ref('int_leads_linked') }}

),

campaigns as (

    select * from {{ ref('stg_ma__campaigns') }}

),

lead_source_channels as (

    select * from {{ ref('lead_source_channels') }}

),

record_companies as (

    select * from {{ ref('int_record_companies_resolved') }}

),

clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

lead_companies as (

    select
        source_record_id as lead_id,
        company_id
    from record_companies
    where source_system = 'ma'
        and source_entity = 'leads'

),

latest_cycles as (

    select
        lead_id,
        max(cycle_number) as latest_cycle_number
    from cycles
    group by lead_id

),

final as (

    select
        cycles.lead_id || '#' || cast(cycles.cycle_number as {{ dbt.type_string() }}) as lead_cycle_id,
        cycles.lead_id,
        cycles.cycle_number,
        cycles.cycle_number = latest_cycles.latest_cycle_number as is_latest_cycle,
        cycles.sfa_lead_id,
        lead_companies.company_id,
        leads.lead_source,
        leads.campaign_id,
        {{ attributed_channel('campaigns.channel', 'lead_source_channels.channel') }} as channel,
        leads.industry,
        leads.employees,
        {{ employee_band('leads.employees') }} as employee_band,
        links.is_owner_user_id,
        cycles.lead_at,
        cycles.mql_at,
        cycles.sal_at,
        cycles.sql_at,
        cycles.opportunity_at,
        cycles.won_at,
        cycles.lost_at,
        cycles.recycled_at,
        cycles.disqualified_at,
        cycles.first_is_contact_at,
        cycles.appointment_set_at,
        cycles.first_fs_approach_at,
        cycles.opportunity_id,
        cycles.opportunity_amount_jpy,
        case
            when cycles.won_at is not null then cycles.opportunity_amount_jpy
            when cycles.opportunity_id is not null then cast(0 as decimal(18, 2))
        end as won_amount_jpy,
        cycles.loss_reason,
        cycles.score_at_mql,
        cycles.max_score,
        {{ score_band('cycles.max_score') }} as score_band,
        cycles.activity_count,
        {{ hours_between('cycles.mql_at', 'cycles.first_is_contact_at') }} as first_response_hours,
        {{ sla_flag('cycles.mql_at', 'cycles.first_is_contact_at', var('is_first_contact_sla_hours'), 'clock.as_of_at') }}
            as is_first_contact_within_sla,
        {{ hours_between('cycles.sql_at', 'cycles.first_fs_approach_at') }} as fs_first_approach_hours,
        {{ sla_flag('cycles.sql_at', 'cycles.first_fs_approach_at', var('fs_first_approach_sla_hours'), 'clock.as_of_at') }}
            as is_fs_approach_within_sla,
        {{ days_between('cycles.lead_at', 'cycles.won_at') }} as lead_to_won_days,
        -- evidence: the record behind each stage time (fct_lifecycle_events cites these)
        cycles.mql_activity_id,
        cycles.sal_lead_history_id,
        cycles.sql_lead_history_id,
        cycles.recycled_lead_history_id,
        cycles.disqualified_lead_history_id,
        cycles.first_is_contact_task_id,
        cycles.appointment_event_id,
        cycles.first_fs_approach_kind,
        cycles.first_fs_approach_id,
        cycles.won_opportunity_history_id,
        cycles.lost_opportunity_history_id,
        clock.as_of_at,
        '{{ var("ssot_rules_version") }}' as rules_version
    from cycles
    inner join leads
        on cycles.lead_id = leads.lead_id
    inner join latest_cycles
        on cycles.lead_id = latest_cycles.lead_id
    left join links
        on cycles.lead_id = links.lead_id
    left join campaigns
        on leads.campaign_id = campaigns.campaign_id
    left join lead_source_channels
        on {{ lead_source_key('leads.lead_source') }} = lead_source_channels.lead_source
    left join lead_companies
        on cycles.lead_id = lead_companies.lead_id
    cross join clock

)

select * from final
