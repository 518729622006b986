{{ config(materialized='incremental', unique_key='task_id') }}

-- Incremental (see dbt_project.yml, staging): the raw table grows with every delivery.

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
