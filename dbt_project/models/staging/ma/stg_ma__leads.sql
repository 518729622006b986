{{ config(materialized='incremental', unique_key='lead_id') }}

-- Incremental (see dbt_project.yml, staging): the raw table grows with every delivery.

{%- set changed_since_last_build = keys_changed_since_last_build(source('ma', 'leads'), ['lead_id']) %}

with

source as (

    {{ latest_version(source('ma', 'leads'), key=['lead_id'], modified_at='updated_at', where=changed_since_last_build) }}

),

renamed as (

    select
        -- ids
        lead_id,
        campaign_id,
        sfa_lead_id,
        sfa_contact_id,
        -- attributes
        email,
        {{ normalize_email('email') }} as email_normalized,
        first_name,
        last_name,
        company_name,
        job_title,
        phone,
        cast(employees as integer) as employees,
        industry,
        prefecture,
        corporate_number,
        lead_source,
        cast(score as integer) as score,
        -- flags
        false as is_deleted,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file,
        _loaded_at

    from source

)

select * from renamed
