{#- Portability: a cast that yields NULL instead of failing (dbt.safe_cast is not null-on-error on
    DuckDB or Postgres). Postgres has no try_cast: numeric targets are guarded by a pattern. -#}
{% macro safe_cast(expr, data_type) -%}
    {{ return(adapter.dispatch('safe_cast', 'ssot_warehouse')(expr, data_type)) }}
{%- endmacro %}

{% macro default__safe_cast(expr, data_type) -%}
    try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{% macro postgres__safe_cast(expr, data_type) -%}
    {%- if modules.re.match('^(int|bigint|smallint|numeric|decimal|double|real|float)', data_type | lower) -%}
    case
        when cast({{ expr }} as text) ~ '^\s*[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*$'
            then cast({{ expr }} as {{ data_type }})
    end
    {%- else -%}
    cast({{ expr }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
