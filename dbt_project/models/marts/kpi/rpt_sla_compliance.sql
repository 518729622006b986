-- SLA compliance and lead response: MQLs by the reporting period of their MQL time (IS first
-- contact within var is_first_contact_sla_hours, response time median/p90) and SQLs by the period
-- of their SQL time (field-sales first approach within var fs_first_approach_sla_hours,
-- appointment set). The within-SLA flags are the facts' (one SLA definition, in core).
{%- set slices = kpi_lead_slices() %}

with

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

date_grains as (

    {{ kpi_date_grains() }}

),

reporting_hours as (

    {{ kpi_reporting_hours() }}

),

handoffs as (

    -- an MQL waits for the IS first contact
    select
        'mql' as handoff,
        {{ kpi_local_date_by_hour('reporting_hours', 'lead_funnel.mql_at') }} as event_date,
        lead_funnel.first_is_contact_at is not null as is_handled,
        coalesce(lead_funnel.is_first_contact_within_sla, false) as is_within_sla,
        lead_funnel.first_response_hours as response_hours,
        false as has_appointment,
        {{ kpi_lead_slice_values('lead_funnel', 'users') }}
    from lead_funnel
    left join users
        on users.user_id = lead_funnel.is_owner_user_id
    {{ kpi_join_reporting_hour('reporting_hours', 'lead_funnel.mql_at') }}
    where lead_funnel.mql_at is not null

    union all

    -- an SQL waits for the field-sales first approach (and an appointment)
    select
        'sql' as handoff,
        {{ kpi_local_date_by_hour('reporting_hours', 'lead_funnel.sql_at') }} as event_date,
        lead_funnel.first_fs_approach_at is not null as is_handled,
        coalesce(lead_funnel.is_fs_approach_within_sla, false) as is_within_sla,
        lead_funnel.fs_first_approach_hours as response_hours,
        lead_funnel.appointment_set_at is not null as has_appointment,
        {{ kpi_lead_slice_values('lead_funnel', 'users') }}
    from lead_funnel
    left join users
        on users.user_id = lead_funnel.is_owner_user_id
    {{ kpi_join_reporting_hour('reporting_hours', 'lead_funnel.sql_at') }}
    where lead_funnel.sql_at is not null

),

daily as (

    -- each reporting day's counts and exact sums first, per slice: they add up, so the grain
    -- expansion below multiplies slice-days instead of every handoff
    select
        event_date,
        {{ slices | join(',\n        ') }},
        {{ kpi_count_if("handoff = 'mql'") }} as mql_count,
        {{ kpi_count_if("handoff = 'mql' and is_handled") }} as mql_contacted_count,
        {{ kpi_count_if("handoff = 'mql' and is_within_sla") }} as first_contact_within_sla_count,
        {{ kpi_exact_sum_if("handoff = 'mql'", 'response_hours') }} as response_hours_sum,
        {{ kpi_count_values_if("handoff = 'mql'", 'response_hours') }} as response_hours_count,
        {{ kpi_count_if("handoff = 'sql'") }} as sql_count,
        {{ kpi_count_if("handoff = 'sql' and is_handled") }} as sql_approached_count,
        {{ kpi_count_if("handoff = 'sql' and is_within_sla") }} as fs_approach_within_sla_count,
        {{ kpi_exact_sum_if("handoff = 'sql'", 'response_hours') }} as fs_approach_hours_sum,
        {{ kpi_count_values_if("handoff = 'sql'", 'response_hours') }} as fs_approach_hours_count,
        {{ kpi_count_if("handoff = 'sql' and has_appointment") }} as appointment_set_count
    from handoffs
    {{ kpi_group_by_slices(['event_date'], slices) }}

),

periodized as (

    select
        date_grains.grain,
        date_grains.period_start,
        daily.*
    from daily
    inner join date_grains
        on date_grains.date_day = daily.event_date

),

