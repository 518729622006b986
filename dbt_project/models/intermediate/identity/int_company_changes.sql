-- The crosswalk rows an incremental run recomputes in int_company_records, and through their
-- companies, in dim_companies (macros/companies/incremental_companies.sql): one row per record key
-- and company, before (int_company_records as the last build left it) and after (the crosswalk):
--   * crosswalk rows identity added, removed or rewrote (a new record, a merge, a split, a record
--     moved to another company, a gone record): every row that differs from the stored one, with
--     the company it had AND the one it has, so a company that lost a record is recomputed and a
--     company that lost every record is deleted;
--   * records with a raw row loaded after int_company_watermark (the newest raw `_loaded_at` of the
--     four sources as of the last complete build): an account edit, a new version of a lead, a
--     soft delete. Staging keeps one row per raw key with no join, so a staging record changes
--     only with a new raw row of its own key.
-- A change of free_mail_domains, of the survivorship rules or of this SQL needs `--full-refresh`.
-- A run that did not finish (its `invocation_id` is not the watermark's) may have updated some of
-- the models and not others: its change rows are recomputed again, with this run's.
-- No state (first build, or the models were tables before) or a full refresh means every
-- crosswalk row, every stored record row (int_company_records, int_record_companies_resolved)
-- and every company dim_companies has.

{%- set stored = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) %}
{%- set complete = companies_state_is_complete() and stored is not none %}
{%- set previous = adapter.get_relation(database=this.database, schema=this.schema,
                                        identifier='int_company_records') %}
{%- set resolved = adapter.get_relation(database=this.database, schema=this.schema,
                                        identifier='int_record_companies_resolved') %}
{%- set dim = adapter.get_relation(database=this.database, schema=generate_schema_name('core', none),
                                   identifier='dim_companies') %}
{#- the raw sources (their system and entity are the crosswalk's) and key columns -#}
{%- set sources = [('sfa', 'account', 'id'), ('cs', 'customers', 'customer_id'), ('ma', 'leads', 'lead_id'),
                   ('sfa', 'lead', 'id')] %}

with

crosswalk as (

    select * from {{ source('identity', 'company_crosswalk') }}

),

{% if not complete %}

{#- a full refresh rebuilds the models from scratch: the stored rows need no deleting -#}
candidates as (

    select source_system, source_entity, source_record_id, company_id from crosswalk
    {%- if previous is not none and not flags.FULL_REFRESH %}
    union all
    select source_system, source_entity, source_record_id, company_id from {{ previous }}
    {%- endif %}
    {%- if resolved is not none and not flags.FULL_REFRESH %}
    union all
    select source_system, source_entity, source_record_id, company_id from {{ resolved }}
    {%- endif %}
    {%- if dim is not none and not flags.FULL_REFRESH %}
    union all
    select null, null, null, company_id from {{ dim }}
    {%- endif %}

),

{% else %}

watermark as (

    select * from {{ adapter.get_relation(database=this.database, schema=this.schema, identifier='int_company_watermark') }}

),

loaded_through as (

    select max(loaded_through) as loaded_through from watermark

),

-- the change rows of a run that did not finish
unfinished as (

    select source_system, source_entity, source_record_id, company_id
    from {{ stored }}
    where invocation_id not in (select invocation_id from watermark)

),

previous as (

    select source_system, source_entity, source_record_id, company_id, match_method, rules_version, resolved_at
    from {{ previous }}

),

-- the crosswalk rows that are not exactly as stored (both sides of a re-assignment)
rewritten as (

    select
        coalesce(crosswalk.source_system, previous.source_system) as source_system,
        coalesce(crosswalk.source_entity, previous.source_entity) as source_entity,
        coalesce(crosswalk.source_record_id, previous.source_record_id) as source_record_id,
        coalesce(crosswalk.company_id, previous.company_id) as company_id
    from crosswalk
    full outer join previous
        on crosswalk.source_system = previous.source_system
        and crosswalk.source_entity = previous.source_entity
        and crosswalk.source_record_id = previous.source_record_id
        and crosswalk.company_id = previous.company_id
    where crosswalk.company_id is null
        or previous.company_id is null
        or crosswalk.match_method is distinct from previous.match_method
        or crosswalk.rules_version is distinct from previous.rules_version
        or crosswalk.resolved_at is distinct from previous.resolved_at

),

-- the keys with a raw row loaded after the watermark, in the crosswalk's terms
fresh as (
    {%- for system, entity, key in sources %}
    select distinct
        '{{ system }}' as source_system,
        '{{ entity }}' as source_entity,
        cast({{ key }} as varchar) as source_record_id
    from {{ source(system, entity) }}
    where _loaded_at > (select loaded_through from loaded_through)
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

candidates as (

    select * from rewritten
    union all
    select * from unfinished
    union all
    select
        crosswalk.source_system,
        crosswalk.source_entity,
        crosswalk.source_record_id,
        crosswalk.company_id
    from crosswalk
    inner join fresh
        on crosswalk.source_system = fresh.source_system
        and crosswalk.source_entity = fresh.source_entity
        and crosswalk.source_record_id = fresh.source_record_id

),

{% endif %}

final as (

    select distinct
        source_system,
        source_entity,
        source_record_id,
        company_id,
        '{{ invocation_id }}' as invocation_id
    from candidates

)

select * from final
