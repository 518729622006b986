{#- Portability: seconds since the epoch of a naive UTC timestamp, as a 64-bit float.
    Elapsed times are differences of these (dbt.datediff in hours/minutes truncates differently
    per engine, which would move SLA flags at the boundary). -#}
{% macro epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'ssot_warehouse')(ts)) }}
{%- endmacro %}

{% macro default__epoch_seconds(ts) -%}
    cast(extract(epoch from {{ ts }}) as {{ type_float64() }})
{%- endmacro %}

{% macro duckdb__epoch_seconds(ts) -%}
    cast(epoch({{ ts }}) as {{ type_float64() }})
{%- endmacro %}

{% macro spark__epoch_seconds(ts) -%}
    cast(unix_micros({{ ts }}) as {{ type_float64() }}) / 1000000.0
{%- endmacro %}

{#- Hours between two timestamps (b - a) as a 64-bit float; null when either is null. -#}
{% macro hours_between(start_ts, end_ts) -%}
    ({{ epoch_seconds(end_ts) }} - {{ epoch_seconds(start_ts) }}) / 3600.0
{%- endmacro %}

{#- Days between two timestamps (b - a) as a 64-bit float; null when either is null. -#}
{% macro days_between(start_ts, end_ts) -%}
    ({{ epoch_seconds(end_ts) }} - {{ epoch_seconds(start_ts) }}) / 86400.0
{%- endmacro %}
