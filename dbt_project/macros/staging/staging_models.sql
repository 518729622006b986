{#- The staging models, one per contract entity (Entity.staging_model in ingestion/contracts.py;
    tests/dbt/test_lifecycle_staging_contract.py checks this list against the contract).
    The singular staging tests loop over it so dbt knows their dependencies at parse time; keys
    are read from the graph at run time (model meta.primary_key, source meta.contract_key). -#}
{% macro staging_model_names() -%}
    {{ return([
        'stg_ma__leads', 'stg_ma__activities', 'stg_ma__campaigns', 'stg_ma__campaign_members',
        'stg_sfa__accounts', 'stg_sfa__contacts', 'stg_sfa__leads', 'stg_sfa__lead_histories',
        'stg_sfa__tasks', 'stg_sfa__events', 'stg_sfa__opportunities', 'stg_sfa__opportunity_histories',
        'stg_sfa__users',
        'stg_cs__customers', 'stg_cs__subscriptions', 'stg_cs__health_scores', 'stg_cs__tickets',
    ]) }}
{%- endmacro %}

{#- The graph node of a model of this project by name (run time only). -#}
{% macro model_node(model_name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {{ return(node) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error('no model named ' ~ model_name) }}
{%- endmacro %}

{#- The raw source node a staging model reads (its one dependency among the sources). -#}
{% macro staging_source_node(model_name) -%}
    {%- set node = model_node(model_name) -%}
    {%- for uid in node.depends_on.nodes if uid.startswith('source.') -%}
        {{ return(graph.sources[uid]) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(model_name ~ ' reads no source') }}
{%- endmacro %}
