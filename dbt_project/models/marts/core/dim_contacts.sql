-- One row per person across MA leads, SFA leads, SFA contacts and CS ticket requesters.
-- Unification (stated in _identity__models.yml): the normalised e-mail first; a record without
-- e-mail takes the e-mail of the record its sync id points to (MA sfa_lead_id / sfa_contact_id,
-- SFA MA_Lead_Id__c); failing that, records joined by a sync id share the MA lead as anchor.
-- contact_id = 'CT-' + 16 hex characters of the hash of the person's earliest source record key:
-- opaque, and never derived from data that can change (source ids do not change). 16, not 10:
-- 40 bits collided twice among the ~1.5M people of scale L (birthday bound); 64 bits make a
-- collision at 10M people about 1 in 400,000 and the unique test guards it.

with

ma_leads as (

    select * from {{ ref('stg_ma__leads') }}

),

sfa_leads as (

    select * from {{ ref('stg_sfa__leads') }}

),

sfa_contacts as (

    select * from {{ ref('stg_sfa__contacts') }}

),

tickets as (

    select * from {{ ref('stg_cs__tickets') }}

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
    from tickets
    where requester_email_normalized is not null
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

-- sync ids as evidence: the e-mail of the linked MA lead / SFA lead / SFA contact
linked_emails as (

    select
        person_records.source_system,
        person_records.source_entity,
        person_records.source_record_id,
        coalesce(linked_ma.email_normalized, linked_sfa_lead.email_normalized, linked_contact.email_normalized)
            as linked_email_normalized
    from person_records
    left join ma_leads as linked_ma
        on person_records.ma_lead_id = linked_ma.lead_id
    left join sfa_leads as linked_sfa_lead
        on person_records.sfa_lead_id = linked_sfa_lead.sfa_lead_id
    left join sfa_contacts as linked_contact
        on person_records.sfa_contact_id = linked_contact.contact_id

),

keyed as (

    select
        person_records.*,
        case
            when person_records.email_normalized is not null then 'email:' || person_records.email_normalized
            when linked_emails.linked_email_normalized is not null
                then 'email:' || linked_emails.linked_email_normalized
            when person_records.ma_lead_id is not null then 'ma_lead:' || person_records.ma_lead_id
            else 'record:' || person_records.source_system || ':' || person_records.source_entity || ':'
                || person_records.source_record_id
        end as person_key,
        person_records.source_system || ':' || person_records.source_entity || ':'
            || person_records.source_record_id as record_key,
        crosswalk.company_id
    from person_records
    inner join linked_emails
        on person_records.source_system = linked_emails.source_system
        and person_records.source_entity = linked_emails.source_entity
        and person_records.source_record_id = linked_emails.source_record_id
    left join crosswalk
        on person_records.company_source_system = crosswalk.source_system
        and person_records.company_source_entity = crosswalk.source_entity
        and person_records.company_source_record_id = crosswalk.source_record_id

),

-- the anchor (earliest record) names the person; the best record gives the attributes:
-- SFA contact > SFA lead > MA lead > CS requester, live before deleted, latest modified
ranked as (

    select
        keyed.*,
        row_number() over (
            partition by person_key
            order by created_at asc nulls last, record_key asc
            rows between unbounded preceding and current row
        ) as anchor_rank,
        row_number() over (
            partition by person_key
            order by
                source_rank asc,
                case when is_deleted then 1 else 0 end asc,
                modified_at desc nulls last,
                record_key asc
            rows between unbounded preceding and current row
        ) as attribute_rank,
        row_number() over (
            partition by person_key
            order by
                case when company_id is null then 1 else 0 end asc,
                source_rank asc,
                modified_at desc nulls last,
                record_key asc
            rows between unbounded preceding and current row
        ) as company_rank
    from keyed

),

record_counts as (

    select
        person_key,
        count(*) as source_record_count,
        sum(case when source_system = 'ma' then 1 else 0 end) as ma_lead_count,
        sum(case when source_system = 'sfa' and source_entity = 'lead' then 1 else 0 end) as sfa_lead_count,
        sum(case when source_system = 'sfa' and source_entity = 'contact' then 1 else 0 end) as sfa_contact_count,
        sum(case when source_system = 'cs' then 1 else 0 end) as cs_requester_count,
        count(distinct company_id) as company_count,
        min(created_at) as first_seen_at,
        max(modified_at) as last_modified_at,
        {#- ordered: the same records always give the same list (re-runs must not change tables) -#}
        {{ sorted_string_agg("record_key", "', '") }} as source_records
    from keyed
    group by person_key

),

final as (

    select
        'CT-' || upper(substr({{ dbt.hash('anchor.record_key') }}, 1, 16)) as contact_id,
        coalesce(best.email_normalized, anchor.email_normalized) as email_normalized,
        best.first_name,
        best.last_name,
        best.job_title,
        company.company_id,
        record_counts.company_count > 1 as has_several_companies,
        anchor.record_key as anchor_record_key,
        record_counts.source_record_count,
        record_counts.ma_lead_count,
        record_counts.sfa_lead_count,
        record_counts.sfa_contact_count,
        record_counts.cs_requester_count,
        record_counts.source_records,
        record_counts.first_seen_at,
        record_counts.last_modified_at
    from record_counts
    inner join ranked as anchor
        on record_counts.person_key = anchor.person_key
        and anchor.anchor_rank = 1
    inner join ranked as best
        on record_counts.person_key = best.person_key
        and best.attribute_rank = 1
    inner join ranked as company
        on record_counts.person_key = company.person_key
        and company.company_rank = 1

)

select * from final
