with

source as (

    {{ latest_version(source('sfa', 'opportunity'), key=['id'], modified_at='last_modified_date') }}

),

renamed as (

    select
        -- ids
        id as opportunity_id,
        account_id,
        campaign_id,
        owner_id as owner_user_id,
        -- attributes
        stage_name,
        name as opportunity_name,
        lead_source,
        type as opportunity_type,
        loss_reason__c as loss_reason,
        -- money
        cast(amount as decimal(18, 2)) as amount_jpy,
        -- flags
        cast(is_closed as boolean) as is_closed,
        cast(is_won as boolean) as is_won,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        -- dates and timestamps
        cast(created_date as timestamp) as created_at,
        cast(close_date as date) as close_date,
        cast(last_modified_date as timestamp) as updated_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
