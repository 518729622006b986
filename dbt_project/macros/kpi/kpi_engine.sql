{#-
    Engine-specific SQL of the KPI layer, and only here (ARCHITECTURE.md "Portability").
    Every macro is dispatched: `default__` is the PostgreSQL spelling, DuckDB and Spark
    override where they differ. The KPI models never spell an engine-specific function.
-#}

{#- UTC (naive) -> the reporting time zone (naive local), time zone from var reporting_timezone. -#}
{% macro kpi_to_reporting_tz(ts) -%}
    {{ return(adapter.dispatch('kpi_to_reporting_tz')(ts)) }}
{%- endmacro %}

{% macro default__kpi_to_reporting_tz(ts) -%}
    ((({{ ts }}) at time zone 'UTC') at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{% macro spark__kpi_to_reporting_tz(ts) -%}
    from_utc_timestamp({{ ts }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}

{#- The reporting-calendar date (Asia/Tokyo) of a UTC timestamp: the day a KPI event counts in. -#}
{% macro kpi_local_date(ts) -%}
    cast({{ kpi_to_reporting_tz(ts) }} as date)
{%- endmacro %}

{#- The reporting date of millions of fact rows without converting each: the time-zone conversion
    costs more than the rest of a mart's work on them. kpi_reporting_hours() is the body of a CTE,
    one row per UTC hour of the dim_dates calendar, converted once; a row joins its hour
    (kpi_join_reporting_hour) and takes the hour's local date (kpi_local_date_by_hour) when the
    whole hour is on one local date with one UTC offset. Identical to kpi_local_date: without a
    zone transition inside the hour (transitions are months apart, so equal offsets at its first
    and last microsecond mean none), local time is UTC + a constant and rises with it, so every
    instant of the hour falls between the local dates of its ends; any other row (an hour with a
    transition or crossing local midnight, e.g. a +05:30 zone, or a timestamp outside the
    calendar) converts itself. -#}
{% macro kpi_reporting_hours() -%}
    select
        hour_at,
        {{ kpi_local_date('hour_at') }} as local_date,
        {{ kpi_local_date('last_at') }} = {{ kpi_local_date('hour_at') }}
            and {{ kpi_last_microsecond_of_hour(kpi_to_reporting_tz('hour_at')) }}
                = {{ kpi_to_reporting_tz('last_at') }} as is_one_local_date
    from (
        select
            hours.hour_at,
            {{ kpi_last_microsecond_of_hour('hours.hour_at') }} as last_at
        from (
            select {{ dbt.dateadd('hour', 'hours_of_day.hour_of_day', 'cast(dates.date_day as timestamp)') }} as hour_at
            from {{ ref('dim_dates') }} as dates
            cross join (
                {%- for hour in range(24) %}
                select {{ hour }} as hour_of_day{{ ' union all' if not loop.last }}
                {%- endfor %}
            ) as hours_of_day
        ) as hours
    ) as bounded_hours
{%- endmacro %}

{#- ts + 59:59.999999 (in two steps: 3,599,999,999 microseconds overflow a 32-bit interval). -#}
{% macro kpi_last_microsecond_of_hour(ts) -%}
    {{ dbt.dateadd('second', 3599, dbt.dateadd('microsecond', 999999, ts)) }}
{%- endmacro %}

{% macro kpi_join_reporting_hour(hours, ts) -%}
    left join {{ hours }}
        on {{ hours }}.hour_at = {{ dbt.date_trunc('hour', ts) }}
{%- endmacro %}

{% macro kpi_local_date_by_hour(hours, ts) -%}
    case when {{ hours }}.is_one_local_date then {{ hours }}.local_date else {{ kpi_local_date(ts) }} end
{%- endmacro %}

{#- A 64-bit float: dbt.type_float() is 32-bit on DuckDB and would change ratios. -#}
{% macro kpi_type_double() -%}
    {{ return(adapter.dispatch('kpi_type_double')()) }}
{%- endmacro %}

{% macro default__kpi_type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__kpi_type_double() -%}
    double
{%- endmacro %}

{% macro spark__kpi_type_double() -%}
    double
{%- endmacro %}

{#- Continuous percentile (linear interpolation, nulls ignored), p in [0, 1]. -#}
{% macro kpi_percentile_cont(expr, p) -%}
    {{ return(adapter.dispatch('kpi_percentile_cont')(expr, p)) }}
{%- endmacro %}

{% macro default__kpi_percentile_cont(expr, p) -%}
    percentile_cont({{ p }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__kpi_percentile_cont(expr, p) -%}
    quantile_cont({{ expr }}, {{ p }})
{%- endmacro %}

{% macro spark__kpi_percentile_cont(expr, p) -%}
    percentile({{ expr }}, {{ p }})
{%- endmacro %}

{#- Several continuous percentiles of one expression in one aggregate (one sort of the values
    instead of one per percentile): a list/array, read with kpi_list_element. -#}
{% macro kpi_percentiles_cont(expr, ps) -%}
    {{ return(adapter.dispatch('kpi_percentiles_cont')(expr, ps)) }}
{%- endmacro %}

{% macro default__kpi_percentiles_cont(expr, ps) -%}
    percentile_cont(array[{{ ps | join(', ') }}]) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__kpi_percentiles_cont(expr, ps) -%}
    quantile_cont({{ expr }}, [{{ ps | join(', ') }}])
{%- endmacro %}

{% macro spark__kpi_percentiles_cont(expr, ps) -%}
    percentile({{ expr }}, array({{ ps | join(', ') }}))
{%- endmacro %}

{#- The n-th element (1-based) of a list/array. -#}
{% macro kpi_list_element(list, n) -%}
    {{ return(adapter.dispatch('kpi_list_element')(list, n)) }}
{%- endmacro %}

{% macro default__kpi_list_element(list, n) -%}
    ({{ list }})[{{ n }}]
{%- endmacro %}

{% macro spark__kpi_list_element(list, n) -%}
    element_at({{ list }}, {{ n }})
{%- endmacro %}

{#- Elapsed hours between two timestamps from epoch seconds (dbt.datediff in hours truncates and
    differs on Spark). -#}
{% macro kpi_hours_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('kpi_hours_between')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__kpi_hours_between(start_ts, end_ts) -%}
    (cast(extract(epoch from ({{ end_ts }}) - ({{ start_ts }})) as {{ kpi_type_double() }}) / 3600.0)
{%- endmacro %}

{% macro duckdb__kpi_hours_between(start_ts, end_ts) -%}
    (cast(epoch({{ end_ts }}) - epoch({{ start_ts }}) as double) / 3600.0)
{%- endmacro %}

{% macro spark__kpi_hours_between(start_ts, end_ts) -%}
    (cast(unix_timestamp({{ end_ts }}) - unix_timestamp({{ start_ts }}) as double) / 3600.0)
{%- endmacro %}

{#- One row per calendar date from start_date to end_date inclusive (both date expressions over
    the columns of `from_relation`, which must hold exactly one row). -#}
{% macro kpi_date_series(start_date, end_date, from_relation) -%}
    {{ return(adapter.dispatch('kpi_date_series')(start_date, end_date, from_relation)) }}
{%- endmacro %}

{% macro default__kpi_date_series(start_date, end_date, from_relation) -%}
    select cast(series.day_at as date) as date_day
    from {{ from_relation }}
    cross join lateral generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval '1 day'
    ) as series (day_at)
{%- endmacro %}

{% macro duckdb__kpi_date_series(start_date, end_date, from_relation) -%}
    select cast(unnest(generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval 1 day
    )) as date) as date_day
    from {{ from_relation }}
{%- endmacro %}

{% macro spark__kpi_date_series(start_date, end_date, from_relation) -%}
    select explode(sequence(
        cast({{ start_date }} as date),
        cast({{ end_date }} as date),
        interval 1 day
    )) as date_day
    from {{ from_relation }}
{%- endmacro %}
