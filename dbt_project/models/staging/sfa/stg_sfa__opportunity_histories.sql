with

source as (

    {{ latest_version(source('sfa', 'opportunity_history'), key=['id']) }}

),

renamed as (

    select
        -- ids
        id as opportunity_history_id,
        opportunity_id,
        -- attributes
        stage_name,
        cast(probability as {{ type_float64() }}) as probability,
        -- money
        cast(amount as decimal(18, 2)) as amount_jpy,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(created_date as timestamp) as changed_at,
        cast(close_date as date) as close_date,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
