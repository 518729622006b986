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
