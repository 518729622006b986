{{
    config(
        materialized='incremental',
        unique_key='task_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

-- Incremental: a table that grows with every delivery. A run re-ranks all raw versions of the keys
-- loaded since the last build (macro keys_changed_since_last_build), so it equals a full build; a
-- change to this SQL needs `--full-refresh` (on_schema_change='fail' stops a mismatched run).

{%- set changed_since_last_build = keys_changed_since_last_build(source('sfa', 'task'), ['id']) %}

with

source as (

    {{ latest_version(source('sfa', 'task'), key=['id'], where=changed_since_last_build) }}

),

renamed as (

    select
        -- ids
        id as task_id,
        who_id,
        what_id,
        account_id,
        owner_id as owner_user_id,
        -- attributes
        subject,
        type as task_type,
        task_subtype,
        status as task_status,
        call_disposition,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(created_date as timestamp) as created_at,
        cast(activity_date as date) as activity_date,
        -- lineage
        _extra,
        _batch_id,
        _source_file,
        _loaded_at

    from source

)

select * from renamed
