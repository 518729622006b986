{#- Business rules of the lead lifecycle: the ONE place each stage rule is written.

    Every value comes from the `vars:` of dbt_project.yml (the versioned business configuration);
    models call these macros instead of repeating a CASE, so a rule change is one edit here or one
    var change there. Covered by the unit tests in models/intermediate/lifecycle/_lifecycle__unit_tests.yml.
-#}

{#- A quoted SQL list from a list var: ['Call', 'Email'] -> ('Call', 'Email'). -#}
{% macro sql_list(values) -%}
    ({%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{#- MQL: the running score crosses from below the threshold to at or above it. -#}
{% macro is_mql_crossing(score_before, score_after) -%}
    ({{ score_before }} < {{ var('mql_score_threshold') }} and {{ score_after }} >= {{ var('mql_score_threshold') }})
{%- endmacro %}

{#- The lifecycle stage a SFA lead Status value means ('sal', 'sql', 'recycled', 'disqualified',
    'converted'), null for statuses that are not a stage entry (Open, ...). -#}
{% macro lead_status_stage(status) -%}
    case {{ status }}
        when '{{ var("lead_status_sal") }}' then 'sal'
        when '{{ var("lead_status_sql") }}' then 'sql'
        when '{{ var("lead_status_recycled") }}' then 'recycled'
        when '{{ var("lead_status_disqualified") }}' then 'disqualified'
        when '{{ var("lead_status_converted") }}' then 'converted'
    end
{%- endmacro %}

{#- SFA departments of the two sales teams. Not yet in dbt_project.yml vars: the defaults here are
    the EXTRACTS.md vocabulary and the vars override them once added. -#}
{% macro is_inside_sales_department(department) -%}
    ({{ department }} = '{{ var("inside_sales_department") }}')
{%- endmacro %}

{% macro is_field_sales_department(department) -%}
    ({{ department }} = '{{ var("field_sales_department") }}')
{%- endmacro %}

{#- An IS contact attempt: a Task of a contact type, owned by an Inside Sales user. -#}
{% macro is_is_contact_task(task_type, owner_department) -%}
    ({{ task_type }} in {{ sql_list(var('is_contact_task_types')) }} and {{ is_inside_sales_department(owner_department) }})
{%- endmacro %}

{#- An appointment: an Event of an appointment type. -#}
{% macro is_appointment_event(event_type) -%}
    ({{ event_type }} in {{ sql_list(var('appointment_event_types')) }})
{%- endmacro %}

{#- A field-sales approach: any Task or Event owned by a Field Sales user. -#}
{% macro is_fs_approach(owner_department) -%}
    {{ is_field_sales_department(owner_department) }}
{%- endmacro %}

{#- SLA flag of a clock that starts at `start_ts` and stops at `done_ts`, `sla_hours` allowed:
    null when the clock never started (no MQL / no SQL); true when done within the SLA (exactly
    the SLA counts as within); false when done late, or not done and the SLA has already run out
    at the warehouse clock `as_of_ts`; null while still pending (not done, SLA not yet over). -#}
{% macro sla_flag(start_ts, done_ts, sla_hours, as_of_ts) -%}
    case
        when {{ start_ts }} is null then null
        when {{ done_ts }} is not null
            then {{ hours_between(start_ts, done_ts) }} <= {{ sla_hours }}
        when {{ hours_between(start_ts, as_of_ts) }} > {{ sla_hours }} then false
    end
{%- endmacro %}

{#- A churned CS subscription. The status vocabulary is not yet in the vars (see report). -#}
{% macro is_churned_subscription(status) -%}
    (lower({{ status }}) = '{{ var("subscription_status_churned") }}')
{%- endmacro %}

{#- Marketing-sourced: a campaign, or a lead source / channel in var marketing_lead_sources. -#}
{% macro is_marketing_sourced(campaign_id, lead_source, channel) -%}
    (
        {{ campaign_id }} is not null
        or lower({{ lead_source }}) in {{ sql_list(var('marketing_lead_sources')) }}
        or {{ channel }} in {{ sql_list(var('marketing_lead_sources')) }}
    )
{%- endmacro %}
