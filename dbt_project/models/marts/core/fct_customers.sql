-- One row per CS customer: when it became a customer (first subscription start), whether and
-- when it churned (every subscription churned: the latest end), active MRR at the warehouse clock
-- and lifetime revenue (MRR x months active, up to the end or the clock).

with

customers as (

    select * from {{ ref('stg_cs__customers') }}

),

subscriptions as (

    select * from {{ ref('fct_subscriptions') }}

),

clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

record_companies as (

    select * from {{ ref('int_record_companies_resolved') }}

),

customer_companies as (

    select
        source_record_id as customer_id,
        company_id
    from record_companies
    where source_system = 'cs'
        and source_entity = 'customers'

),

-- average month length, so months are comparable across engines and calendars
measured as (

    select
        subscriptions.*,
        case
            when subscriptions.started_at > clock.as_of_at then 0.0
            else greatest(
                {{ days_between(
                    'subscriptions.started_at',
                    'least(coalesce(subscriptions.ended_at, clock.as_of_at), clock.as_of_at)'
                ) }},
                0.0
            ) / (365.25 / 12)
        end as months_active,
        subscriptions.started_at <= clock.as_of_at
            and (subscriptions.ended_at is null or subscriptions.ended_at > clock.as_of_at)
            and not coalesce(subscriptions.is_churned, false) as is_active_at_clock,
        row_number() over (
            partition by subscriptions.customer_id
            order by subscriptions.started_at, subscriptions.subscription_id
            rows between unbounded preceding and current row
        ) as start_rank,
        row_number() over (
            partition by subscriptions.customer_id
            order by subscriptions.ended_at desc nulls first, subscriptions.subscription_id desc
            rows between unbounded preceding and current row
        ) as end_rank
    from subscriptions
    cross join clock

),

by_customer as (

    select
        customer_id,
        count(*) as subscription_count,
        min(started_at) as customer_at,
        max(case when start_rank = 1 then subscription_id end) as first_subscription_id,
        max(case when end_rank = 1 then subscription_id end) as last_ended_subscription_id,
        max(ended_at) as last_ended_at,
        min(case when coalesce(is_churned, false) then 1 else 0 end) as all_churned,
        sum(case when is_active_at_clock then mrr_jpy else 0 end) as active_mrr_jpy,
        sum(cast(mrr_jpy as {{ type_float64() }}) * months_active) as lifetime_revenue_jpy
    from measured
    group by customer_id

),

final as (

    select
        customers.customer_id,
        customer_companies.company_id,
        customers.company_name,
        by_customer.customer_at,
        case when by_customer.all_churned = 1 then by_customer.last_ended_at end as churned_at,
        coalesce(by_customer.all_churned = 1, false) as is_churned,
        cast(coalesce(by_customer.active_mrr_jpy, 0) as decimal(18, 2)) as active_mrr_jpy,
        -- money at the mart boundary is decimal(18, 2) on every engine
        cast(coalesce(by_customer.lifetime_revenue_jpy, 0.0) as decimal(18, 2)) as lifetime_revenue_jpy,
        case
            when by_customer.customer_at is null or by_customer.customer_at > clock.as_of_at then 0.0
            else {{ days_between(
                'by_customer.customer_at',
                'least(coalesce(case when by_customer.all_churned = 1 then by_customer.last_ended_at end, clock.as_of_at), clock.as_of_at)'
            ) }} / (365.25 / 12)
        end as lifetime_months,
        coalesce(by_customer.subscription_count, 0) as subscription_count,
        by_customer.first_subscription_id,
        case when by_customer.all_churned = 1 then by_customer.last_ended_subscription_id end
            as churn_subscription_id
    from customers
    left join by_customer
        on customers.customer_id = by_customer.customer_id
    left join customer_companies
        on customers.customer_id = customer_companies.customer_id
    cross join clock

)

select * from final
