with

source as (

    {{ latest_version(source('sfa', 'user'), key=['id']) }}

),

renamed as (

    select
        -- ids
        id as user_id,
        -- attributes
        name as user_name,
        email,
        {{ normalize_email('email') }} as email_normalized,
        department,
        user_role,
        -- flags
        cast(is_active as boolean) as is_active,
        false as is_deleted,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
