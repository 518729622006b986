-- One row per CS subscription with the unified company of its customer. Contract dates are
-- business-local (reporting time zone) days; started_at / ended_at are their local midnights as
-- naive UTC, the instants lifecycle and LTV measure with.

with

subscriptions as (

    select * from {{ ref('stg_cs__subscriptions') }}

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

)

select * from final
