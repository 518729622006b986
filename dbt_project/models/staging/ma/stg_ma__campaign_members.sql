{{ config(materialized='incremental', unique_key=['campaign_id', 'lead_id']) }}

-- Incremental (see dbt_project.yml, staging): the raw table grows with every delivery.

{%- set changed_since_last_build = keys_changed_since_last_build(source('ma', 'campaign_members'), ['campaign_id', 'lead_id']) %}

with

source as (

    {{ latest_version(source('ma', 'campaign_members'), key=['campaign_id', 'lead_id'], modified_at='created_at', where=changed_since_last_build) }}

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
        _source_file,
        _loaded_at

    from source

)

select * from renamed
