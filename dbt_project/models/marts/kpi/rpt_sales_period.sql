-- Sales KPIs by reporting period: opportunities created (and the pipeline they add) in the period
-- of their creation; won/lost, win rates, won amount, deal size, sales cycle and velocity in the
-- period they closed (first Closed Won/Lost, else the close date). Sliced by the originating lead
-- cycle (source, campaign, company segment), the opportunity owner/team and the opportunity type.
{%- set slices = kpi_opportunity_slices() %}

with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

date_grains as (

    {{ kpi_date_grains() }}

),

opportunity_facts as (

    select
        opportunities.opportunity_id,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.close_date,
        coalesce(opportunities.is_won, false) as is_won,
        coalesce(opportunities.is_closed, false) and not coalesce(opportunities.is_won, false) as is_lost,
        coalesce(opportunities.is_is_sourced, false) as is_is_sourced,
        coalesce(opportunities.is_marketing_sourced, false) as is_marketing_sourced,
        opportunities.amount_jpy,
        opportunities.won_amount_jpy,
        opportunities.sales_cycle_days,
        opportunities.lead_to_close_days,
        coalesce(opportunities.lead_source, '(none)') as lead_source,
        coalesce(opportunities.channel, '(none)') as channel,
        coalesce(opportunities.campaign_id, '(none)') as campaign_id,
        coalesce(lead_funnel.employee_band, '(none)') as employee_band,
        coalesce(lead_funnel.industry, '(none)') as industry,
        coalesce(opportunities.owner_user_id, '(none)') as owner_user_id,
        coalesce(opportunities.owner_department, '(none)') as team,
        coalesce(opportunities.opportunity_type, '(none)') as opportunity_type
    from opportunities
    left join lead_funnel
        on lead_funnel.lead_cycle_id = opportunities.lead_cycle_id

),

opportunity_events as (

    select
        'created' as event_type,
        {{ kpi_local_date('created_at') }} as event_date,
        *
    from opportunity_facts

    union all

    select
        'closed' as event_type,
        coalesce({{ kpi_local_date('closed_at') }}, close_date) as event_date,
        *
    from opportunity_facts
    where is_won or is_lost

),

