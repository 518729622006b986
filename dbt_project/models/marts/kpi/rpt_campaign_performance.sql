-- Acquisition cost and return by reporting period, for all campaigns, per channel and per
-- campaign: spend (each campaign's cost spread evenly over its days), leads acquired (new MA
-- leads, fct_lifecycle_events stage 'lead'), CPA = spend / leads, won deals and amount in the
-- period they closed, campaign ROI = won amount / spend.
{%- set slices = ['channel', 'campaign_id'] %}

with

lifecycle_events as (

    select * from {{ ref('fct_lifecycle_events') }}

),

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

campaign_costs as (

    select * from {{ ref('fct_campaign_costs') }}

),

date_grains as (

    {{ kpi_date_grains() }}

),

reporting_hours as (

    {{ kpi_reporting_hours() }}

),

measures as (

    select
        date_day as event_date,
        coalesce(channel, '(none)') as channel,
        campaign_id,
        spend_jpy,
        0 as is_lead,
        0 as is_won,
        cast(0 as decimal(18, 2)) as won_amount_jpy
    from ({{ kpi_campaign_spend_by_day() }}) as campaign_spend

    union all

    select
        {{ kpi_local_date_by_hour('reporting_hours', 'lifecycle_events.occurred_at') }} as event_date,
        coalesce(lead_funnel.channel, '(none)') as channel,
        coalesce(lead_funnel.campaign_id, '(none)') as campaign_id,
        0 as spend_jpy,
        1 as is_lead,
        0 as is_won,
        cast(0 as decimal(18, 2)) as won_amount_jpy
    from lifecycle_events
    left join lead_funnel
        on lead_funnel.lead_cycle_id = lifecycle_events.lead_cycle_id
    {{ kpi_join_reporting_hour('reporting_hours', 'lifecycle_events.occurred_at') }}
    where lifecycle_events.subject_type = 'lead'
        and lifecycle_events.stage = 'lead'

    union all

    select
        coalesce({{ kpi_local_date('closed_at') }}, close_date) as event_date,
        coalesce(channel, '(none)') as channel,
        coalesce(campaign_id, '(none)') as campaign_id,
        0 as spend_jpy,
        0 as is_lead,
        1 as is_won,
        cast(won_amount_jpy as decimal(18, 2)) as won_amount_jpy
    from opportunities
    where coalesce(is_won, false)

),

daily as (

    -- each reporting day's sums first, per slice: they add up, so the grain expansion below
    -- multiplies slice-days instead of every lead event (3 grains x millions of rows)
    select
        event_date,
        {{ slices | join(',\n        ') }},
        {{ kpi_exact_sum_if('true', 'spend_jpy') }} as spend_jpy,
        sum(is_lead) as lead_count,
        sum(is_won) as won_count,
        sum(won_amount_jpy) as won_amount_jpy
    from measures
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

    -- a null slice column is the 'all' roll-up of the daily grouping sets and stays a group of
    -- its own here
    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        cast(coalesce(sum(spend_jpy), 0) as {{ kpi_type_double() }}) as spend_jpy,
        cast(sum(lead_count) as bigint) as lead_count,
        cast(sum(won_count) as bigint) as won_count,
        cast(coalesce(sum(won_amount_jpy), 0) as decimal(18, 2)) as won_amount_jpy
    from periodized
    group by grain, period_start, {{ slices | join(', ') }}

),

labelled as (

    select
        grain,
        period_start,
        {{ kpi_slice_columns(slices, 'aggregated') }}
        spend_jpy,
        lead_count,
        {{ kpi_ratio('spend_jpy', 'lead_count') }} as cpa_jpy,
        won_count,
        won_amount_jpy,
        {{ kpi_ratio('won_amount_jpy', 'spend_jpy') }} as campaign_roi
    from aggregated

),

final as (

    select
        labelled.grain,
        labelled.period_start,
        labelled.slice_name,
        labelled.channel,
        labelled.campaign_id,
        campaign_costs.campaign_name,
        labelled.spend_jpy,
        labelled.lead_count,
        labelled.cpa_jpy,
        labelled.won_count,
        labelled.won_amount_jpy,
        labelled.campaign_roi,
        {{ kpi_rules_version() }} as rules_version
    from labelled
    left join campaign_costs
        on campaign_costs.campaign_id = labelled.campaign_id

)

select * from final
