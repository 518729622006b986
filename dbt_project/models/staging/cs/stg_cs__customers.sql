with

source as (

    {{ latest_version(source('cs', 'customers'), key=['customer_id'], modified_at='updated_at') }}

),

renamed as (

    select
        -- ids
        customer_id,
        sfa_account_id,
        -- attributes
        company_name,
        domain,
        corporate_number,
        plan,
        prefecture,
        cast(employees as integer) as employees,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
