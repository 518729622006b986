with

source as (

    {{ latest_version(source('sfa', 'event'), key=['id']) }}

),

renamed as (

    select
        -- ids
        id as event_id,
        who_id,
        what_id,
        account_id,
        owner_id as owner_user_id,
        -- attributes
        subject,
        type as event_type,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(start_date_time as timestamp) as starts_at,
        cast(created_date as timestamp) as created_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
