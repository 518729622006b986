-- One row per MA lead with the SFA lead it is worked as (docs/design.md "MA lead <-> SFA lead").
-- Link evidence, strongest first: SFA Lead.MA_Lead_Id__c, MA leads.sfa_lead_id, and only when
-- both are missing the normalised e-mail. Each SFA lead serves at most one MA lead and each MA
-- lead gets at most one SFA lead, so status history is never counted twice.
-- The IS owner is the lead's Inside Sales owner: leads are handed to field sales by an Owner
-- change, so the current owner is the IS rep only until the hand-off.

with

ma_leads as (

    select * from {{ ref('stg_ma__leads') }}

),

sfa_leads as (

    select * from {{ ref('stg_sfa__leads') }}
    where not is_deleted

),

lead_histories as (

    select * from {{ ref('stg_sfa__lead_histories') }}

),

users as (

    select * from {{ ref('stg_sfa__users') }}

),

by_sfa_reference as (

    select
        ma_leads.lead_id,
        sfa_leads.sfa_lead_id,
        1 as link_priority,
        'sfa.lead.ma_lead_id' as link_method
    from ma_leads
    inner join sfa_leads
        on ma_leads.lead_id = sfa_leads.ma_lead_id

),

by_ma_reference as (

    select
        ma_leads.lead_id,
        sfa_leads.sfa_lead_id,
        2 as link_priority,
        'ma.leads.sfa_lead_id' as link_method
    from ma_leads
    inner join sfa_leads
        on ma_leads.sfa_lead_id = sfa_leads.sfa_lead_id

),

reference_links as (

    select * from by_sfa_reference
    union all
    select * from by_ma_reference

),

-- e-mail only between records that no id reference links (a wrong reference still wins over
-- e-mail: both ids are the tools' own sync evidence)
unreferenced_ma_leads as (

    select ma_leads.*
    from ma_leads
    left join reference_links
        on ma_leads.lead_id = reference_links.lead_id
    where reference_links.lead_id is null
        and ma_leads.email_normalized is not null

),

unreferenced_sfa_leads as (

    select sfa_leads.*
    from sfa_leads
    left join reference_links
        on sfa_leads.sfa_lead_id = reference_links.sfa_lead_id
    where reference_links.sfa_lead_id is null
        and sfa_leads.email_normalized is not null

),

by_email as (

    select
        unreferenced_ma_leads.lead_id,
        unreferenced_sfa_leads.sfa_lead_id,
        3 as link_priority,
        'email' as link_method
    from unreferenced_ma_leads
    inner join unreferenced_sfa_leads
        on unreferenced_ma_leads.email_normalized = unreferenced_sfa_leads.email_normalized

),

candidates as (

    select * from reference_links
    union all
    select * from by_email

),

ranked as (

    select
        candidates.lead_id,
        candidates.sfa_lead_id,
        candidates.link_priority,
        candidates.link_method,
        row_number() over (
            partition by candidates.lead_id
            order by candidates.link_priority, sfa_leads.created_at, candidates.sfa_lead_id
            rows between unbounded preceding and current row
        ) as rank_for_ma_lead,
        row_number() over (
            partition by candidates.sfa_lead_id
            order by candidates.link_priority, ma_leads.created_at, candidates.lead_id
            rows between unbounded preceding and current row
        ) as rank_for_sfa_lead
    from candidates
    inner join ma_leads
        on candidates.lead_id = ma_leads.lead_id
    inner join sfa_leads
        on candidates.sfa_lead_id = sfa_leads.sfa_lead_id

),

links as (

    select * from ranked
    where rank_for_ma_lead = 1
        and rank_for_sfa_lead = 1

),

-- the first Inside Sales user an SFA lead was handed away from (Owner history), if any
previous_is_owners as (

    select
        lead_histories.sfa_lead_id,
        lead_histories.old_value as owner_user_id,
        row_number() over (
            partition by lead_histories.sfa_lead_id
            order by lead_histories.changed_at, lead_histories.lead_history_id
            rows between unbounded preceding and current row
        ) as owner_rank
    from lead_histories
    inner join users
        on lead_histories.old_value = users.user_id
    where lower(lead_histories.field_name) = 'owner'
        and {{ is_inside_sales_department('users.department') }}

),

final as (

    select
        ma_leads.lead_id,
        ma_leads.created_at as lead_created_at,
        links.sfa_lead_id,
        links.link_method,
        sfa_leads.owner_user_id as sfa_owner_user_id,
        case
            when {{ is_inside_sales_department('current_owners.department') }} then sfa_leads.owner_user_id
            else coalesce(previous_is_owners.owner_user_id, sfa_leads.owner_user_id)
        end as is_owner_user_id,
        sfa_leads.lead_status as sfa_lead_status,
        sfa_leads.converted_contact_id,
        sfa_leads.converted_account_id,
        sfa_leads.converted_opportunity_id
    from ma_leads
    left join links
        on ma_leads.lead_id = links.lead_id
    left join sfa_leads
        on links.sfa_lead_id = sfa_leads.sfa_lead_id
    left join users as current_owners
        on sfa_leads.owner_user_id = current_owners.user_id
    left join previous_is_owners
        on links.sfa_lead_id = previous_is_owners.sfa_lead_id
        and previous_is_owners.owner_rank = 1

)

select * from final
