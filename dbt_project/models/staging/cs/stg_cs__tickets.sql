with

source as (

    {{ latest_version(source('cs', 'tickets'), key=['ticket_id'], modified_at='solved_at') }}

),

renamed as (

    select
        -- ids
        ticket_id,
        customer_id,
        -- attributes
        requester_email,
        {{ normalize_email('requester_email') }} as requester_email_normalized,
        priority as ticket_priority,
        status as ticket_status,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        cast(solved_at as timestamp) as solved_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
