{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_consumed_contact_changes() }}",
) }}
-- The person records an incremental run recomputes in int_contact_records, with the person each
-- belonged to before (previous_person_key), so that dim_contacts rebuilds both persons
-- (macros/contacts/incremental_contacts.sql). A record is listed when anything its row depends on
-- changed since the last build in which dim_contacts succeeded (int_contacts_watermark):
--   * it has a raw row loaded after the watermark: MA leads, SFA leads and SFA contacts by id;
--     a ticket requester (customer, e-mail) through EVERY raw version of a changed ticket, so a
--     ticket that changed requester changes the old requester too (it may lose its first ticket,
--     or vanish);
--   * it has no e-mail and a sync id (ma_lead_id / sfa_lead_id / sfa_contact_id) pointing at a
--     record listed above: that record's e-mail (or its existence) decides its person_key;
--   * its company_id differs from its company record's crosswalk row now (identity re-assigned,
--     added or removed the row): compared with the stored row, as the crosswalk keeps no
--     trace of removed rows;
--   * it vanished from staging (stored, no longer there): it must leave its person.
-- The last one compares every stored record with staging, only when the raw rows the watermark
-- counted below it changed (contact_raw_intact): otherwise no record can have vanished.
-- Appended, not replaced: a run's rows stay until a build of dim_contacts has consumed them
-- (pre-hook), so a run that fails after int_contact_records keeps the previous person keys for the
-- next run. Every record (of staging and of the stored table) without a watermark; nothing on
-- --full-refresh or the first build (no int_contact_records, no dim_contacts), when both are built
-- in full anyway. A change of the rules in int_contact_records needs --full-refresh.

{%- set records = existing_relation('int_contact_records') %}
{%- set watermark = existing_relation('int_contacts_watermark') %}
{%- set contacts = existing_relation('dim_contacts') %}
{%- set everything = watermark is none or records is none %}

with

-- every record in staging now (record types as in int_contact_records)
staging_records as (

    select 'ma' as source_system, 'leads' as source_entity, lead_id as source_record_id
    from {{ ref('stg_ma__leads') }}
    union all
    select 'sfa' as source_system, 'lead' as source_entity, sfa_lead_id as source_record_id
    from {{ ref('stg_sfa__leads') }}
    union all
    select 'sfa' as source_system, 'contact' as source_entity, contact_id as source_record_id
    from {{ ref('stg_sfa__contacts') }}
    union all
    select distinct
        'cs' as source_system,
        'ticket_requester' as source_entity,
        customer_id || ':' || requester_email_normalized as source_record_id
    from {{ ref('stg_cs__tickets') }}
    where requester_email_normalized is not null

),

{% if flags.FULL_REFRESH or (records is none and contacts is none) %}

changed as (

    select * from staging_records where false

),

{% elif everything %}

changed as (

    select * from staging_records
    {% if records is not none -%}
    union
    select source_system, source_entity, source_record_id from {{ records }}
    {%- endif %}

),

{% else %}
{%- set raw_intact = contact_raw_intact(watermark) %}

stored as (

    select * from {{ records }}

),

watermark as (

    -- sources that were empty at the last build have no maximum: everything in them is new
    select coalesce(max(loaded_through), cast('0001-01-01' as timestamp)) as loaded_through
    from {{ watermark }}

),

{#- the ids with a raw row loaded after the watermark -#}
{%- set fresh = [('ma', 'leads', 'lead_id'), ('sfa', 'lead', 'id'), ('sfa', 'contact', 'id')] %}
{% for system, entity, key in fresh %}
fresh_{{ system }}_{{ entity }} as (

    select distinct {{ key }} as source_record_id
    from {{ source(system, entity) }}
    where _loaded_at > (select loaded_through from watermark)

),
{% endfor %}

-- every requester a changed ticket has, or had in any version
fresh_requesters as (

    select distinct versions.customer_id || ':' || {{ normalize_email('versions.requester_email') }}
        as source_record_id
    from {{ source('cs', 'tickets') }} as versions
    where {{ normalize_email('versions.requester_email') }} is not null
        and versions.ticket_id in (
            select fresh.ticket_id
            from {{ source('cs', 'tickets') }} as fresh
            where fresh._loaded_at > (select loaded_through from watermark)
        )

),

crosswalk as (

    select * from {{ source('identity', 'company_crosswalk') }}

),

candidates as (

    select 'ma' as source_system, 'leads' as source_entity, source_record_id from fresh_ma_leads
    union all
    select 'sfa' as source_system, 'lead' as source_entity, source_record_id from fresh_sfa_lead
    union all
    select 'sfa' as source_system, 'contact' as source_entity, source_record_id from fresh_sfa_contact
    union all
    select 'cs' as source_system, 'ticket_requester' as source_entity, source_record_id from fresh_requesters
    -- the sync ids of records without e-mail (three equi-joins, not one join on an `or`)
    union all
    select source_system, source_entity, source_record_id from stored
    where email_normalized is null and ma_lead_id in (select source_record_id from fresh_ma_leads)
    union all
    select source_system, source_entity, source_record_id from stored
    where email_normalized is null and sfa_lead_id in (select source_record_id from fresh_sfa_lead)
    union all
    select source_system, source_entity, source_record_id from stored
    where email_normalized is null and sfa_contact_id in (select source_record_id from fresh_sfa_contact)
    -- the company: identity wrote, re-assigned or removed the crosswalk row of its company record
    union all
    select stored.source_system, stored.source_entity, stored.source_record_id
    from stored
    left join crosswalk
        on stored.company_source_system = crosswalk.source_system
        and stored.company_source_entity = crosswalk.source_entity
        and stored.company_source_record_id = crosswalk.source_record_id
    where stored.company_id is distinct from crosswalk.company_id
    {%- if not raw_intact %}
    -- vanished from staging (only possible while raw rows below the watermark changed)
    union all
    select stored.source_system, stored.source_entity, stored.source_record_id
    from stored
    left join staging_records
        on stored.source_system = staging_records.source_system
        and stored.source_entity = staging_records.source_entity
        and stored.source_record_id = staging_records.source_record_id
    where staging_records.source_record_id is null
    {%- endif %}

),

changed as (

    select distinct source_system, source_entity, source_record_id
    from candidates
    where source_record_id is not null

),

{% endif %}

final as (

    select
        changed.source_system || ':' || changed.source_entity || ':' || changed.source_record_id as record_key,
        changed.source_system,
        changed.source_entity,
        changed.source_record_id,
        {% if records is not none and not flags.FULL_REFRESH -%}
        previous.person_key as previous_person_key,
        {%- else -%}
        cast(null as varchar) as previous_person_key,
        {%- endif %}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as changed_in_run
    from changed
    {% if records is not none and not flags.FULL_REFRESH -%}
    left join {{ records }} as previous
        on changed.source_system = previous.source_system
        and changed.source_entity = previous.source_entity
        and changed.source_record_id = previous.source_record_id
    {%- endif %}

)

select * from final
