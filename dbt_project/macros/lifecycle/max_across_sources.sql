{#- The largest value of `column` across the given raw sources ((system, entity) pairs), as one
    scalar select: one max per source, then the max of those (each source's max can use its own
    zone maps; a union of all rows could not). Used by the warehouse clock (newest extract date)
    and the lifecycle watermark (newest load time). -#}
{% macro max_across_sources(sources, column) -%}
    select max(source_max) from (
        {%- for system, entity in sources %}
        select max({{ column }}) as source_max from {{ source(system, entity) }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as per_source
{%- endmacro %}
