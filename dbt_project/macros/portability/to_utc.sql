{#- Portability: the only place that converts a naive local timestamp to naive UTC.
    DuckDB/Postgres use the SQL-standard double `at time zone`; Spark has its own function.
    (ARCHITECTURE.md "Portability": engine-specific SQL only in dispatched macros.) -#}
{% macro to_utc(local_ts, tz) -%}
    {{ return(adapter.dispatch('to_utc', 'ssot_warehouse')(local_ts, tz)) }}
{%- endmacro %}

{% macro default__to_utc(local_ts, tz) -%}
    (({{ local_ts }}) at time zone '{{ tz }}') at time zone 'UTC'
{%- endmacro %}

{% macro spark__to_utc(local_ts, tz) -%}
    to_utc_timestamp({{ local_ts }}, '{{ tz }}')
{%- endmacro %}
