-- "High score, never converted": lead cycles whose highest score reached var mql_score_threshold
-- but that never reached SQL (nor any later stage). Marketing and IS review these together to
-- recalibrate the score or re-work the lead; ages are against the warehouse clock.
with

lead_funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

warehouse_clock as (

    select * from {{ ref('int_warehouse_clock') }}

),

unconverted as (

    select *
    from lead_funnel
    where max_score >= {{ var('mql_score_threshold') }}
        and coalesce(sql_at, opportunity_at, won_at, lost_at) is null

),

final as (

    select
        unconverted.lead_cycle_id,
        unconverted.lead_id,
        cast(unconverted.cycle_number as bigint) as cycle_number,
        unconverted.is_latest_cycle,
        unconverted.company_id,
        unconverted.lead_source,
        unconverted.channel,
        unconverted.campaign_id,
        unconverted.employee_band,
        unconverted.industry,
        unconverted.score_band,
        cast(unconverted.max_score as {{ kpi_type_double() }}) as max_score,
        cast(unconverted.score_at_mql as {{ kpi_type_double() }}) as score_at_mql,
        unconverted.lead_at,
        unconverted.mql_at,
        unconverted.sal_at,
        unconverted.first_is_contact_at,
        unconverted.recycled_at,
        unconverted.disqualified_at,
        case
            when unconverted.disqualified_at is not null then 'disqualified'
            when unconverted.recycled_at is not null then 'recycled'
            when unconverted.sal_at is not null then 'sal'
            when unconverted.mql_at is not null then 'mql'
            else 'lead'
        end as furthest_stage,
        unconverted.is_owner_user_id as owner_user_id,
        users.user_name as owner_name,
        users.team,
        {{ kpi_hours_between('unconverted.lead_at', 'warehouse_clock.as_of_at') }} / 24.0 as age_days,
        warehouse_clock.as_of_at,
        {{ kpi_rules_version() }} as rules_version
    from unconverted
    cross join warehouse_clock
    left join users
        on users.user_id = unconverted.is_owner_user_id

)

select * from final
