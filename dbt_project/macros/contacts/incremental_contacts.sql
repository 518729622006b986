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

{#- A raw row the build of the watermark `loaded_through` had seen: the complement of
    int_contact_changes' "loaded after the watermark" (a source empty then has no maximum). -#}
{% macro contact_raw_row_seen(loaded_through) -%}
    (_loaded_at <= coalesce({{ loaded_through }}, cast('0001-01-01' as timestamp)) or _loaded_at is null)
{%- endmacro %}

{#- How many raw rows of a person record source the watermark `loaded_through` had seen: stored
    by int_contacts_watermark, recounted by contact_raw_intact. -#}
{% macro contact_raw_rows_seen(system, entity, loaded_through) -%}
    (
        select count(*) from {{ source(system, entity) }}
        where {{ contact_raw_row_seen(loaded_through) }}
    )
{%- endmacro %}

{#- Whether every person record source still has exactly the raw rows int_contacts_watermark
    counted up to its loaded_through (run time). Raw tables are append-only and every loaded row
    carries its `_loaded_at` (the premise of the staging tests' stored key state,
    macros/staging/staging_tests.sql): then a record without a raw row after the watermark has
    the raw versions it had, hence its staging row (staging keeps one row per key, from that
    key's versions only), and cannot have vanished from staging; a requester can only leave
    through a changed ticket, whose every version's requester int_contact_changes lists anyway.
    Records stored after the watermark (by a run that stopped before dim_contacts) are still in
    int_contact_changes and rebuilt from staging anyway.
    A deleted raw row (or one inserted with an old or NULL `_loaded_at`) changes a count: the
    run then compares every stored record with staging. False without a watermark holding the
    counts (one an older version built). The crosswalk has no such bound: identity rewrites old
    rows every day (merges, moves) and keeps no trace of a removed one. -#}
{% macro contact_raw_intact(watermark) -%}
    {%- if not execute or watermark is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set inputs = contact_raw_sources() -%}
    {%- set columns = adapter.get_columns_in_relation(watermark) | map(attribute='name') | list -%}
    {%- for system, entity in inputs if 'raw_rows_' ~ system ~ '_' ~ entity not in columns -%}
        {{ return(false) }}
    {%- endfor -%}
    {%- set check -%}
        select
            {%- for system, entity in inputs %}
            {{ contact_raw_rows_seen(system, entity, 'watermark.loaded_through') }}
                = watermark.raw_rows_{{ system }}_{{ entity }}
            {%- if not loop.last %} and{% endif %}
            {%- endfor %}
            as raw_intact
        from {{ watermark }} as watermark
    {%- endset -%}
    {%- set rows = run_query(check).rows -%}
    {#- exactly one row (the watermark's), else check in full -#}
    {{ return(rows | length == 1 and rows[0][0] == true) }}
{%- endmacro %}

{#- The raw sources of the person records (int_contacts_watermark counts them). -#}
{% macro contact_raw_sources() -%}
    {{ return([('ma', 'leads'), ('sfa', 'lead'), ('sfa', 'contact'), ('cs', 'tickets')]) }}
{%- endmacro %}
