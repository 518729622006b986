-- One row per CS subscription with the unified company of its customer. Contract dates are
-- business-local (reporting time zone) days; started_at / ended_at are their local midnights as
-- naive UTC, the instants lifecycle and LTV measure with.

with

subscriptions as (

    select * from {{ ref('stg_cs__subscriptions') }}

),

crosswalk as (

    select * from {{ source('identity', 'company_crosswalk') }}

),

customer_companies as (

    select
        source_record_id as customer_id,
        company_id,
        row_number() over (
            partition by source_record_id
            order by resolved_at desc nulls last, company_id
            rows between unbounded preceding and current row
        ) as company_rank
    from crosswalk
    where source_system = 'cs'
        and source_entity = 'customers'

),

final as (

    select
        subscriptions.subscription_id,
        subscriptions.customer_id,
        customer_companies.company_id,
        subscriptions.start_date,
        subscriptions.end_date,
        {{ to_utc('cast(subscriptions.start_date as timestamp)', var('reporting_timezone')) }} as started_at,
        {{ to_utc('cast(subscriptions.end_date as timestamp)', var('reporting_timezone')) }} as ended_at,
        subscriptions.mrr_jpy,
        subscriptions.subscription_status,
        {{ is_churned_subscription('subscriptions.subscription_status') }} as is_churned,
        subscriptions.product,
        subscriptions.churn_reason
    from subscriptions
    left join customer_companies
        on subscriptions.customer_id = customer_companies.customer_id
        and customer_companies.company_rank = 1

)

select * from final
