with

source as (

    {{ latest_version(source('sfa', 'lead_history'), key=['id']) }}

),

renamed as (

    select
        -- ids
        id as lead_history_id,
        lead_id as sfa_lead_id,
        -- attributes
        field as field_name,
        old_value,
        new_value,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(created_date as timestamp) as changed_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
