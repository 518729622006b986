with

source as (

    {{ latest_version(source('ma', 'campaigns'), key=['campaign_id'], modified_at='updated_at') }}

),

renamed as (

    select
        -- ids
        campaign_id,
        -- attributes
        name as campaign_name,
        channel,
        currency,
        -- money
        cast(cost as decimal(18, 2)) as cost_jpy,
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
