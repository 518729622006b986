{#- Contacts, incremental models (int_contact_records, dim_contacts): a run recomputes only the
    person records listed in int_contact_changes and the persons (person_key) they belong to now
    or belonged to before, so the result equals a full build. The models say
    `-- depends_on: ref('int_contact_changes')`: the refs below are only rendered on an
    incremental run, and dbt records dependencies at parse time. -#}

{#- The filter of an incremental run on a source id column of one record type; true on a full
    build. system/entity are the person record's (int_contact_records.source_system/_entity). -#}
{% macro is_changed_contact_record(column, system, entity) -%}
    {%- if is_incremental() -%}
    {{ column }} in (
        select source_record_id from {{ ref('int_contact_changes') }}
        where source_system = '{{ system }}' and source_entity = '{{ entity }}'
    )
    {%- else -%}
    1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of int_contact_records: delete the rows of the changed records. -#}
{% macro delete_changed_contact_records() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where record_key in (select record_key from {{ ref('int_contact_changes') }})
    {%- endif -%}
{%- endmacro %}

{#- The persons an incremental run rebuilds in dim_contacts: the person a changed record belonged
    to before (int_contact_changes.previous_person_key) and the one it belongs to now. -#}
{% macro changed_person_keys() -%}
    select previous_person_key as person_key
    from {{ ref('int_contact_changes') }}
    where previous_person_key is not null
    union
    select person_key
    from {{ ref('int_contact_records') }}
    where record_key in (select record_key from {{ ref('int_contact_changes') }})
{%- endmacro %}

{#- The pre-hook of dim_contacts: delete the rows of the changed persons. dim_contacts has no
    person_key; a changed person's stored row is found by its anchor record, which is either a
    changed record or a record still in that person (every record of it is then in a changed
    person: int_contact_records.person_key is the current one). -#}
{% macro delete_changed_contacts() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where anchor_record_key in (
        select record_key from {{ ref('int_contact_changes') }}
        union all
        select record_key from {{ ref('int_contact_records') }}
        where person_key in ({{ changed_person_keys() }})
    )
    {%- endif -%}
{%- endmacro %}

{#- The pre-hook of int_contact_changes: forget the changes a successful build of dim_contacts
    consumed (int_contacts_watermark.consumed_run: the start of that run); a failed run's stay, and
    all stay while there is no watermark (no build of dim_contacts consumed them yet). -#}
{% macro delete_consumed_contact_changes() -%}
    {%- set watermark = existing_relation('int_contacts_watermark') -%}
    {%- if is_incremental() and watermark is not none -%}
    delete from {{ this }} where changed_in_run <= (select max(consumed_run) from {{ watermark }})
    {%- endif -%}
{%- endmacro %}
