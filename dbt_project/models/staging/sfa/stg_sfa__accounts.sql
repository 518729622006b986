with

source as (

    {{ latest_version(source('sfa', 'account'), key=['id'], modified_at='last_modified_date') }}

),

renamed as (

    select
        -- ids
        id as account_id,
        owner_id as owner_user_id,
        -- attributes
        name as account_name,
        website,
        phone,
        industry,
        cast(number_of_employees as integer) as employees,
        billing_state as prefecture,
        corporate_number__c as corporate_number,
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
