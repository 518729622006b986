-- One row: what the last build in which dim_contacts succeeded had seen (int_contact_changes reads
-- it, without ref: it runs first): the newest raw `_loaded_at` of the person record sources and
-- the start of that run (its int_contact_changes rows are consumed). Built after dim_contacts (the
-- ref below), so a run that fails halfway keeps the old watermark and the next run recomputes the
-- records of the failed run as well.
-- It also counts the raw rows of each source up to loaded_through: while those counts hold, the
-- rows below the watermark are the same rows, no record can have vanished from staging, and the
-- next run does not compare every stored record with staging (contact_raw_intact in
-- macros/contacts/incremental_contacts.sql).
-- depends_on: {{ ref('dim_contacts') }}

{%- set inputs = contact_raw_sources() %}

with

loaded as (

    select ({{ max_across_sources(inputs, '_loaded_at') }}) as loaded_through

),

final as (

    select
        loaded.loaded_through,
        {%- for system, entity in inputs %}
        {{ contact_raw_rows_seen(system, entity, 'loaded.loaded_through') }} as raw_rows_{{ system }}_{{ entity }},
        {%- endfor %}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as consumed_run
    from loaded

)

select * from final
