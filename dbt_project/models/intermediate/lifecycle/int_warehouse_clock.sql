-- One row: the warehouse's "now" (as_of_at), the end of the latest extract date in the business
-- time zone, as naive UTC. SLA ages, active MRR and lifetimes are measured against it, so a rerun
-- on the same extracts gives the same numbers whatever the wall-clock time.

{%- set raw_tables = [
    ('ma', 'leads'), ('ma', 'activities'), ('ma', 'campaigns'), ('ma', 'campaign_members'),
    ('sfa', 'account'), ('sfa', 'contact'), ('sfa', 'lead'), ('sfa', 'lead_history'),
    ('sfa', 'task'), ('sfa', 'event'), ('sfa', 'opportunity'), ('sfa', 'opportunity_history'),
    ('sfa', 'user'),
    ('cs', 'customers'), ('cs', 'subscriptions'), ('cs', 'health_scores'), ('cs', 'tickets'),
] %}

with

latest as (

    select ({{ max_across_sources(raw_tables, '_extract_date') }}) as latest_extract_date

),

final as (

    select
        latest_extract_date,
        {{ to_utc(
            'cast(' ~ dbt.dateadd('day', 1, 'latest_extract_date') ~ ' as timestamp)',
            var('reporting_timezone')
        ) }} as as_of_at,
        '{{ var("reporting_timezone") }}' as as_of_timezone
    from latest

)

select * from final
