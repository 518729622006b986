-- The reporting calendar (Asia/Tokyo, var reporting_timezone): one row per day from the first to
-- the last day any fact or the warehouse clock touches, so every KPI event finds its day, week
-- (ISO, Monday start) and month. Built from the facts, never from wall-clock time.
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

customers as (

    select * from {{ ref('fct_customers') }}

),

campaign_costs as (

    select * from {{ ref('fct_campaign_costs') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

touched_dates as (

    select {{ kpi_local_date('occurred_at') }} as touched_date from lifecycle_events
    union all
    select {{ kpi_local_date('lead_at') }} from lead_funnel
    union all
    select {{ kpi_local_date('mql_at') }} from lead_funnel
    union all
    select {{ kpi_local_date('sql_at') }} from lead_funnel
    union all
    select {{ kpi_local_date('created_at') }} from opportunities
    union all
    select {{ kpi_local_date('closed_at') }} from opportunities
    union all
    -- the close date of an open deal is a forecast, not a fact: only closed deals count
    select close_date from opportunities where is_closed or is_won
    union all
    select {{ kpi_local_date('customer_at') }} from customers
    union all
    select {{ kpi_local_date('churned_at') }} from customers
    union all
    select start_date from campaign_costs
    union all
    select end_date from campaign_costs
    union all
    select {{ kpi_local_date('as_of_at') }} from warehouse_clock

),

bounds as (

    select
        min(touched_date) as first_date,
        max(touched_date) as last_date
    from touched_dates

),

spine as (

    {{ kpi_date_series('first_date', 'last_date', 'bounds') }}

),

truncated as (

    select
        date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start
    from spine

),

final as (

    select
        date_day,
        week_start,
        month_start,
        quarter_start,
        year_start,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(month from date_day) as integer) as month_number,
        -- ISO day of week (Monday = 1) from the Monday week start: engines disagree on dow numbering
        cast({{ dbt.datediff('week_start', 'date_day', 'day') }} + 1 as integer) as iso_day_of_week,
        {{ dbt.datediff('week_start', 'date_day', 'day') }} >= 5 as is_weekend,
        '{{ var("reporting_timezone") }}' as timezone
    from truncated

)

select * from final
