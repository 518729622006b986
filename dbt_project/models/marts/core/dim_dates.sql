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

{#- The UTC timestamp columns whose reporting dates the calendar must cover. -#}
{%- set utc_columns = {
    'lifecycle_events': ['occurred_at'],
    'lead_funnel': ['lead_at', 'mql_at', 'sql_at'],
    'opportunities': ['created_at', 'closed_at'],
    'customers': ['customer_at', 'churned_at'],
    'warehouse_clock': ['as_of_at'],
} %}

{#- Only the first and last local date matter, and converting millions of fact timestamps to the
    reporting zone just to find them cost more than the rest of this model. So each column
    converts only its rows within two days of its earliest and latest UTC instant. That is exact
    in any zone, with or without daylight saving, because a UTC offset is under 24 h either way
    (real zones: -12 h..+14 h): let min_at be a column's earliest instant and D its local date. A
    row on a local date before D is before local midnight of D, so
    local(row) < local(min_at) < min_at + 24 h, and row = local(row) - offset < local(row) + 24 h
    < min_at + 48 h. Rows from min_at + 2 days on thus never hold the column's first local date
    (min_at's own row is in the window); mirrored for the last date and max_at - 2 days. The
    extreme row alone would not do: where daylight saving ended just after local midnight (St.
    John's until 2011, at 00:01), the next minute's rows are back on the day before
    (tests/kpi/test_kpi_dim_dates_bounds.py). #}
utc_bounds as (

    {%- for relation, columns in utc_columns.items() %}
    {%- set relation_loop = loop %}
    {%- for column in columns %}
    select
        '{{ relation }}.{{ column }}' as utc_column,
        min({{ column }}) as min_at,
        max({{ column }}) as max_at
    from {{ relation }}
    {{ 'union all' if not (loop.last and relation_loop.last) }}
    {%- endfor %}
    {%- endfor %}

),

touched_dates as (

    {%- for relation, columns in utc_columns.items() %}
    {%- for column in columns %}
    select {{ kpi_local_date(relation ~ '.' ~ column) }} as touched_date
    from {{ relation }}
    inner join utc_bounds
        on utc_bounds.utc_column = '{{ relation }}.{{ column }}'
        and (
            {{ relation }}.{{ column }} < {{ dbt.dateadd('day', 2, 'utc_bounds.min_at') }}
            or {{ relation }}.{{ column }} > {{ dbt.dateadd('day', -2, 'utc_bounds.max_at') }}
        )
    union all
    {%- endfor %}
    {%- endfor %}
    -- the close date of an open deal is a forecast, not a fact: only closed deals count
    select close_date from opportunities where is_closed or is_won
    union all
    select start_date from campaign_costs
    union all
    select end_date from campaign_costs

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
