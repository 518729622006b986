-- The KPI marts add up to the facts, at every grain: nothing dropped by the calendar join, no
-- fan-out from the slice joins, and every slice's values sum to the 'all' row.
-- Returns one row per (check, grain) that does not reconcile.
{%- set grains = kpi_grains() %}

with

lifecycle_events as (

    select * from {{ ref('fct_lifecycle_events') }}

),

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

customers as (

    select * from {{ ref('fct_customers') }}

),

checks as (

    {%- for grain in grains %}
    {%- for stage in ['lead', 'mql', 'sql', 'opportunity', 'won', 'recycled'] %}
    select
        'funnel_period {{ stage }}_count = fct_lifecycle_events' as check_name,
        '{{ grain }}' as grain,
        cast((select count(*) from lifecycle_events
              where subject_type = 'lead' and stage = '{{ stage }}') as {{ kpi_type_double() }}) as expected,
        cast((select sum({{ stage }}_count) from {{ ref('rpt_funnel_period') }}
              where grain = '{{ grain }}' and slice_name = 'all') as {{ kpi_type_double() }}) as actual
    union all
    {%- endfor %}
    {%- for slice in kpi_lead_slices() %}
    select
        'funnel_period mql_count by {{ slice }} = all' as check_name,
        '{{ grain }}' as grain,
        cast((select sum(mql_count) from {{ ref('rpt_funnel_period') }}
              where grain = '{{ grain }}' and slice_name = 'all') as {{ kpi_type_double() }}) as expected,
        cast((select sum(mql_count) from {{ ref('rpt_funnel_period') }}
              where grain = '{{ grain }}' and slice_name = '{{ slice }}') as {{ kpi_type_double() }}) as actual
    union all
    {%- endfor %}
    select
        'funnel_cohort lead_count = leads in fct_lead_funnel' as check_name,
        '{{ grain }}' as grain,
        cast((select count(distinct lead_id) from lead_funnel) as {{ kpi_type_double() }}) as expected,
        cast((select sum(lead_count) from {{ ref('rpt_funnel_cohort') }}
              where grain = '{{ grain }}' and slice_name = 'all') as {{ kpi_type_double() }}) as actual
    union all
    select
        'sla_compliance mql_count = MQL cycles in fct_lead_funnel' as check_name,
        '{{ grain }}' as grain,
        cast((select count(*) from lead_funnel where mql_at is not null) as {{ kpi_type_double() }}) as expected,
        cast((select sum(mql_count) from {{ ref('rpt_sla_compliance') }}
              where grain = '{{ grain }}' and slice_name = 'all') as {{ kpi_type_double() }}) as actual
    union all
    select
        'sales_period won_amount_jpy = fct_opportunities' as check_name,
        '{{ grain }}' as grain,
        cast((select coalesce(sum(won_amount_jpy), 0) from opportunities where is_won) as {{ kpi_type_double() }}) as expected,
        cast((select sum(won_amount_jpy) from {{ ref('rpt_sales_period') }}
              where grain = '{{ grain }}' and slice_name = 'all') as {{ kpi_type_double() }}) as actual
    union all
    select
        'sales_period opportunity_created_count = fct_opportunities' as check_name,
        '{{ grain }}' as grain,
        cast((select count(*) from opportunities) as {{ kpi_type_double() }}) as expected,
        cast((select sum(opportunity_created_count) from {{ ref('rpt_sales_period') }}
              where grain = '{{ grain }}' and slice_name = 'all') as {{ kpi_type_double() }}) as actual
    union all
    select
        'loss_reasons won_amount_jpy = fct_opportunities' as check_name,
        '{{ grain }}' as grain,
        cast((select coalesce(sum(won_amount_jpy), 0) from opportunities where is_won) as {{ kpi_type_double() }}) as expected,
        cast((select sum(won_amount_jpy) from {{ ref('rpt_loss_reasons') }}
              where grain = '{{ grain }}' and slice_name = 'all') as {{ kpi_type_double() }}) as actual
    union all
    select
        'campaign_performance won_amount_jpy = fct_opportunities' as check_name,
        '{{ grain }}' as grain,
        cast((select coalesce(sum(won_amount_jpy), 0) from opportunities where is_won) as {{ kpi_type_double() }}) as expected,
        cast((select sum(won_amount_jpy) from {{ ref('rpt_campaign_performance') }}
              where grain = '{{ grain }}' and slice_name = 'all') as {{ kpi_type_double() }}) as actual
    union all
    select
        'unit_economics new_customer_count = fct_customers' as check_name,
        '{{ grain }}' as grain,
        cast((select count(*) from customers) as {{ kpi_type_double() }}) as expected,
        cast((select sum(new_customer_count) from {{ ref('rpt_unit_economics') }}
              where grain = '{{ grain }}') as {{ kpi_type_double() }}) as actual
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select *
from checks
-- money sums in double: allow rounding far below one yen
where abs(coalesce(expected, 0) - coalesce(actual, 0)) > 0.001
