{#- Schemas are the layer names themselves (staging, core, kpi_build, …), not
    "<target schema>_<layer>": BI tools and auditors address them by these names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
