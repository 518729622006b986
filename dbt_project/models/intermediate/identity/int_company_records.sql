{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed_companies(is_changed_company_record()) }}",
) }}
-- depends_on: {{ ref('int_company_changes') }}

-- One row per crosswalk row (record -> company_id) with the attributes dim_companies' survivorship
-- chooses from, cleaned and validated: the per-record half of the golden record, kept so an
-- incremental run recomputes only the records in int_company_changes (and dim_companies only their
-- companies). `has_record` is false for a crosswalk row whose record staging no longer has (it
-- still counts in dim_companies.source_records). `source_rank` is the system precedence
-- (1 = most trusted), `is_frequency_ranked` says "most frequent value wins".

with

crosswalk as (

    select * from {{ source('identity', 'company_crosswalk') }}
    where {{ is_changed_company_record() }}

),

{#- (staging model, key column, crosswalk system and entity): the filter on the changed keys -#}
{%- set staging_keys = {
    'accounts': ('stg_sfa__accounts', 'account_id', 'sfa', 'account'),
    'customers': ('stg_cs__customers', 'customer_id', 'cs', 'customers'),
    'ma_leads': ('stg_ma__leads', 'lead_id', 'ma', 'leads'),
    'sfa_leads': ('stg_sfa__leads', 'sfa_lead_id', 'sfa', 'lead'),
} %}
{% for name, (model, key, system, entity) in staging_keys.items() %}
{{ name }} as (

    select * from {{ ref(model) }}
    {%- if is_companies_incremental() %}
    where {{ key }} in (
        select source_record_id from {{ ref('int_company_changes') }}
        where source_system = '{{ system }}' and source_entity = '{{ entity }}'
    )
    {%- endif %}

),
{% endfor %}

free_mail_domains as (

    select * from {{ ref('free_mail_domains') }}

),

staged_records as (

    select
        'sfa' as source_system,
        'account' as source_entity,
        account_id as source_record_id,
        1 as source_rank,
        false as is_frequency_ranked,
        account_name as company_name,
        corporate_number,
        employees,
        industry,
        prefecture,
        website as domain_raw,
        is_deleted,
        coalesce(updated_at, created_at) as modified_at,
        created_at
    from accounts

    union all

    select
        'cs' as source_system,
        'customers' as source_entity,
        customer_id as source_record_id,
        2 as source_rank,
        false as is_frequency_ranked,
        company_name,
        corporate_number,
        employees,
        cast(null as varchar) as industry,
        prefecture,
        domain as domain_raw,
        is_deleted,
        coalesce(updated_at, created_at) as modified_at,
        created_at
    from customers

    union all

    select
        'ma' as source_system,
        'leads' as source_entity,
        lead_id as source_record_id,
        3 as source_rank,
        true as is_frequency_ranked,
        company_name,
        corporate_number,
        employees,
        industry,
        prefecture,
        email_normalized as domain_raw,
        is_deleted,
        coalesce(updated_at, created_at) as modified_at,
        created_at
    from ma_leads

    union all

    select
        'sfa' as source_system,
        'lead' as source_entity,
        sfa_lead_id as source_record_id,
        4 as source_rank,
        true as is_frequency_ranked,
        company_name,
        corporate_number,
        employees,
        cast(null as varchar) as industry,
        cast(null as varchar) as prefecture,
        coalesce(website, email_normalized) as domain_raw,
        is_deleted,
        coalesce(updated_at, created_at) as modified_at,
        created_at
    from sfa_leads

),

-- corporate number digits and the domain part of a website or e-mail address
cleaned as (

    select
        staged_records.*,
        replace(replace(trim(corporate_number), '-', ''), ' ', '') as corporate_number_digits,
        case
            when domain_raw like '%@%' then lower(trim(split_part(domain_raw, '@', 2)))
            else split_part(
                replace(replace(replace(lower(trim(domain_raw)), 'https://', ''), 'http://', ''), 'www.', ''),
                '/',
                1
            )
        end as domain_candidate
    from staged_records

),

-- the check digit rule of the National Tax Agency (identity/normalize.py holds the same rule for
-- matching): first digit = 9 - (sum of base digits x 1/2 alternating from the right) mod 9
validated as (

    select
        cleaned.*,
        case
            when length(corporate_number_digits) = 13
                and {{ safe_cast('corporate_number_digits', 'bigint') }} is not null
                and {{ safe_cast('substr(corporate_number_digits, 1, 1)', 'integer') }} = 9 - mod(
                    {%- for position in range(1, 13) %}
                    {{ safe_cast('substr(corporate_number_digits, ' ~ (14 - position) ~ ', 1)', 'integer') }}
                    * {{ 1 if position % 2 == 1 else 2 }}{{ ' +' if not loop.last }}
                    {%- endfor %},
                    9
                )
                then corporate_number_digits
        end as corporate_number_valid,
        case
            when free_mail_domains.domain is null and domain_candidate like '%.%' then domain_candidate
        end as company_domain
    from cleaned
    left join free_mail_domains
        on cleaned.domain_candidate = free_mail_domains.domain

),

final as (

    select
        crosswalk.company_id,
        crosswalk.source_system,
        crosswalk.source_entity,
        crosswalk.source_record_id,
        crosswalk.match_method,
        crosswalk.rules_version,
        crosswalk.resolved_at,
        validated.source_record_id is not null as has_record,
        validated.source_rank,
        validated.is_frequency_ranked,
        validated.company_name,
        validated.corporate_number_valid,
        validated.employees,
        validated.industry,
        validated.prefecture,
        validated.company_domain,
        validated.is_deleted,
        validated.modified_at,
        validated.created_at
    from crosswalk
    left join validated
        on crosswalk.source_system = validated.source_system
        and crosswalk.source_entity = validated.source_entity
        and crosswalk.source_record_id = validated.source_record_id

)

select * from final
