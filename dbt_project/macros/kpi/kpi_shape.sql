{#-
    The shape every KPI mart shares: the grains (day | week | month on the reporting calendar),
    the slice columns with their 'all' roll-up, the null-safe ratio and the money/count casts.
    One copy here so every rpt_ model is cut the same way and a BI analyst learns it once.
-#}

{#- The reporting grains. Weeks are ISO weeks starting Monday, months calendar months. -#}
{% macro kpi_grains() -%}
    {{ return(['day', 'week', 'month']) }}
{%- endmacro %}

{#- Three rows per calendar date: (date_day, grain, period_start). Join an event's local date to
    date_day and the event is counted once per grain. -#}
{% macro kpi_date_grains() -%}
    {%- for grain in kpi_grains() %}
    select
        date_day,
        '{{ grain }}' as grain,
        {{ 'date_day' if grain == 'day' else grain ~ '_start' }} as period_start
    from {{ ref('dim_dates') }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Slices of lead-side KPIs (the MA lead cycle's source/campaign/company, its SFA owner). -#}
{% macro kpi_lead_slices() -%}
    {{ return(['lead_source', 'channel', 'campaign_id', 'employee_band', 'industry', 'owner_user_id', 'team']) }}
{%- endmacro %}

{#- Slices of opportunity-side KPIs: the lead slices plus the opportunity type. -#}
{% macro kpi_opportunity_slices() -%}
    {{ return(kpi_lead_slices() + ['opportunity_type']) }}
{%- endmacro %}

{#- The slice values of a lead cycle, null shown as '(none)' so that it never reads as the
    'all' roll-up. `cycle` is a fct_lead_funnel alias, `owner` a dim_users alias. -#}
{% macro kpi_lead_slice_values(cycle, owner) -%}
    coalesce({{ cycle }}.lead_source, '(none)') as lead_source,
    coalesce({{ cycle }}.channel, '(none)') as channel,
    coalesce({{ cycle }}.campaign_id, '(none)') as campaign_id,
    coalesce({{ cycle }}.employee_band, '(none)') as employee_band,
    coalesce({{ cycle }}.industry, '(none)') as industry,
    coalesce({{ cycle }}.is_owner_user_id, '(none)') as owner_user_id,
    coalesce({{ owner }}.team, '(none)') as team
{%- endmacro %}

{#- GROUP BY the keys alone (the 'all' row) and the keys with each slice in turn: one slice at a
    time keeps the mart small and every row's meaning obvious (slice_name says which). -#}
{% macro kpi_group_by_slices(keys, slices) -%}
    group by grouping sets (
        ({{ keys | join(', ') }}),
        {%- for slice in slices %}
        ({{ keys | join(', ') }}, {{ slice }}){{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- After kpi_group_by_slices: slice_name plus every slice column, rolled-up ones as 'all'. -#}
{% macro kpi_slice_columns(slices, relation) -%}
    case
        {%- for slice in slices %}
        when {{ relation }}.{{ slice }} is not null then '{{ slice }}'
        {%- endfor %}
        else 'all'
    end as slice_name,
    {%- for slice in slices %}
    coalesce({{ relation }}.{{ slice }}, 'all') as {{ slice }},
    {%- endfor %}
{%- endmacro %}

{#- A rate as a 64-bit fraction, null when the denominator is 0. -#}
{% macro kpi_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as {{ kpi_type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

{#- Count of rows where the condition holds, as bigint on every engine (DuckDB sums to int128). -#}
{% macro kpi_count_if(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as bigint)
{%- endmacro %}

{#- Sum of a money column where the condition holds, 0 when none. -#}
{% macro kpi_sum_money_if(condition, amount) -%}
    cast(coalesce(sum(case when {{ condition }} then {{ amount }} end), 0) as decimal(18, 2))
{%- endmacro %}

{#- Float KPIs are deterministic: a double sum depends, in its last bits, on the order the
    parallel aggregation adds the rows in, and BI saw averages flicker between two runs on the
    same data. So a float is summed as DECIMAL(38, 18), i.e. each value rounded to 1e-18 of its
    unit (hours, days, JPY), and that exact sum does not depend on the order; a double is made
    only from the exact sum. Sums of day rows also add up exactly to the sums of their periods.
    20 integer digits hold any sum of hours, days or JPY here; a sum past 1e20 fails the build
    (DuckDB raises on a decimal overflow) rather than rounding. -#}
{% macro kpi_exact_sum_if(condition, expr) -%}
    sum(case when {{ condition }} then cast({{ expr }} as decimal(38, 18)) end)
{%- endmacro %}

{#- The count of the non-null values kpi_exact_sum_if adds, as bigint. -#}
{% macro kpi_count_values_if(condition, expr) -%}
    cast(count(case when {{ condition }} then {{ expr }} end) as bigint)
{%- endmacro %}

{#- The average of an exact sum over a count of values: null when there is no value. -#}
{% macro kpi_exact_avg(exact_sum, value_count) -%}
    (cast({{ exact_sum }} as {{ kpi_type_double() }}) / nullif({{ value_count }}, 0))
{%- endmacro %}

{#- A double average of the column over the rows where the condition holds (deterministic). -#}
{% macro kpi_avg_if(condition, expr) -%}
    {{ kpi_exact_avg(kpi_exact_sum_if(condition, expr), kpi_count_values_if(condition, expr)) }}
{%- endmacro %}

{#- A double sum, deterministic, 0 when there is no value. -#}
{% macro kpi_sum_double(expr) -%}
    cast(coalesce({{ kpi_exact_sum_if('true', expr) }}, 0) as {{ kpi_type_double() }})
{%- endmacro %}

{#- The double percentiles ps of the column over the rows where the condition holds, as a list
    (kpi_list_element reads one): one aggregate sorts the values once for all of them. -#}
{% macro kpi_percentiles_if(condition, expr, ps) -%}
    {{ kpi_percentiles_cont('case when ' ~ condition ~ ' then cast(' ~ expr ~ ' as ' ~ kpi_type_double() ~ ') end', ps) }}
{%- endmacro %}

{% macro kpi_percentile_if(condition, expr, p) -%}
    cast({{ kpi_percentile_cont('case when ' ~ condition ~ ' then cast(' ~ expr ~ ' as ' ~ kpi_type_double() ~ ') end', p) }} as {{ kpi_type_double() }})
{%- endmacro %}

{% macro kpi_rules_version() -%}
    cast('{{ var("ssot_rules_version") }}' as {{ dbt.type_string() }})
{%- endmacro %}
