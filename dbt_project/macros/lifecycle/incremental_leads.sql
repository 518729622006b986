{#- Lifecycle, incremental models (int_lead_cycles_*, fct_lifecycle_events): a run recomputes only
    the MA leads in int_lead_changes (every lead whose inputs changed since the last complete
    build) and replaces all of their rows, so it equals a full build. The pre-hook deletes the
    leads' old rows (also rows that no longer exist: a cycle that vanished, activities moved to
    another lead), the model selects their new rows, the `append` strategy inserts them. The
    models say `-- depends_on: ref('int_lead_changes')`: the refs below are only rendered on an
    incremental run, and dbt records dependencies at parse time. -#}

{#- The filter of an incremental run on a lead id column; always true on a full build. -#}
{% macro is_changed_lead(column) -%}
    {%- if is_incremental() -%}
    {{ column }} in (select lead_id from {{ ref('int_lead_changes') }})
    {%- else -%}
    1 = 1
    {%- endif -%}
{%- endmacro %}

{#- `select *` of a table's rows of the changed leads on an incremental run (all rows on a full
    build), fetched by rowid (rows_by_rowid): the changed leads are spread over the whole wide
    table. Tried on int_lead_cycles_bounded and stg_ma__activities: slower there, so only the wide
    lifecycle tables use it. -#}
{% macro changed_lead_rows(relation, column='lead_id') -%}
    {%- if is_incremental() -%}
    {{ rows_by_rowid(relation, column ~ " in (select lead_id from " ~ ref('int_lead_changes') ~ ")") }}
    {%- else -%}
    select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook: delete the rows of the changed leads (nothing on a full build). -#}
{% macro delete_changed_leads() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ is_changed_lead('lead_id') }}
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of fct_lifecycle_events: the events of the changed leads, of leads whose funnel
    rows now carry another company (or no longer exist), and all company events. -#}
{% macro delete_stale_lifecycle_events() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where subject_type = 'company'
        or {{ is_changed_lead('lead_id') }}
        or lead_id in (
            select events.lead_id
            from {{ this }} as events
            left join {{ ref('fct_lead_funnel') }} as funnel
                on events.lead_cycle_id = funnel.lead_cycle_id
            where events.subject_type = 'lead'
                and (funnel.lead_cycle_id is null or events.company_id is distinct from funnel.company_id)
        )
    {%- endif -%}
{%- endmacro %}

{#- fct_lead_funnel (incremental by lead, see its header): the stored change set of the lifecycle
    tables, read without ref (a ref rendered only on incremental runs must be declared, and a
    `depends_on` would make every unit test of the funnel give int_lead_changes; it is upstream of
    int_lead_cycles_assembled, which the funnel refs, so it is always built first). -#}
{% macro lead_changes_relation() -%}
    {%- set assembled = ref('int_lead_cycles_assembled') -%}
    {{- api.Relation.create(database=assembled.database, schema=assembled.schema,
                            identifier='int_lead_changes') -}}
{%- endmacro %}

{#- The pre-hook of fct_lead_funnel: delete the rows of the changed leads (also leads that lost
    every row); the delete+insert strategy then replaces the leads whose attributes changed. -#}
{% macro delete_changed_funnel_leads() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where lead_id in (select lead_id from {{ lead_changes_relation() }})
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of fct_lead_funnel: move the clock columns of the kept rows to the warehouse
    clock of this run (as a full build computes them; a no-op when the clock did not move). An
    UPDATE of three columns costs a fraction of rewriting the wide table. -#}
{% macro advance_funnel_clock() -%}
    {%- if is_incremental() -%}
    update {{ this }} as funnel
    set
        as_of_at = clock.as_of_at,
        is_first_contact_within_sla = {{ sla_flag('mql_at', 'first_is_contact_at', var('is_first_contact_sla_hours'), 'clock.as_of_at') }},
        is_fs_approach_within_sla = {{ sla_flag('sql_at', 'first_fs_approach_at', var('fs_first_approach_sla_hours'), 'clock.as_of_at') }}
    from {{ ref('int_warehouse_clock') }} as clock
    where funnel.as_of_at is distinct from clock.as_of_at
    {%- endif -%}
{%- endmacro %}
