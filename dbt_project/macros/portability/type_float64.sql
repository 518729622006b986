{#- Portability: a 64-bit float on every engine (dbt.type_float() is 32-bit `float` on DuckDB,
    which changes ratios in the 7th digit). -#}
{% macro type_float64() -%}
    {{ return(adapter.dispatch('type_float64', 'ssot_warehouse')()) }}
{%- endmacro %}

{% macro default__type_float64() -%}
    double
{%- endmacro %}

{% macro postgres__type_float64() -%}
    double precision
{%- endmacro %}
