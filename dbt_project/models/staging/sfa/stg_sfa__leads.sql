{{ config(materialized='incremental', unique_key='sfa_lead_id') }}

-- Incremental (see dbt_project.yml, staging): the raw table grows with every delivery.

{%- set changed_since_last_build = keys_changed_since_last_build(source('sfa', 'lead'), ['id']) %}

with

source as (

    {{ latest_version(source('sfa', 'lead'), key=['id'], modified_at='last_modified_date', where=changed_since_last_build) }}

),

renamed as (

    select
        -- ids
        id as sfa_lead_id,
        converted_account_id,
        converted_contact_id,
        converted_opportunity_id,
        ma_lead_id__c as ma_lead_id,
        owner_id as owner_user_id,
        -- attributes
        status as lead_status,
        first_name,
        last_name,
        email,
        {{ normalize_email('email') }} as email_normalized,
        company as company_name,
        title as job_title,
        phone,
        lead_source,
        cast(number_of_employees as integer) as employees,
        corporate_number__c as corporate_number,
        website,
        -- flags
        cast(is_converted as boolean) as is_converted,
        coalesce(cast(is_deleted as boolean), false) as is_deleted,
        -- dates and timestamps
        cast(created_date as timestamp) as created_at,
        cast(converted_date as date) as converted_date,
        cast(last_modified_date as timestamp) as updated_at,
        -- lineage
        _extra,
        _batch_id,
        _source_file,
        _loaded_at

    from source

)

select * from renamed
