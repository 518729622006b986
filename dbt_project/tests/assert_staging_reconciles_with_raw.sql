-- Nothing is lost or duplicated between raw and staging: every staging model has exactly one row
-- per distinct contract key of its raw table (source meta.contract_key). Returns the models whose
-- counts differ.
{%- for model_name in staging_model_names() %}
-- depends_on: {{ ref(model_name) }}
{%- endfor %}

{% if execute %}

with

counts as (

    {% for model_name in staging_model_names() -%}
    {%- set src = staging_source_node(model_name) -%}
    select
        '{{ model_name }}' as model_name,
        (
            select count(*) from (
                select distinct {{ src.meta.contract_key | join(', ') }}
                from {{ src.relation_name }}
            ) as raw_keys
        ) as raw_distinct_keys,
        (select count(*) from {{ ref(model_name) }}) as staging_rows
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

final as (

    select * from counts
    where raw_distinct_keys <> staging_rows

)

select * from final

{% else %}

select 1 as placeholder where false

{% endif %}
