{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='opportunity_id',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_opportunities() }}",
) }}
-- One row per SFA opportunity (soft-deleted ones excluded): amounts, first close, owner team,
-- the MA lead cycle it converted from (Lead.ConvertedOpportunityId) and the sourcing flags the
-- KPI layer attributes revenue with.
--
-- Incremental by opportunity (macros/lifecycle/incremental_opportunities.sql), equal to a full
-- build after every run: a run recomputes the opportunities
--   * whose raw rows changed since the lifecycle watermark (opportunity, its history, an SFA lead
--     that converts into it; the pre-hook deletes these first, so soft-deleted ones vanish),
--   * whose originating MA lead cycle may have changed: the stored and the current opportunities
--     of the leads of int_lead_changes (every funnel column read here is a lifecycle column or an
--     MA lead field, so it changes only for those leads),
--   * whose owner department, channel / marketing flag (campaigns, lead_source_channels seed) or
--     account company (identity, which has no load time) differ from the stored row.
-- A change of the vars or of this SQL needs `--full-refresh`.
-- depends_on: {{ ref('int_lead_changes') }}
{%- set watermark = existing_relation('int_lifecycle_watermark') if is_incremental() else none %}

with

live_opportunities as (

    select * from {{ ref('stg_sfa__opportunities') }}
    where not is_deleted

),

opportunity_histories as (

    select * from {{ ref('stg_sfa__opportunity_histories') }}

),

sfa_leads as (

    select * from {{ ref('stg_sfa__leads') }}
    where not is_deleted

),

funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

