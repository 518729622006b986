{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_contact_records() }}",
) }}
-- Incremental by record (macros/contacts/incremental_contacts.sql): a run rebuilds the records of
-- int_contact_changes only. depends_on: {{ ref('int_contact_changes') }}

-- One row per person record (MA lead, SFA lead, SFA contact, CS ticket requester) with the
-- person it belongs to (person_key) and what dim_contacts chooses from: dim_contacts groups
-- these rows by person_key. The unification rules (stated in _identity__models.yml, dim_contacts):
-- person_key is the record's normalised e-mail; a record without e-mail takes the e-mail of the
-- record its sync id points to (MA sfa_lead_id / sfa_contact_id, SFA MA_Lead_Id__c / converted
-- contact); failing that, records joined by a sync id share the MA lead as anchor; otherwise the
-- record stands alone. So a record's person_key depends on itself and on the e-mail of the records
-- its sync ids point to, and company_id on its company record's crosswalk row: int_contact_changes
-- lists a record when any of these changed.

with

-- every record of a source: the records the sync ids point to (also unchanged ones)
ma_leads as (

    select * from {{ ref('stg_ma__leads') }}

),

sfa_leads as (

    select * from {{ ref('stg_sfa__leads') }}

),

sfa_contacts as (

    select * from {{ ref('stg_sfa__contacts') }}

),

crosswalk as (

    select * from {{ source('identity', 'company_crosswalk') }}

),

-- a ticket requester is a person record per (customer, e-mail), first seen at the first ticket
requesters as (

    select
        customer_id,
        requester_email_normalized as email_normalized,
        min(created_at) as created_at,
        max(created_at) as updated_at
    from {{ ref('stg_cs__tickets') }}
    where requester_email_normalized is not null
        and {{ is_changed_contact_record("customer_id || ':' || requester_email_normalized", 'cs', 'ticket_requester') }}
    group by customer_id, requester_email_normalized

),

person_records as (

    select
        'ma' as source_system,
        'leads' as source_entity,
        lead_id as source_record_id,
        4 as source_rank,
        email_normalized,
        first_name,
        last_name,
        job_title,
        lead_id as ma_lead_id,
        sfa_lead_id,
        sfa_contact_id,
        'ma' as company_source_system,
        'leads' as company_source_entity,
        lead_id as company_source_record_id,
        is_deleted,
        created_at,
        coalesce(updated_at, created_at) as modified_at
    from ma_leads
    where {{ is_changed_contact_record('lead_id', 'ma', 'leads') }}

    union all

    select
        'sfa' as source_system,
        'lead' as source_entity,
        sfa_lead_id as source_record_id,
        3 as source_rank,
        email_normalized,
        first_name,
        last_name,
        job_title,
        ma_lead_id,
        sfa_lead_id,
        converted_contact_id as sfa_contact_id,
        'sfa' as company_source_system,
        'lead' as company_source_entity,
        sfa_lead_id as company_source_record_id,
        is_deleted,
        created_at,
        coalesce(updated_at, created_at) as modified_at
    from sfa_leads
    where {{ is_changed_contact_record('sfa_lead_id', 'sfa', 'lead') }}

    union all

    select
        'sfa' as source_system,
        'contact' as source_entity,
        contact_id as source_record_id,
        1 as source_rank,
        email_normalized,
        first_name,
        last_name,
        job_title,
        ma_lead_id,
        cast(null as varchar) as sfa_lead_id,
        contact_id as sfa_contact_id,
        'sfa' as company_source_system,
        'account' as company_source_entity,
        account_id as company_source_record_id,
        is_deleted,
        created_at,
        coalesce(updated_at, created_at) as modified_at
    from sfa_contacts
    where {{ is_changed_contact_record('contact_id', 'sfa', 'contact') }}

    union all

    select
        'cs' as source_system,
        'ticket_requester' as source_entity,
        customer_id || ':' || email_normalized as source_record_id,
        5 as source_rank,
        email_normalized,
        cast(null as varchar) as first_name,
        cast(null as varchar) as last_name,
        cast(null as varchar) as job_title,
        cast(null as varchar) as ma_lead_id,
        cast(null as varchar) as sfa_lead_id,
        cast(null as varchar) as sfa_contact_id,
        'cs' as company_source_system,
        'customers' as company_source_entity,
        customer_id as company_source_record_id,
        false as is_deleted,
        created_at,
        updated_at as modified_at
    from requesters

),

-- sync ids as evidence: the e-mail of the linked MA lead / SFA lead / SFA contact (staging keys
-- are unique: one row per record)
linked as (

    select
        person_records.*,
        coalesce(linked_ma.email_normalized, linked_sfa_lead.email_normalized, linked_contact.email_normalized)
            as linked_email_normalized,
        crosswalk.company_id
    from person_records
    left join ma_leads as linked_ma
        on person_records.ma_lead_id = linked_ma.lead_id
    left join sfa_leads as linked_sfa_lead
        on person_records.sfa_lead_id = linked_sfa_lead.sfa_lead_id
    left join sfa_contacts as linked_contact
        on person_records.sfa_contact_id = linked_contact.contact_id
    left join crosswalk
        on person_records.company_source_system = crosswalk.source_system
        and person_records.company_source_entity = crosswalk.source_entity
        and person_records.company_source_record_id = crosswalk.source_record_id
    where person_records.source_record_id is not null

),

final as (

    select
        source_system || ':' || source_entity || ':' || source_record_id as record_key,
        case
            when email_normalized is not null then 'email:' || email_normalized
            when linked_email_normalized is not null then 'email:' || linked_email_normalized
            when ma_lead_id is not null then 'ma_lead:' || ma_lead_id
            else 'record:' || source_system || ':' || source_entity || ':' || source_record_id
        end as person_key,
        source_system,
        source_entity,
        source_record_id,
        source_rank,
        email_normalized,
        first_name,
        last_name,
        job_title,
        ma_lead_id,
        sfa_lead_id,
        sfa_contact_id,
        company_source_system,
        company_source_entity,
        company_source_record_id,
        is_deleted,
        created_at,
        modified_at,
        company_id
    from linked

)

select * from final