daily as (

    -- each reporting day's counts and sums first, per slice: they add up, so the grain expansion
    -- below multiplies slice-days instead of every opportunity event
    select
        event_date,
        {{ slices | join(',\n        ') }},
        {{ kpi_count_if("event_type = 'created'") }} as opportunity_created_count,
        sum(case when event_type = 'created' and not is_lost then amount_jpy end) as pipeline_amount_jpy,
        sum(case when event_type = 'created' and not is_lost and is_is_sourced then amount_jpy end) as is_sourced_pipeline_amount_jpy,
        {{ kpi_count_if("event_type = 'closed'") }} as closed_count,
        {{ kpi_count_if("event_type = 'closed' and is_won") }} as won_count,
        {{ kpi_count_if("event_type = 'closed' and is_lost") }} as lost_count,
        sum(case when event_type = 'closed' and is_won then won_amount_jpy end) as won_amount_jpy,
        sum(case when event_type = 'closed' and is_lost then amount_jpy end) as lost_amount_jpy,
        sum(case when event_type = 'closed' and is_won and is_marketing_sourced then won_amount_jpy end) as marketing_sourced_won_amount_jpy,
        {{ kpi_count_if("event_type = 'closed' and is_is_sourced") }} as is_sourced_closed_count,
        {{ kpi_count_if("event_type = 'closed' and is_is_sourced and is_won") }} as is_sourced_won_count,
        {{ kpi_count_if("event_type = 'closed' and not is_is_sourced") }} as other_closed_count,
        {{ kpi_count_if("event_type = 'closed' and not is_is_sourced and is_won") }} as other_won_count,
        {{ kpi_exact_sum_if("event_type = 'closed' and is_won", 'sales_cycle_days') }} as sales_cycle_days_sum,
        {{ kpi_count_values_if("event_type = 'closed' and is_won", 'sales_cycle_days') }} as sales_cycle_days_count,
        {{ kpi_exact_sum_if("event_type = 'closed' and is_won", 'lead_to_close_days') }} as lead_to_won_days_sum,
        {{ kpi_count_values_if("event_type = 'closed' and is_won", 'lead_to_close_days') }} as lead_to_won_days_count
    from opportunity_events
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

additive as (

    -- a null slice column is the 'all' roll-up of the daily grouping sets and stays a group of
    -- its own here
    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        cast(sum(opportunity_created_count) as bigint) as opportunity_created_count,
        cast(coalesce(sum(pipeline_amount_jpy), 0) as decimal(18, 2)) as pipeline_amount_jpy,
        cast(coalesce(sum(is_sourced_pipeline_amount_jpy), 0) as decimal(18, 2)) as is_sourced_pipeline_amount_jpy,
        cast(sum(closed_count) as bigint) as closed_count,
        cast(sum(won_count) as bigint) as won_count,
        cast(sum(lost_count) as bigint) as lost_count,
        cast(coalesce(sum(won_amount_jpy), 0) as decimal(18, 2)) as won_amount_jpy,
        cast(coalesce(sum(lost_amount_jpy), 0) as decimal(18, 2)) as lost_amount_jpy,
        cast(coalesce(sum(marketing_sourced_won_amount_jpy), 0) as decimal(18, 2)) as marketing_sourced_won_amount_jpy,
        cast(sum(is_sourced_closed_count) as bigint) as is_sourced_closed_count,
        cast(sum(is_sourced_won_count) as bigint) as is_sourced_won_count,
        cast(sum(other_closed_count) as bigint) as other_closed_count,
        cast(sum(other_won_count) as bigint) as other_won_count,
        {{ kpi_exact_avg('sum(sales_cycle_days_sum)', 'sum(sales_cycle_days_count)') }} as sales_cycle_days_avg,
        {{ kpi_exact_avg('sum(lead_to_won_days_sum)', 'sum(lead_to_won_days_count)') }} as lead_to_won_days_avg
    from periodized
    group by grain, period_start, {{ slices | join(', ') }}

),

won_periodized as (

    -- medians do not add up over days: they need every won deal of the period, so only those,
    -- with only the columns the medians read, go per grain
    select
        date_grains.grain,
        date_grains.period_start,
        opportunity_events.sales_cycle_days,
        opportunity_events.lead_to_close_days,
        {%- for slice in slices %}
        opportunity_events.{{ slice }}{{ ',' if not loop.last }}
        {%- endfor %}
    from opportunity_events
    inner join date_grains
        on date_grains.date_day = opportunity_events.event_date
    where opportunity_events.event_type = 'closed'
        and opportunity_events.is_won

),

medians as (

    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        {{ kpi_percentile_if('true', 'sales_cycle_days', 0.5) }} as sales_cycle_days_median,
        {{ kpi_percentile_if('true', 'lead_to_close_days', 0.5) }} as lead_to_won_days_median
    from won_periodized
    {{ kpi_group_by_slices(['grain', 'period_start'], slices) }}

),

aggregated as (

    select
        additive.*,
        medians.sales_cycle_days_median,
        medians.lead_to_won_days_median
    from additive
    left join medians
        on medians.grain = additive.grain
        and medians.period_start = additive.period_start
        {%- for slice in slices %}
        and medians.{{ slice }} is not distinct from additive.{{ slice }}
        {%- endfor %}

),

rates as (

    select
        aggregated.*,
        {{ kpi_ratio('won_count', 'closed_count') }} as win_rate,
        {{ kpi_ratio('won_amount_jpy', 'won_count') }} as avg_deal_size_jpy
    from aggregated

),

final as (

    select
        grain,
        period_start,
        {{ kpi_slice_columns(slices, 'rates') }}
        opportunity_created_count,
        pipeline_amount_jpy,
        is_sourced_pipeline_amount_jpy,
        {{ kpi_ratio('is_sourced_pipeline_amount_jpy', 'pipeline_amount_jpy') }} as is_pipeline_contribution_rate,
        closed_count,
        won_count,
        lost_count,
        win_rate,
        won_amount_jpy,
        lost_amount_jpy,
        avg_deal_size_jpy,
        marketing_sourced_won_amount_jpy,
        {{ kpi_ratio('marketing_sourced_won_amount_jpy', 'won_amount_jpy') }} as marketing_sourced_revenue_rate,
        is_sourced_closed_count,
        is_sourced_won_count,
        {{ kpi_ratio('is_sourced_won_count', 'is_sourced_closed_count') }} as is_sourced_win_rate,
        other_closed_count,
        other_won_count,
        {{ kpi_ratio('other_won_count', 'other_closed_count') }} as other_win_rate,
        sales_cycle_days_avg,
        sales_cycle_days_median,
        lead_to_won_days_avg,
        lead_to_won_days_median,
        -- velocity = opportunities x average deal size x win rate / sales cycle (JPY per day)
        cast(opportunity_created_count as {{ kpi_type_double() }}) * avg_deal_size_jpy * win_rate
            / nullif(sales_cycle_days_avg, 0) as sales_velocity_jpy_per_day,
        {{ kpi_rules_version() }} as rules_version
    from rates

)

select * from final
