-- The MA leads whose lifecycle rows an incremental run recomputes (macros/lifecycle/
-- incremental_leads.sql): every lead with an input that changed since the last complete build,
-- the union over ALL inputs of int_lead_cycles_bounded / _scores_aggregated / _assembled:
--   * raw rows loaded after the watermark (int_lifecycle_watermark: the newest raw `_loaded_at`
--     of the last build whose lifecycle models all succeeded), mapped to leads through EVERY
--     version of their key, so a record moved to another lead (activity, task, history) changes
--     both leads: MA leads and activities by lead_id; SFA lead histories, tasks and events by
--     the SFA lead / converted contact they are on; opportunities and their histories by the
--     converted opportunity; any changed SFA user (department decides IS contacts) changes all;
--   * links (int_leads_linked, a full rebuild: e-mail matching is global) that differ from the
--     ones int_lead_cycles_assembled was built with: also SFA lead changes, deletes, re-links.
-- Company re-assignments by identity are not lifecycle inputs: fct_lifecycle_events compares its
-- company ids itself, fct_lead_funnel and fct_opportunities compare their lead and opportunity
-- attributes (company, owner, channel) with the stored rows. A change of the
-- business-rule vars or of this SQL needs `--full-refresh`. No watermark (first build, or the
-- models were tables before) or a full refresh means every lead (and nothing read).

{%- set watermark = existing_relation('int_lifecycle_watermark') %}
{%- set assembled = existing_relation('int_lead_cycles_assembled') %}

with

links as (

    select * from {{ ref('int_leads_linked') }}

),

{% if watermark is none or assembled is none or flags.FULL_REFRESH %}

final as (

    select lead_id from links

)

{% else %}

loaded_through as (

    select max(loaded_through) as loaded_through from {{ watermark }}

),

{#- every raw version of the keys with a version loaded after the watermark -#}
{%- set changed = [
    ('ma', 'leads', 'lead_id', 'lead_id'),
    ('ma', 'activities', 'activity_id', 'lead_id'),
    ('sfa', 'lead_history', 'id', 'lead_id'),
    ('sfa', 'task', 'id', 'who_id'),
    ('sfa', 'event', 'id', 'who_id'),
    ('sfa', 'opportunity', 'id', 'id'),
    ('sfa', 'opportunity_history', 'id', 'opportunity_id'),
] %}
{#- (a key that is its own target, an MA lead or opportunity id, needs no other versions: every
    version of it maps to the key itself, so reading the fresh rows is enough) -#}
{% for system, entity, key, target in changed %}
changed_{{ system }}_{{ entity }} as (

    {% if key == target -%}
    select distinct fresh.{{ key }} as changed_id
    from {{ source(system, entity) }} as fresh
    where fresh._loaded_at > (select loaded_through from loaded_through)
    {%- else -%}
    select distinct versions.{{ target }} as changed_id
    from {{ source(system, entity) }} as versions
    where versions.{{ key }} in (
        select fresh.{{ key }}
        from {{ source(system, entity) }} as fresh
        where fresh._loaded_at > (select loaded_through from loaded_through)
    )
    {%- endif %}

),
{% endfor %}

users_changed as (

    select count(*) > 0 as is_changed
    from {{ source('sfa', 'user') }}
    where _loaded_at > (select loaded_through from loaded_through)

),

-- who an SFA task or event can be on for a lead (as in int_lead_cycles_assembled); two equi-joins,
-- not one join on `a = x or b = x` (a nested-loop join over every link)
lead_people as (

    select lead_id, sfa_lead_id as who_id from links where sfa_lead_id is not null
    union all
    select lead_id, converted_contact_id as who_id from links where converted_contact_id is not null

),

-- the links each lead's stored cycles were assembled with (one set per lead, repeated on each
-- of its cycles: not deduplicated, the comparison below gives the same leads either way and
-- `final` is distinct)
assembled_links as (

    select
        lead_id,
        sfa_lead_id,
        converted_contact_id,
        converted_opportunity_id
    from {{ assembled }}

),

relinked as (

    select coalesce(links.lead_id, assembled_links.lead_id) as lead_id
    from links
    full outer join assembled_links
        on links.lead_id = assembled_links.lead_id
    where links.lead_id is null
        or assembled_links.lead_id is null
        or links.sfa_lead_id is distinct from assembled_links.sfa_lead_id
        or links.converted_contact_id is distinct from assembled_links.converted_contact_id
        or links.converted_opportunity_id is distinct from assembled_links.converted_opportunity_id

),

candidates as (

    select changed_id as lead_id from changed_ma_leads
    union all
    select changed_id as lead_id from changed_ma_activities
    union all
    select links.lead_id from links
    inner join changed_sfa_lead_history on links.sfa_lead_id = changed_sfa_lead_history.changed_id
    union all
    select lead_people.lead_id from lead_people
    inner join changed_sfa_task on lead_people.who_id = changed_sfa_task.changed_id
    union all
    select lead_people.lead_id from lead_people
    inner join changed_sfa_event on lead_people.who_id = changed_sfa_event.changed_id
    union all
    select links.lead_id from links
    inner join changed_sfa_opportunity on links.converted_opportunity_id = changed_sfa_opportunity.changed_id
    union all
    select links.lead_id from links
    inner join changed_sfa_opportunity_history
        on links.converted_opportunity_id = changed_sfa_opportunity_history.changed_id
    union all
    select lead_id from relinked
    union all
    select links.lead_id from links
    cross join users_changed
    where users_changed.is_changed

),

final as (

    select distinct lead_id
    from candidates
    where lead_id is not null

)

{% endif %}

select * from final
