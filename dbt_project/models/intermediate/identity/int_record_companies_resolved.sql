-- One unified company per source record: the crosswalk row the identity step resolved last.
-- Every fact that needs the company of an MA lead, SFA account or CS customer joins here, so the
-- rule "which crosswalk row counts" is written once.

with

crosswalk as (

    select * from {{ source('identity', 'company_crosswalk') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by source_system, source_entity, source_record_id
            order by resolved_at desc nulls last, company_id
            rows between unbounded preceding and current row
        ) as company_rank
    from crosswalk

),

final as (

    select
        source_system,
        source_entity,
        source_record_id,
        company_id,
        match_method,
        match_probability
    from ranked
    where company_rank = 1

)

select * from final
