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

daily as (

    -- each reporting day's counts and amounts first, per slice: they add up, so the grain
    -- expansion below multiplies slice-days, not deals
    select
        event_date,
        loss_reason,
        {{ slices | join(',\n        ') }},
        {{ kpi_count_if('is_won') }} as won_count,
        {{ kpi_count_if('not is_won') }} as lost_count,
        sum(case when is_won then won_amount_jpy end) as won_amount_jpy,
        sum(case when not is_won then amount_jpy end) as lost_amount_jpy
    from closed_opportunities
    {{ kpi_group_by_slices(['event_date', 'loss_reason'], slices) }}

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
        loss_reason,
        {{ slices | join(',\n        ') }},
        cast(sum(won_count) as bigint) as won_count,
        cast(sum(lost_count) as bigint) as lost_count,
        cast(coalesce(sum(won_amount_jpy), 0) as decimal(18, 2)) as won_amount_jpy,
        cast(coalesce(sum(lost_amount_jpy), 0) as decimal(18, 2)) as lost_amount_jpy
    from periodized
    group by grain, period_start, loss_reason, {{ slices | join(', ') }}

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
