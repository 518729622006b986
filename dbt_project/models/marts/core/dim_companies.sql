-- One row per unified company (company_id from the identity crosswalk): the golden record.
-- Survivorship rules (also stated in _identity__models.yml):
--   name            SFA account (not deleted, latest modified) > CS customer (latest modified)
--                   > most frequent MA lead spelling > most frequent SFA lead spelling
--   corporate no.   the valid one (13 digits, check digit) of any record, most frequent first
--   employees       latest SFA account > latest CS customer > latest SFA lead > latest MA lead
--   industry        SFA account > most frequent MA lead value
--   prefecture      SFA account > CS customer > most frequent MA lead value
--   domain          SFA account website > CS domain > most frequent non-free-mail MA e-mail domain

with

crosswalk as (

    select * from {{ source('identity', 'company_crosswalk') }}

),

accounts as (

    select * from {{ ref('stg_sfa__accounts') }}

),

customers as (

    select * from {{ ref('stg_cs__customers') }}

),

ma_leads as (

    select * from {{ ref('stg_ma__leads') }}

),

sfa_leads as (

    select * from {{ ref('stg_sfa__leads') }}

),

free_mail_domains as (

    select * from {{ ref('free_mail_domains') }}

),

-- every company record with the attributes survivorship chooses from; `source_rank` is the
-- system precedence (1 = most trusted), `is_frequency_ranked` says "most frequent value wins"
company_records as (

    select
        crosswalk.company_id,
        'sfa' as source_system,
        'account' as source_entity,
        accounts.account_id as source_record_id,
        1 as source_rank,
        false as is_frequency_ranked,
        accounts.account_name as company_name,
        accounts.corporate_number,
        accounts.employees,
        accounts.industry,
        accounts.prefecture,
        accounts.website as domain_raw,
        accounts.is_deleted,
        coalesce(accounts.updated_at, accounts.created_at) as modified_at,
        accounts.created_at
    from accounts
    inner join crosswalk
        on crosswalk.source_system = 'sfa'
        and crosswalk.source_entity = 'account'
        and crosswalk.source_record_id = accounts.account_id

    union all

    select
        crosswalk.company_id,
        'cs' as source_system,
        'customers' as source_entity,
        customers.customer_id as source_record_id,
        2 as source_rank,
        false as is_frequency_ranked,
        customers.company_name,
        customers.corporate_number,
        customers.employees,
        cast(null as varchar) as industry,
        customers.prefecture,
        customers.domain as domain_raw,
        customers.is_deleted,
        coalesce(customers.updated_at, customers.created_at) as modified_at,
        customers.created_at
    from customers
    inner join crosswalk
        on crosswalk.source_system = 'cs'
        and crosswalk.source_entity = 'customers'
        and crosswalk.source_record_id = customers.customer_id

    union all

    select
        crosswalk.company_id,
        'ma' as source_system,
        'leads' as source_entity,
        ma_leads.lead_id as source_record_id,
        3 as source_rank,
        true as is_frequency_ranked,
        ma_leads.company_name,
        ma_leads.corporate_number,
        ma_leads.employees,
        ma_leads.industry,
        ma_leads.prefecture,
        ma_leads.email_normalized as domain_raw,
        ma_leads.is_deleted,
        coalesce(ma_leads.updated_at, ma_leads.created_at) as modified_at,
        ma_leads.created_at
    from ma_leads
    inner join crosswalk
        on crosswalk.source_system = 'ma'
        and crosswalk.source_entity = 'leads'
        and crosswalk.source_record_id = ma_leads.lead_id

    union all

    select
        crosswalk.company_id,
        'sfa' as source_system,
        'lead' as source_entity,
        sfa_leads.sfa_lead_id as source_record_id,
        4 as source_rank,
        true as is_frequency_ranked,
        sfa_leads.company_name,
        sfa_leads.corporate_number,
        sfa_leads.employees,
        cast(null as varchar) as industry,
        cast(null as varchar) as prefecture,
        coalesce(sfa_leads.website, sfa_leads.email_normalized) as domain_raw,
        sfa_leads.is_deleted,
        coalesce(sfa_leads.updated_at, sfa_leads.created_at) as modified_at,
        sfa_leads.created_at
    from sfa_leads
    inner join crosswalk
        on crosswalk.source_system = 'sfa'
        and crosswalk.source_entity = 'lead'
        and crosswalk.source_record_id = sfa_leads.sfa_lead_id

),

-- corporate number digits and the domain part of a website or e-mail address
cleaned as (

    select
        company_records.*,
        replace(replace(trim(corporate_number), '-', ''), ' ', '') as corporate_number_digits,
        case
            when domain_raw like '%@%' then lower(trim(split_part(domain_raw, '@', 2)))
            else split_part(
                replace(replace(replace(lower(trim(domain_raw)), 'https://', ''), 'http://', ''), 'www.', ''),
                '/',
                1
            )
        end as domain_candidate
    from company_records

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
