with

source as (

    {{ latest_version(source('sfa', 'task'), key=['id']) }}

),

renamed as (

    select
        -- ids
        id as task_id,
        who_id,
        what_id,
        account_id,
        owner_id as owner_user_id,
        -- attributes
        subject,
        type as task_type,
        task_subtype,
        status as task_status,
        call_disposition,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(created_date as timestamp) as created_at,
        cast(activity_date as date) as activity_date,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
