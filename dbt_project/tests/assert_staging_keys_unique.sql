-- Every staging model holds one row per contract key (meta.primary_key in _<sys>__models.yml):
-- returns the keys that occur more than once, per model. Covers composite keys too.
{%- for model_name in staging_model_names() %}
-- depends_on: {{ ref(model_name) }}
{%- endfor %}

{% if execute %}

with

duplicates as (

    {% for model_name in staging_model_names() -%}
    {%- set key = model_node(model_name).config.meta.primary_key -%}
    select
        '{{ model_name }}' as model_name,
        {%- set as_string = ' as ' ~ dbt.type_string() ~ ')' %}
        cast({{ key | join(as_string ~ " || '|' || cast(") }}{{ as_string }} as key_value,
        count(*) as n_rows
    from {{ ref(model_name) }}
    group by {{ key | join(', ') }}
    having count(*) > 1
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

)

select * from duplicates

{% else %}

select 1 as placeholder where false

{% endif %}
