-- One row per SFA user with the department (= team) KPIs group owners by.

with

users as (

    select * from {{ ref('stg_sfa__users') }}

),

final as (

    select
        user_id,
        user_name,
        email_normalized as email,
        department,
        department as team,
        user_role,
        coalesce(is_active, true) as is_active
    from users

)

select * from final