additive as (

    -- a null slice column is the 'all' roll-up of the daily grouping sets and stays a group of
    -- its own here
    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        cast(sum(mql_count) as bigint) as mql_count,
        cast(sum(mql_contacted_count) as bigint) as mql_contacted_count,
        cast(sum(first_contact_within_sla_count) as bigint) as first_contact_within_sla_count,
        {{ kpi_exact_avg('sum(response_hours_sum)', 'sum(response_hours_count)') }} as response_time_avg_hours,
        cast(sum(sql_count) as bigint) as sql_count,
        cast(sum(sql_approached_count) as bigint) as sql_approached_count,
        cast(sum(fs_approach_within_sla_count) as bigint) as fs_approach_within_sla_count,
        {{ kpi_exact_avg('sum(fs_approach_hours_sum)', 'sum(fs_approach_hours_count)') }} as fs_approach_avg_hours,
        cast(sum(appointment_set_count) as bigint) as appointment_set_count
    from periodized
    group by grain, period_start, {{ slices | join(', ') }}

),

responses_periodized as (

    -- quantiles do not add up over days: they need every response time of the period, so only
    -- the handoffs that have one, and only the columns the quantiles read, go per grain
    select
        date_grains.grain,
        date_grains.period_start,
        handoffs.handoff,
        handoffs.response_hours,
        {%- for slice in slices %}
        handoffs.{{ slice }}{{ ',' if not loop.last }}
        {%- endfor %}
    from handoffs
    inner join date_grains
        on date_grains.date_day = handoffs.event_date
    where handoffs.response_hours is not null

),

quantiles as (

    select
        grain,
        period_start,
        {{ slices | join(',\n        ') }},
        {{ kpi_percentiles_if("handoff = 'mql'", 'response_hours', [0.5, 0.9]) }} as response_time_percentiles,
        {{ kpi_percentiles_if("handoff = 'sql'", 'response_hours', [0.5, 0.9]) }} as fs_approach_percentiles
    from responses_periodized
    {{ kpi_group_by_slices(['grain', 'period_start'], slices) }}

),

aggregated as (

    select
        additive.*,
        cast({{ kpi_list_element('quantiles.response_time_percentiles', 1) }} as {{ kpi_type_double() }}) as response_time_median_hours,
        cast({{ kpi_list_element('quantiles.response_time_percentiles', 2) }} as {{ kpi_type_double() }}) as response_time_p90_hours,
        cast({{ kpi_list_element('quantiles.fs_approach_percentiles', 1) }} as {{ kpi_type_double() }}) as fs_approach_median_hours,
        cast({{ kpi_list_element('quantiles.fs_approach_percentiles', 2) }} as {{ kpi_type_double() }}) as fs_approach_p90_hours
    from additive
    left join quantiles
        on quantiles.grain = additive.grain
        and quantiles.period_start = additive.period_start
        {%- for slice in slices %}
        and quantiles.{{ slice }} is not distinct from additive.{{ slice }}
        {%- endfor %}

),

final as (

    select
        grain,
        period_start,
        {{ kpi_slice_columns(slices, 'aggregated') }}
        mql_count,
        mql_contacted_count,
        first_contact_within_sla_count,
        mql_count - first_contact_within_sla_count as first_contact_breached_count,
        {{ kpi_ratio('first_contact_within_sla_count', 'mql_count') }} as first_contact_rate,
        response_time_avg_hours,
        response_time_median_hours,
        response_time_p90_hours,
        sql_count,
        sql_approached_count,
        fs_approach_within_sla_count,
        sql_count - fs_approach_within_sla_count as fs_approach_breached_count,
        {{ kpi_ratio('fs_approach_within_sla_count', 'sql_count') }} as fs_approach_sla_rate,
        fs_approach_avg_hours,
        fs_approach_median_hours,
        fs_approach_p90_hours,
        appointment_set_count,
        {{ kpi_ratio('appointment_set_count', 'sql_count') }} as appointment_rate,
        {{ kpi_ratio('first_contact_within_sla_count + fs_approach_within_sla_count', 'mql_count + sql_count') }} as sla_compliance_rate,
        cast({{ var('is_first_contact_sla_hours') }} as {{ kpi_type_double() }}) as first_contact_sla_hours,
        cast({{ var('fs_first_approach_sla_hours') }} as {{ kpi_type_double() }}) as fs_approach_sla_hours,
        {{ kpi_rules_version() }} as rules_version
    from aggregated

)

select * from final
