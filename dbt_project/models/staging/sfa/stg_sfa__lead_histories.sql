{{
    config(
        materialized='incremental',
        unique_key='lead_history_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

-- Incremental: a table that grows with every delivery. A run re-ranks all raw versions of the keys
-- loaded since the last build (macro keys_changed_since_last_build), so it equals a full build; a
-- change to this SQL needs `--full-refresh` (on_schema_change='fail' stops a mismatched run).

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
