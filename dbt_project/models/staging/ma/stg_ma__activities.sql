{{ config(materialized='incremental', unique_key='activity_id') }}

-- Incremental (see dbt_project.yml, staging): the source that grows by millions of rows.
-- A table, not a view: scoring, the key tests and the reconciliation would each repeat the
-- dedupe window over every activity.

{%- set changed_since_last_build = keys_changed_since_last_build(source('ma', 'activities'), ['activity_id']) %}

with

source as (

    {{ latest_version(source('ma', 'activities'), key=['activity_id'], where=changed_since_last_build) }}

),

known_activity_types as (

    select * from {{ ref('ma_activity_types') }}

),

renamed as (

    select
        -- ids
        activity_id,
        lead_id,
        campaign_id,
        -- attributes
        coalesce(known_activity_types.activity_type, 'other') as activity_type,
        source.activity_type as activity_type_raw,
        url,
        page_category,
        asset_name,
        cast(score_delta as integer) as score_delta,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(occurred_at as timestamp) as occurred_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file,
        _loaded_at

    from source
    -- types outside the known list are kept as activity_type_raw and counted as 'other' (EXTRACTS.md)
    left join known_activity_types
        on lower(trim(source.activity_type)) = known_activity_types.activity_type

)

select * from renamed
