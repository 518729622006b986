{#- The singular staging tests (tests/assert_staging_*.sql) without whole-table work that another
    check of the same invocation already does or that an earlier verified run already did.
    Run time only (they read the graph and the warehouse). -#}

{#- True when a selected, blocking generic test of this invocation already proves that `key` is
    unique in `model_name` with the same semantics as assert_staging_keys_unique (NULL keys
    included): unique_combination_of_columns on exactly these columns, or, for a one-column key,
    `unique` (which ignores NULLs) together with `not_null` on that column. Grouping the same
    28M activity keys twice in one build costs seconds and proves nothing new. -#}
{% macro staging_key_uniqueness_tested(model_name, key) -%}
    {%- set model_id = model_node(model_name).unique_id -%}
    {%- set found = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'test' and node.attached_node == model_id
        and node.unique_id in selected_resources and node.test_metadata
        and node.config.enabled and node.config.where is none
        and (node.config.severity | upper) == 'ERROR' and node.config.error_if == '!= 0'
        and node.config.fail_calc == 'count(*)' -%}
        {%- set kwargs = node.test_metadata.kwargs -%}
        {%- if node.test_metadata.name == 'unique_combination_of_columns'
            and (kwargs.columns | sort) == (key | sort) -%}
            {%- do found.append('combination') -%}
        {%- elif key | length == 1 and kwargs.column_name == key[0]
            and node.test_metadata.name in ('unique', 'not_null') -%}
            {%- do found.append(node.test_metadata.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('combination' in found or ('unique' in found and 'not_null' in found)) }}
{%- endmacro %}

{#- The raw-key state of each staging model verified by an earlier run (audit.staging_key_state,
    written by expectations/staging_keys.py only after assert_staging_reconciles_with_raw passed
    and nothing was loaded meanwhile): model name -> {watermark, raw_keys}, for the models whose
    state still describes their raw table. Raw tables are append-only and every loaded row
    carries its load time `_loaded_at`, so "the raw rows with _loaded_at <= watermark have
    raw_keys distinct keys" stays true as long as those rows are the same rows: checked here by
    their count (a row deleted, or inserted with an old or NULL `_loaded_at`, changes it; that
    model is then checked in full). Empty on a full refresh: everything is checked in full. -#}
{% macro staging_key_states() -%}
    {%- set state = adapter.get_relation(database=target.database, schema='audit', identifier='staging_key_state') -%}
    {%- if state is none or flags.FULL_REFRESH -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set stored = {} -%}
    {%- for row in run_query(
        'select model_name, source_relation, key_columns, cast(watermark as varchar), raw_rows, raw_keys from '
        ~ state
    ) -%}
        {%- do stored.update({row[0]: row}) -%}
    {%- endfor -%}
    {%- set candidates = [] -%}
    {%- for model_name in staging_model_names() if model_name in stored -%}
        {%- set src = staging_source_node(model_name) -%}
        {%- set row = stored[model_name] -%}
        {%- if row[1] == src.schema ~ '.' ~ src.identifier and row[2] == src.meta.contract_key | join(',') -%}
            {%- do candidates.append(model_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not candidates -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set check -%}
        {%- for model_name in candidates %}
        select '{{ model_name }}', count(*) = {{ stored[model_name][4] }}
        from {{ staging_source_node(model_name).relation_name }}
        where _loaded_at <= cast('{{ stored[model_name][3] }}' as timestamp) or _loaded_at is null
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    {%- endset -%}
    {%- set states = {} -%}
    {%- for row in run_query(check) if row[1] -%}
        {%- set kept = stored[row[0]] -%}
        {%- do states.update({row[0]: {'watermark': kept[3], 'raw_keys': kept[5]}}) -%}
    {%- endfor -%}
    {{ return(states) }}
{%- endmacro %}

{#- The number of distinct contract keys of a staging model's raw table (a scalar subquery):
    from the verified state plus the keys first delivered after its watermark when there is one
    (a probe of the raw key column against the new keys), else a count over the whole table. -#}
{% macro raw_distinct_key_count(src, state=none) -%}
    {%- set key = src.meta.contract_key -%}
    {%- if state -%}
    (
        {{ state.raw_keys }} + (
            select count(*) from (
                select distinct {{ key | join(', ') }}
                from {{ src.relation_name }}
                where _loaded_at > cast('{{ state.watermark }}' as timestamp)
            ) as new_keys
            where not exists (
                select 1 from {{ src.relation_name }} as known
                where (known._loaded_at <= cast('{{ state.watermark }}' as timestamp) or known._loaded_at is null)
                {%- for column in key %}
                    and known.{{ column }} is not distinct from new_keys.{{ column }}
                {%- endfor %}
            )
        )
    )
    {%- else -%}
    (
        select count(*) from (
            select distinct {{ key | join(', ') }}
            from {{ src.relation_name }}
        ) as raw_keys
    )
    {%- endif -%}
{%- endmacro %}
