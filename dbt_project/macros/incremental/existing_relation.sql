{#- The table a model of this project built last, or none when there is none yet (and while dbt
    parses). For the incremental models that read state of another model without ref: a change
    set its watermark, a stored per-record table, a model built after them (a ref would be a
    cycle, or would make dbt build that model first). Where the model lives comes from the graph
    (its schema and alias), not from the reader's own schema. -#}
{% macro existing_relation(model_name) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = model_node(model_name) -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}
