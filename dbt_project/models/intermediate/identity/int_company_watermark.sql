-- One row: the newest raw `_loaded_at` of the company record sources (SFA accounts, CS customers,
-- MA leads, SFA leads) as of the last build in which every model incremental on
-- int_company_changes succeeded (int_company_changes reads it, without ref: it runs first). Built
-- after them (the refs below), so a run that fails halfway keeps the old watermark (or none) and
-- the next run recomputes the records (and, by the invocation id, the crosswalk changes) of the failed run.
-- depends_on: {{ ref('int_company_records') }}
-- depends_on: {{ ref('dim_companies') }}
-- depends_on: {{ ref('int_record_companies_resolved') }}

{%- set inputs = [('sfa', 'account'), ('cs', 'customers'), ('ma', 'leads'), ('sfa', 'lead')] %}

with

final as (

    select
        ({{ max_across_sources(inputs, '_loaded_at') }}) as loaded_through,
        -- the run that built it: int_company_changes of another run did not finish
        '{{ invocation_id }}' as invocation_id

)

select * from final
