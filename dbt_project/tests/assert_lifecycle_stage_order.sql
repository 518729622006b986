-- Within a lead cycle the funnel never goes backwards: MQL at/after the cycle start, SAL at/after
-- MQL, SQL at/after SAL, opportunity at/after SQL, each where both stages are present; a close is
-- never before its opportunity. Returns the offending cycles and the violated step.

with

funnel as (

    select * from {{ ref('fct_lead_funnel') }}

),

violations as (

    select lead_cycle_id, 'mql_before_lead' as violation, lead_at as earlier_at, mql_at as later_at
    from funnel
    where mql_at < lead_at

    union all

    select lead_cycle_id, 'sal_before_mql', mql_at, sal_at
    from funnel
    where sal_at < mql_at

    union all

    select lead_cycle_id, 'sql_before_sal', sal_at, sql_at
    from funnel
    where sql_at < sal_at

    union all

    select lead_cycle_id, 'opportunity_before_sql', sql_at, opportunity_at
    from funnel
    where opportunity_at < sql_at

    union all

    select lead_cycle_id, 'close_before_opportunity', opportunity_at, coalesce(won_at, lost_at)
    from funnel
    where coalesce(won_at, lost_at) < opportunity_at

)

select * from violations
