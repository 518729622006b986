{#- Portability: the values of a group, sorted and joined by `delimiter` ('a, b, c'), NULLs skipped.
    Not dbt.listagg with an order by on DuckDB: an ordered aggregate keeps every group's values in
    memory and cannot spill (dim_companies needed > 100 MB at scale S and ran out of its 3 GB at L);
    a list aggregate sorted afterwards spills like any hash aggregate. -#}
{% macro sorted_string_agg(expr, delimiter) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'ssot_warehouse')(expr, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(expr, delimiter) -%}
    {{ dbt.listagg(expr, delimiter, "order by " ~ expr) }}
{%- endmacro %}

{% macro duckdb__sorted_string_agg(expr, delimiter) -%}
    array_to_string(list_sort(list({{ expr }}) filter (where {{ expr }} is not null)), {{ delimiter }})
{%- endmacro %}
