{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_stale_lifecycle_events() }}",
) }}
-- Every entry of a lead (person, per MA lead cycle) or a company (per CS customer) into a
-- lifecycle stage, with the source record that evidences it ('sfa.lead_history:LH000123').
-- The 'lead' stage is entered once, at MA lead creation (cycle 1): a later cycle starts with the
-- previous cycle's 'recycled' event, so lead counts are not inflated by recycling.
-- Incremental (macros/lifecycle/incremental_leads.sql): the pre-hook deletes the events of the
-- changed leads, of leads whose company id changed (identity) and every company event (small,
-- and fct_customers is rebuilt every run); the run then inserts the lead events of every lead
-- that has none left, and all company events. depends_on: {{ ref('int_lead_changes') }}

with

funnel as (

    {% if is_incremental() -%}
    -- the rows of leads without events, fetched by row id (rows_by_rowid: a lead filter on the
    -- wide funnel decodes all of it)
    {%- set without_events -%}
        lead_id not in (select lead_id from {{ this }} where subject_type = 'lead')
    {%- endset %}
    {{ rows_by_rowid(ref('fct_lead_funnel'), without_events) }}
    {%- else %}
    select * from {{ ref('fct_lead_funnel') }}
    {%- endif %}

),

customers as (

    select * from {{ ref('fct_customers') }}

),

lead_stages as (

    select * from (
        values
            ('lead'), ('mql'), ('sal'), ('sql'), ('opportunity'),
            ('won'), ('lost'), ('recycled'), ('disqualified')
    ) as stages (stage)

),

lead_events as (

    select
        funnel.lead_cycle_id || ':' || lead_stages.stage as event_id,
        'lead' as subject_type,
        funnel.lead_id as subject_id,
        funnel.lead_id,
        funnel.lead_cycle_id,
        funnel.company_id,
        lead_stages.stage,
        case lead_stages.stage
            when 'lead' then case when funnel.cycle_number = 1 then funnel.lead_at end
            when 'mql' then funnel.mql_at
            when 'sal' then funnel.sal_at
            when 'sql' then funnel.sql_at
            when 'opportunity' then funnel.opportunity_at
            when 'won' then funnel.won_at
            when 'lost' then funnel.lost_at
            when 'recycled' then funnel.recycled_at
            when 'disqualified' then funnel.disqualified_at
        end as occurred_at,
        case when lead_stages.stage in ('lead', 'mql') then 'ma' else 'sfa' end as source_system,
        case lead_stages.stage
            when 'lead' then 'ma.leads:' || funnel.lead_id
            when 'mql' then 'ma.activities:' || funnel.mql_activity_id
            when 'sal' then 'sfa.lead_history:' || funnel.sal_lead_history_id
            when 'sql' then 'sfa.lead_history:' || funnel.sql_lead_history_id
            when 'opportunity' then 'sfa.opportunity:' || funnel.opportunity_id
            when 'won' then 'sfa.opportunity_history:' || funnel.won_opportunity_history_id
            when 'lost' then 'sfa.opportunity_history:' || funnel.lost_opportunity_history_id
            when 'recycled' then 'sfa.lead_history:' || funnel.recycled_lead_history_id
            when 'disqualified' then 'sfa.lead_history:' || funnel.disqualified_lead_history_id
        end as evidence
    from funnel
    cross join lead_stages

),

company_stages as (

    select * from (values ('customer'), ('churned')) as stages (stage)

),

company_events as (

    select
        'customer:' || customers.customer_id || ':' || company_stages.stage as event_id,
        'company' as subject_type,
        -- a customer not yet resolved to a company is still a subject, by its CS id
        coalesce(customers.company_id, customers.customer_id) as subject_id,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        cast(null as {{ dbt.type_string() }}) as lead_cycle_id,
        customers.company_id,
        company_stages.stage,
        case company_stages.stage
            when 'customer' then customers.customer_at
            when 'churned' then customers.churned_at
        end as occurred_at,
        'cs' as source_system,
        case company_stages.stage
            when 'customer' then 'cs.subscriptions:' || customers.first_subscription_id
            when 'churned' then 'cs.subscriptions:' || customers.churn_subscription_id
        end as evidence
    from customers
    cross join company_stages

),

unioned as (

    select * from lead_events
    union all
    select * from company_events

),

final as (

    select
        event_id,
        subject_type,
        subject_id,
        lead_id,
        lead_cycle_id,
        company_id,
        stage,
        occurred_at,
        source_system,
        evidence,
        '{{ var("ssot_rules_version") }}' as rules_version
    from unioned
    where occurred_at is not null

)

select * from final
