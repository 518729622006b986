with

source as (

    {{ latest_version(source('cs', 'health_scores'), key=['customer_id', 'scored_at']) }}

),

renamed as (

    select
        -- ids
        customer_id,
        cast(scored_at as timestamp) as scored_at,
        -- attributes
        cast(health_score as {{ type_float64() }}) as health_score,
        -- flags
        false as is_deleted,
        -- lineage
        _extra,
        _batch_id,
        _source_file

    from source

)

select * from renamed
