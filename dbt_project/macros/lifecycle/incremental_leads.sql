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
