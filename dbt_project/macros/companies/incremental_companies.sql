{#- Companies, incremental models (int_company_records, dim_companies): a run recomputes only the
    crosswalk rows in int_company_changes (every record key whose crosswalk rows or staging record
    changed since the last complete build, with its companies before and after) and replaces all
    of their rows, so it equals a full build. As for the lifecycle (macros/lifecycle/
    incremental_leads.sql): the pre-hook deletes the old rows of the changed keys / companies (also
    companies that no longer exist), the model selects their new rows, `append` inserts them. The
    models say `-- depends_on: ref('int_company_changes')`: the refs below are only rendered on an
    incremental run. -#}

{#- True when a run can be incremental: not a full refresh, and the last build left its state
    (int_company_records, and the watermark built after dim_companies, so a run that failed
    halfway recomputes everything it did not finish). Else every company is recomputed. -#}
{% macro companies_state_is_complete() -%}
    {%- set watermark = adapter.get_relation(database=this.database, schema=generate_schema_name('intermediate', none),
                                             identifier='int_company_watermark') -%}
    {%- set records = adapter.get_relation(database=this.database, schema=generate_schema_name('intermediate', none),
                                           identifier='int_company_records') -%}
    {{- return(watermark is not none and records is not none and not flags.FULL_REFRESH) -}}
{%- endmacro %}

{#- Whether this model's run is incremental: it exists and the state is complete. -#}
{% macro is_companies_incremental() -%}
    {{- return(is_incremental() and companies_state_is_complete()) -}}
{%- endmacro %}

{#- The filters of an incremental run: the rows of a changed record key (columns source_system,
    source_entity, source_record_id) / of a changed `column` company id, as int_company_changes
    lists them; always true on a full build. -#}
{% macro is_changed_company_record() -%}
    {%- if is_companies_incremental() -%}
    (source_system, source_entity, source_record_id) in (
        select (source_system, source_entity, source_record_id) from {{ ref('int_company_changes') }}
    )
    {%- else -%}
    1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook: delete the rows of the changed record keys / companies (all on a full build of
    an existing table, e.g. the first run after the state was lost). -#}
{% macro delete_changed_companies(filter) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ filter }}
    {%- endif -%}
{%- endmacro %}

{% macro is_changed_company(column) -%}
    {%- if is_companies_incremental() -%}
    {{ column }} in (select company_id from {{ ref('int_company_changes') }})
    {%- else -%}
    1 = 1
    {%- endif -%}
{%- endmacro %}
