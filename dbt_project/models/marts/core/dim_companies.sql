{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_changed_companies(is_changed_company('company_id')) }}",
) }}
-- depends_on: {{ ref('int_company_changes') }}

-- One row per unified company (company_id from the identity crosswalk): the golden record.
-- Survivorship rules (also stated in _identity__models.yml):
--   name            SFA account (not deleted, latest modified) > CS customer (latest modified)
--                   > most frequent MA lead spelling > most frequent SFA lead spelling
--   corporate no.   the valid one (13 digits, check digit) of any record, most frequent first
--   employees       latest SFA account > latest CS customer > latest SFA lead > latest MA lead
--   industry        SFA account > most frequent MA lead value
--   prefecture      SFA account > CS customer > most frequent MA lead value
--   domain          SFA account website > CS domain > most frequent non-free-mail MA e-mail domain
-- The per-record half (cleaning, validation, the join of the crosswalk to staging) is
-- int_company_records. Incremental by company (macros/companies/incremental_companies.sql): a
-- run recomputes the companies in int_company_changes (deletes them first: a company without
-- records any more is gone), so it equals a full build.

with

company_rows as (

    select * from {{ ref('int_company_records') }}
    where {{ is_changed_company('company_id') }}

),

-- every company record staging has, with the attributes survivorship chooses from
validated as (

    select * from company_rows
    where has_record

),

-- the crosswalk side: every record of the company, including ones staging no longer has
crosswalk as (

    select * from company_rows

),

{% set attributes = ['company_name', 'corporate_number_valid', 'employees', 'industry', 'prefecture', 'company_domain'] %}
{% for attribute in attributes %}
-- one candidate row per (company, source rank, value): how often, how recently, live or deleted
{{ attribute }}_candidates as (

    select
        company_id,
        source_rank,
        is_frequency_ranked,
        cast({{ attribute }} as varchar) as attribute_value,
        count(*) as value_count,
        max(modified_at) as last_modified_at,
        min(case when is_deleted then 1 else 0 end) as deleted_rank
    from validated
    where {{ attribute }} is not null
    group by company_id, source_rank, is_frequency_ranked, cast({{ attribute }} as varchar)

),

{{ attribute }}_ranked as (

    select
        company_id,
        attribute_value,
        row_number() over (
            partition by company_id
            order by
                {%- if attribute == 'corporate_number_valid' %}
                value_count desc,
                source_rank asc,
                {%- else %}
                source_rank asc,
                deleted_rank asc,
                case when is_frequency_ranked then value_count else 0 end desc,
                last_modified_at desc nulls last,
                {%- endif %}
                attribute_value asc
            rows between unbounded preceding and current row
        ) as value_rank
    from {{ attribute }}_candidates

),

{% endfor %}

record_counts as (

    select
        company_id,
        count(*) as source_record_count,
        sum(case when source_system = 'ma' and source_entity = 'leads' then 1 else 0 end) as ma_lead_count,
        sum(case when source_system = 'sfa' and source_entity = 'account' then 1 else 0 end) as sfa_account_count,
        sum(case when source_system = 'sfa' and source_entity = 'lead' then 1 else 0 end) as sfa_lead_count,
        sum(case when source_system = 'cs' and source_entity = 'customers' then 1 else 0 end) as cs_customer_count,
        count(distinct corporate_number_valid) as corporate_number_count,
        min(created_at) as first_seen_at
    from validated
    group by company_id

),

-- the crosswalk side: every record of the company, including ones staging no longer has
crosswalk_summary as (

    select
        company_id,
        {{ sorted_string_agg("source_system || ':' || source_entity || ':' || source_record_id", "', '") }}
            as source_records,
        min(case when match_method = 'singleton' then 1 else 0 end) = 1 as is_singleton,
        max(rules_version) as rules_version,
        max(resolved_at) as resolved_at
    from crosswalk
    group by company_id

),

final as (

    select
        crosswalk_summary.company_id,
        company_name_ranked.attribute_value as company_name,
        corporate_number_valid_ranked.attribute_value as corporate_number,
        cast(employees_ranked.attribute_value as integer) as employees,
        industry_ranked.attribute_value as industry,
        prefecture_ranked.attribute_value as prefecture,
        company_domain_ranked.attribute_value as domain,
        coalesce(record_counts.cs_customer_count, 0) > 0 as is_customer,
        coalesce(record_counts.source_record_count, 0) as source_record_count,
        coalesce(record_counts.ma_lead_count, 0) as ma_lead_count,
        coalesce(record_counts.sfa_account_count, 0) as sfa_account_count,
        coalesce(record_counts.sfa_lead_count, 0) as sfa_lead_count,
        coalesce(record_counts.cs_customer_count, 0) as cs_customer_count,
        crosswalk_summary.source_records,
        crosswalk_summary.is_singleton,
        record_counts.first_seen_at,
        crosswalk_summary.rules_version,
        crosswalk_summary.resolved_at
    from crosswalk_summary
    left join record_counts
        on crosswalk_summary.company_id = record_counts.company_id
    {%- for attribute in attributes %}
    left join {{ attribute }}_ranked
        on crosswalk_summary.company_id = {{ attribute }}_ranked.company_id
        and {{ attribute }}_ranked.value_rank = 1
    {%- endfor %}

)

select * from final
