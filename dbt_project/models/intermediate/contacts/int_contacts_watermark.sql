-- One row: what the last build in which dim_contacts succeeded had seen (int_contact_changes reads
-- it, without ref: it runs first): the newest raw `_loaded_at` of the person record sources and
-- the start of that run (its int_contact_changes rows are consumed). Built after dim_contacts (the
-- ref below), so a run that fails halfway keeps the old watermark and the next run recomputes the
-- records of the failed run as well.
-- depends_on: {{ ref('dim_contacts') }}

{%- set inputs = [('ma', 'leads'), ('sfa', 'lead'), ('sfa', 'contact'), ('cs', 'tickets')] %}

with

final as (

    select
        ({{ max_across_sources(inputs, '_loaded_at') }}) as loaded_through,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as consumed_run

)

select * from final
