-- LTV, CAC and LTV/CAC by reporting period: customers acquired (first subscription start) and
-- churned in the period; CAC = the period's costs from var cac_cost_sources / new customers;
-- LTV = average, over the customers acquired in the period, of their lifetime value per var
-- ltv_method (lifetime revenue up to the warehouse clock, or its gross margin).
{%- set cost_sources = kpi_cac_cost_sources() %}

with

customers as (

    select * from {{ ref('fct_customers') }}

),

date_grains as (

    {{ kpi_date_grains() }}

),

measures as (

    select
        {{ kpi_local_date('customer_at') }} as event_date,
        1 as is_new_customer,
        0 as is_churned_customer,
        {{ kpi_customer_ltv('lifetime_revenue_jpy') }} as ltv_jpy,
        cast(0 as {{ kpi_type_double() }}) as cac_cost_jpy
    from customers

    union all

    select
        {{ kpi_local_date('churned_at') }} as event_date,
        0 as is_new_customer,
        1 as is_churned_customer,
        null as ltv_jpy,
        cast(0 as {{ kpi_type_double() }}) as cac_cost_jpy
    from customers
    where churned_at is not null

    {%- if 'campaign_spend' in cost_sources %}

    union all

    select
        date_day as event_date,
        0 as is_new_customer,
        0 as is_churned_customer,
        null as ltv_jpy,
        spend_jpy as cac_cost_jpy
    from ({{ kpi_campaign_spend_by_day() }}) as campaign_spend
    {%- endif %}

),

periodized as (

    select
        date_grains.grain,
        date_grains.period_start,
        measures.*
    from measures
    inner join date_grains
        on date_grains.date_day = measures.event_date

),

aggregated as (

    select
        grain,
        period_start,
        cast(sum(is_new_customer) as bigint) as new_customer_count,
        cast(sum(is_churned_customer) as bigint) as churned_customer_count,
        {{ kpi_sum_double('cac_cost_jpy') }} as cac_cost_jpy,
        {{ kpi_avg_if('true', 'ltv_jpy') }} as ltv_avg_jpy
    from periodized
    group by grain, period_start

),

final as (

    select
        grain,
        period_start,
        new_customer_count,
        churned_customer_count,
        cac_cost_jpy,
        {{ kpi_ratio('cac_cost_jpy', 'new_customer_count') }} as cac_jpy,
        ltv_avg_jpy,
        ltv_avg_jpy / nullif({{ kpi_ratio('cac_cost_jpy', 'new_customer_count') }}, 0) as ltv_to_cac_ratio,
        cast('{{ var("ltv_method") }}' as {{ dbt.type_string() }}) as ltv_method,
        cast('{{ cost_sources | join(",") }}' as {{ dbt.type_string() }}) as cac_cost_sources,
        {{ kpi_rules_version() }} as rules_version
    from aggregated

)

select * from final
