-- One row: the newest raw `_loaded_at` of the lifecycle inputs as of the last build in which
-- every incremental lifecycle model (fct_opportunities included) succeeded (int_lead_changes and
-- fct_opportunities read it without ref: they run first). Built after those models (the refs below), so a run that fails halfway keeps the old
-- watermark and the next run recomputes the leads of the failed run as well.
-- depends_on: {{ ref('int_lead_cycles_assembled') }}
-- depends_on: {{ ref('fct_lifecycle_events') }}
-- depends_on: {{ ref('fct_opportunities') }}

{%- set inputs = [
    ('ma', 'leads'), ('ma', 'activities'), ('sfa', 'lead'), ('sfa', 'lead_history'), ('sfa', 'task'),
    ('sfa', 'event'), ('sfa', 'opportunity'), ('sfa', 'opportunity_history'), ('sfa', 'user'),
] %}

with

final as (

    select ({{ max_across_sources(inputs, '_loaded_at') }}) as loaded_through

)

select * from final
