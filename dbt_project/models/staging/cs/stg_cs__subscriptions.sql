with

source as (

    {{ latest_version(source('cs', 'subscriptions'), key=['subscription_id'], modified_at='updated_at') }}

),

renamed as (

    select
        -- ids
        subscription_id,
        customer_id,
        -- attributes
        status as subscription_status,
        product,
        churn_reason,
        -- money
        cast(mrr as decimal(18, 2)) as mrr_jpy,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(updated_at as timestamp) as updated_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
