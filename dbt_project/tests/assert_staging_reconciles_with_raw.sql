-- Nothing is lost or duplicated between raw and staging: every staging model has exactly one row
-- per distinct contract key of its raw table (source meta.contract_key). Returns the models whose
-- counts differ.
--
-- The raw side is counted from the state an earlier run verified (audit.staging_key_state) plus
-- the keys first delivered since, when that state still describes the raw table; otherwise, and
-- on every full refresh, over the whole table (macros staging_key_states, raw_distinct_key_count).
-- The staging side is always counted in full: a row lost or duplicated anywhere by this run's
-- build still fails this test.
{%- for model_name in staging_model_names() %}
-- depends_on: {{ ref(model_name) }}
{%- endfor %}

{% if execute %}

{%- set states = staging_key_states() %}

with

counts as (

    {% for model_name in staging_model_names() -%}
    {%- set src = staging_source_node(model_name) -%}
    select
        '{{ model_name }}' as model_name,
        {{ raw_distinct_key_count(src, states.get(model_name)) }} as raw_distinct_keys,
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
