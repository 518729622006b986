{{ config(materialized='incremental', unique_key='lead_history_id') }}

-- Incremental (see dbt_project.yml, staging): the raw table grows with every delivery.

{%- set changed_since_last_build = keys_changed_since_last_build(source('sfa', 'lead_history'), ['id']) %}

with

source as (

    {{ latest_version(source('sfa', 'lead_history'), key=['id'], where=changed_since_last_build) }}

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
        _source_file,
        _loaded_at

    from source

)

select * from renamed
