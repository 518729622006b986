with

source as (

    {{ latest_version(source('sfa', 'contact'), key=['id'], modified_at='last_modified_date') }}

),

renamed as (

    select
        -- ids
        id as contact_id,
        account_id,
        ma_lead_id__c as ma_lead_id,
        owner_id as owner_user_id,
        -- attributes
        first_name,
        last_name,
        email,
        {{ normalize_email('email') }} as email_normalized,
        title as job_title,
        phone,
        lead_source,
        -- flags
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        -- dates and timestamps
        cast(created_date as timestamp) as created_at,
        cast(last_modified_date as timestamp) as updated_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
