{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_contacts() }}",
) }}
-- Incremental by person (macros/contacts/incremental_contacts.sql): a run rebuilds the persons
-- of the records in int_contact_changes, as they are now and as they were, and deletes their old
-- rows (found by anchor record: contact_id follows the anchor, which can change). On the L
-- incremental day it reads ~0.1 % of the persons instead of all of them.
-- depends_on: {{ ref('int_contact_changes') }}

-- One row per person across MA leads, SFA leads, SFA contacts and CS ticket requesters.
-- Unification (stated in _identity__models.yml): the normalised e-mail first; a record without
-- e-mail takes the e-mail of the record its sync id points to (MA sfa_lead_id / sfa_contact_id,
-- SFA MA_Lead_Id__c); failing that, records joined by a sync id share the MA lead as anchor.
-- contact_id = 'CT-' + 16 hex characters of the hash of the person's earliest source record key:
-- opaque, and never derived from data that can change (source ids do not change). 16, not 10:
-- 40 bits collided twice among the ~1.5M people of scale L (birthday bound); 64 bits make a
-- collision at 10M people about 1 in 400,000 and the unique test guards it.

with

-- the person records (int_contact_records owns the unification rules: person_key, company_id)
keyed as (

    select * from {{ ref('int_contact_records') }}
    {% if is_incremental() -%}
    where person_key in ({{ changed_person_keys() }})
    {%- endif %}

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

-- one pass over the ranked records: the counts, and the anchor / best / company record's values
-- (exactly one record of a person has each rank 1)
final as (

    select
        'CT-' || upper(substr({{ dbt.hash("any_value(record_key) filter (where anchor_rank = 1)") }}, 1, 16))
            as contact_id,
        coalesce(
            any_value(email_normalized) filter (where attribute_rank = 1),
            any_value(email_normalized) filter (where anchor_rank = 1)
        ) as email_normalized,
        any_value(first_name) filter (where attribute_rank = 1) as first_name,
        any_value(last_name) filter (where attribute_rank = 1) as last_name,
        any_value(job_title) filter (where attribute_rank = 1) as job_title,
        any_value(company_id) filter (where company_rank = 1) as company_id,
        count(distinct company_id) > 1 as has_several_companies,
        any_value(record_key) filter (where anchor_rank = 1) as anchor_record_key,
        count(*) as source_record_count,
        sum(case when source_system = 'ma' then 1 else 0 end) as ma_lead_count,
        sum(case when source_system = 'sfa' and source_entity = 'lead' then 1 else 0 end) as sfa_lead_count,
        sum(case when source_system = 'sfa' and source_entity = 'contact' then 1 else 0 end) as sfa_contact_count,
        sum(case when source_system = 'cs' then 1 else 0 end) as cs_requester_count,
        {#- ordered: the same records always give the same list (re-runs must not change tables) -#}
        {{ sorted_string_agg("record_key", "', '") }} as source_records,
        min(created_at) as first_seen_at,
        max(modified_at) as last_modified_at
    from ranked
    group by person_key

)

select * from final
