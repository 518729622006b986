{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='lead_id',
    on_schema_change='fail',
    pre_hook=["{{ delete_changed_funnel_leads() }}", "{{ advance_funnel_clock() }}"],
) }}
-- Accumulating snapshot of the lead funnel: one row per MA lead cycle with every stage time,
-- the segment attributes KPIs slice by, SLA clocks and the rules version that produced it.
-- Stage evidence and rules: int_lead_cycles_assembled / docs/design.md "Lifecycle evidence".
--
-- Incremental by lead (macros/lifecycle/incremental_leads.sql), equal to a full build after every
-- run: a run recomputes the rows of
--   * the leads of int_lead_changes (their cycles changed; the pre-hook deletes their old rows,
--     also of leads that lost every row), and
--   * the leads whose lead attributes differ from the stored ones (company by identity, which has
--     no load time; IS owner; campaign channel or the lead_source_channels seed; MA lead fields):
--     every lead's current attributes are compared with its stored latest-cycle row, and the
--     delete+insert strategy replaces those leads.
-- The clock columns (as_of_at, the SLA flags) of every other row move to this run's warehouse
-- clock in a pre-hook UPDATE (a full rewrite of the 1.2M-row table costs seconds at L, the UPDATE
-- a tenth of that). A change of the vars or of this SQL needs `--full-refresh`.

with

assembled_cycles as (

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

-- every attribute of a row that is the lead's, not its cycle's
lead_attributes as (

    select
        leads.lead_id,
        lead_companies.company_id,
        leads.lead_source,
        leads.campaign_id,
        {{ attributed_channel('campaigns.channel', 'lead_source_channels.channel') }} as channel,
        leads.industry,
        leads.employees,
        links.is_owner_user_id
    from leads
    left join links
        on leads.lead_id = links.lead_id
    left join campaigns
        on leads.campaign_id = campaigns.campaign_id
    left join lead_source_channels
        on {{ lead_source_key('leads.lead_source') }} = lead_source_channels.lead_source
    left join lead_companies
        on leads.lead_id = lead_companies.lead_id

),

{% if is_incremental() -%}
-- the leads this run recomputes
changed_leads as (

    select lead_id from {{ lead_changes_relation() }}
    union
    select lead_attributes.lead_id
    from lead_attributes
    inner join {{ this }} as stored
        on lead_attributes.lead_id = stored.lead_id
        and stored.is_latest_cycle
    where lead_attributes.company_id is distinct from stored.company_id
        or lead_attributes.lead_source is distinct from stored.lead_source
        or lead_attributes.campaign_id is distinct from stored.campaign_id
        or lead_attributes.channel is distinct from stored.channel
        or lead_attributes.industry is distinct from stored.industry
        or lead_attributes.employees is distinct from stored.employees
        or lead_attributes.is_owner_user_id is distinct from stored.is_owner_user_id

),

{% endif -%}
-- on an incremental run the changed leads' rows, fetched by row id (rows_by_rowid: a lead
-- filter on the wide table decodes all of it)
cycles as (

    {% if is_incremental() -%}
    {{ rows_by_rowid(ref('int_lead_cycles_assembled'), 'lead_id in (select lead_id from changed_leads)') }}
    {%- else -%}
    select * from assembled_cycles
    {%- endif %}

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
        lead_attributes.company_id,
        lead_attributes.lead_source,
        lead_attributes.campaign_id,
        lead_attributes.channel,
        lead_attributes.industry,
        lead_attributes.employees,
        {{ employee_band('lead_attributes.employees') }} as employee_band,
        lead_attributes.is_owner_user_id,
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
    inner join lead_attributes
        on cycles.lead_id = lead_attributes.lead_id
    inner join latest_cycles
        on cycles.lead_id = latest_cycles.lead_id
    cross join clock

)

select * from final
