with

source as (

    {{ latest_version(source('ma', 'campaign_members'), key=['campaign_id', 'lead_id'], modified_at='created_at') }}

),

renamed as (

    select
        -- ids
        campaign_id,
        lead_id,
        -- attributes
        member_status,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(responded_at as timestamp) as responded_at,
        cast(created_at as timestamp) as created_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