users as (

    select * from {{ ref('stg_sfa__users') }}

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

account_companies as (

    select
        source_record_id as account_id,
        company_id
    from record_companies
    where source_system = 'sfa'
        and source_entity = 'account'

),

{% if is_incremental() -%}
lead_changes as (

    select lead_id from {{ ref('int_lead_changes') }}

),

stored as (

    select * from {{ this }}

),

changed_opportunities as (

    {% if watermark is none -%}
    select opportunity_id from live_opportunities
    {%- else -%}
    {{ opportunities_changed_in_raw(watermark) }}
    {%- endif %}
    union all
    select opportunity_id from stored
    where lead_id in (select lead_id from lead_changes)
    union all
    select opportunity_id from funnel
    where lead_id in (select lead_id from lead_changes)
        and opportunity_id is not null
    union all
    select stored.opportunity_id
    from stored
    left join users
        on stored.owner_user_id = users.user_id
    left join campaigns
        on stored.campaign_id = campaigns.campaign_id
    left join lead_source_channels
        on {{ lead_source_key('stored.lead_source') }} = lead_source_channels.lead_source
    left join account_companies
        on stored.account_id = account_companies.account_id
    where stored.owner_department is distinct from users.department
        or stored.channel is distinct from {{ attributed_channel('campaigns.channel', 'lead_source_channels.channel') }}
        or stored.is_marketing_sourced is distinct from {{ is_marketing_sourced(
            'stored.campaign_id', 'stored.lead_source', 'coalesce(campaigns.channel, lead_source_channels.channel)'
        ) }}
        or stored.company_id is distinct from account_companies.company_id

),

{% endif -%}
-- the opportunities this run builds (all on a full build)
opportunities as (

    select * from live_opportunities
    {% if is_incremental() -%}
    where opportunity_id in (select opportunity_id from changed_opportunities)
    {%- endif %}

),

closes as (

    select
        opportunity_id,
        min(changed_at) as closed_at
    from opportunity_histories
    where stage_name in ('{{ var("opportunity_stage_won") }}', '{{ var("opportunity_stage_lost") }}')
        {%- if is_incremental() %}
        and opportunity_id in (select opportunity_id from opportunities)
        {%- endif %}
    group by opportunity_id

),

-- the originating MA lead cycle (one, should two leads ever convert into the same opportunity)
originating_cycles as (

    select
        funnel.*,
        row_number() over (
            partition by funnel.opportunity_id
            order by funnel.lead_at, funnel.lead_cycle_id
            rows between unbounded preceding and current row
        ) as origin_rank
    from funnel
    where funnel.opportunity_id is not null
        {%- if is_incremental() %}
        and funnel.opportunity_id in (select opportunity_id from opportunities)
        {%- endif %}

),

-- SFA leads converted without a linked MA lead still name their opportunity
converting_sfa_leads as (

    select
        converted_opportunity_id as opportunity_id,
        sfa_lead_id,
        row_number() over (
            partition by converted_opportunity_id
            order by created_at, sfa_lead_id
            rows between unbounded preceding and current row
        ) as lead_rank
    from sfa_leads
    where converted_opportunity_id is not null
        {%- if is_incremental() %}
        and converted_opportunity_id in (select opportunity_id from opportunities)
        {%- endif %}

),

attributed as (

    select
        opportunities.*,
        originating_cycles.lead_id,
        coalesce(originating_cycles.sfa_lead_id, converting_sfa_leads.sfa_lead_id) as originating_sfa_lead_id,
        originating_cycles.lead_cycle_id,
        originating_cycles.lead_at,
        originating_cycles.first_is_contact_at is not null
            or originating_cycles.sal_at is not null as has_is_touch,
        coalesce(originating_cycles.lead_source, opportunities.lead_source) as originating_lead_source,
        coalesce(opportunities.campaign_id, originating_cycles.campaign_id) as originating_campaign_id
    from opportunities
    left join originating_cycles
        on opportunities.opportunity_id = originating_cycles.opportunity_id
        and originating_cycles.origin_rank = 1
    left join converting_sfa_leads
        on opportunities.opportunity_id = converting_sfa_leads.opportunity_id
        and converting_sfa_leads.lead_rank = 1

),

final as (

    select
        attributed.opportunity_id,
        attributed.account_id,
        account_companies.company_id,
        attributed.lead_id,
        attributed.originating_sfa_lead_id as sfa_lead_id,
        attributed.lead_cycle_id,
        attributed.opportunity_name,
        attributed.created_at,
        closes.closed_at,
        attributed.close_date,
        attributed.stage_name,
        coalesce(
            attributed.is_closed,
            attributed.stage_name in ('{{ var("opportunity_stage_won") }}', '{{ var("opportunity_stage_lost") }}')
        ) as is_closed,
        coalesce(attributed.is_won, attributed.stage_name = '{{ var("opportunity_stage_won") }}') as is_won,
        attributed.amount_jpy,
        case
            when coalesce(attributed.is_won, attributed.stage_name = '{{ var("opportunity_stage_won") }}')
                then coalesce(attributed.amount_jpy, 0)
            else cast(0 as decimal(18, 2))
        end as won_amount_jpy,
        attributed.loss_reason,
        attributed.originating_lead_source as lead_source,
        attributed.originating_campaign_id as campaign_id,
        {{ attributed_channel('campaigns.channel', 'lead_source_channels.channel') }} as channel,
        attributed.opportunity_type,
        attributed.owner_user_id,
        users.department as owner_department,
        coalesce(attributed.has_is_touch, false) as is_is_sourced,
        {{ is_marketing_sourced(
            'attributed.originating_campaign_id',
            'attributed.originating_lead_source',
            'coalesce(campaigns.channel, lead_source_channels.channel)'
        ) }} as is_marketing_sourced,
        {{ days_between('attributed.created_at', 'closes.closed_at') }} as sales_cycle_days,
        {{ days_between('attributed.lead_at', 'closes.closed_at') }} as lead_to_close_days,
        '{{ var("ssot_rules_version") }}' as rules_version
    from attributed
    left join closes
        on attributed.opportunity_id = closes.opportunity_id
    left join users
        on attributed.owner_user_id = users.user_id
    left join campaigns
        on attributed.originating_campaign_id = campaigns.campaign_id
    left join lead_source_channels
        on {{ lead_source_key('attributed.originating_lead_source') }} = lead_source_channels.lead_source
    left join account_companies
        on attributed.account_id = account_companies.account_id

)

select * from final
