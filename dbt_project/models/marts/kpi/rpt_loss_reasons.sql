-- Won/lost counts and amounts by loss reason, in the reporting period the opportunity closed,
-- fed back to marketing by lead source, channel, campaign and opportunity type. Won deals carry
-- no loss reason and show under '(none)'; lost_share_rate is the reason's share of the lost
-- deals of the same period and slice.
{%- set slices = ['lead_source', 'channel', 'campaign_id', 'opportunity_type'] %}

with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

date_grains as (

    {{ kpi_date_grains() }}

),

closed_opportunities as (

    select
        coalesce({{ kpi_local_date('closed_at') }}, close_date) as event_date,
        coalesce(is_won, false) as is_won,
        coalesce(loss_reason, '(none)') as loss_reason,
        amount_jpy,
        won_amount_jpy,
        coalesce(lead_source, '(none)') as lead_source,
        coalesce(channel, '(none)') as channel,
        coalesce(campaign_id, '(none)') as campaign_id,
        coalesce(opportunity_type, '(none)') as opportunity_type
    from opportunities
    where coalesce(is_won, false) or coalesce(is_closed, false)

),

periodized as (

    select
        date_grains.grain,
        date_grains.period_start,
        closed_opportunities.*
    from closed_opportunities
    inner join date_grains
        on date_grains.date_day = closed_opportunities.event_date

),

aggregated as (

    select
        grain,
        period_start,
        loss_reason,
        {{ slices | join(',\n        ') }},
        {{ kpi_count_if('is_won') }} as won_count,
        {{ kpi_count_if('not is_won') }} as lost_count,
        {{ kpi_sum_money_if('is_won', 'won_amount_jpy') }} as won_amount_jpy,
        {{ kpi_sum_money_if('not is_won', 'amount_jpy') }} as lost_amount_jpy
    from periodized
    {{ kpi_group_by_slices(['grain', 'period_start', 'loss_reason'], slices) }}

),

labelled as (

    select
        grain,
        period_start,
        loss_reason,
        {{ kpi_slice_columns(slices, 'aggregated') }}
        won_count,
        lost_count,
        won_amount_jpy,
        lost_amount_jpy
    from aggregated

),

final as (

    select
        grain,
        period_start,
        loss_reason,
        slice_name,
        {{ slices | join(',\n        ') }},
        won_count,
        lost_count,
        won_amount_jpy,
        lost_amount_jpy,
        {{ kpi_ratio('lost_count', 'sum(lost_count) over (partition by grain, period_start, slice_name, ' ~ slices | join(', ') ~ ')') }} as lost_share_rate,
        {{ kpi_rules_version() }} as rules_version
    from labelled

)

select * from final
