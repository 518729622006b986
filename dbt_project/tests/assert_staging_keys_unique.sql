-- Every staging model holds one row per contract key (meta.primary_key in _<sys>__models.yml):
-- returns the keys that occur more than once, per model. Covers composite keys too. A model
-- whose key a selected generic test of this invocation already proves unique (unique + not_null,
-- or unique_combination_of_columns; macro staging_key_uniqueness_tested) is not grouped a second
-- time: at L that alone was seconds per run over 28M activity keys, for the same answer.
{%- for model_name in staging_model_names() %}
-- depends_on: {{ ref(model_name) }}
{%- endfor %}

{% if execute %}

{%- set unchecked = [] -%}
{%- for model_name in staging_model_names() -%}
    {%- if not staging_key_uniqueness_tested(model_name, model_node(model_name).config.meta.primary_key) -%}
        {%- do unchecked.append(model_name) -%}
    {%- endif -%}
{%- endfor %}

with

duplicates as (

    {% for model_name in unchecked -%}
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
    {%- else -%}
    -- every staging key is proven unique by the generic tests of this invocation
    select
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as key_value,
        cast(null as {{ dbt.type_bigint() }}) as n_rows
    where false
    {%- endfor %}

)

select * from duplicates

{% else %}

select 1 as placeholder where false

{% endif %}
