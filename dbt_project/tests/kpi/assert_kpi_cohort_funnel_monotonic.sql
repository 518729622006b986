-- Within a cohort the funnel never widens down the stages: leads >= MQL >= SQL >= opportunity >= won
-- (rpt_funnel_cohort), and cycles >= MQL >= SQL >= won per score band (rpt_scoring_calibration).
select
    'rpt_funnel_cohort' as model,
    grain,
    period_start,
    slice_name
from {{ ref('rpt_funnel_cohort') }}
where not (
    lead_count >= mql_count
    and mql_count >= sql_count
    and sql_count >= opportunity_count
    and opportunity_count >= won_count
    and opportunity_count >= lost_count
)

union all

select
    'rpt_scoring_calibration' as model,
    grain,
    period_start,
    score_band as slice_name
from {{ ref('rpt_scoring_calibration') }}
where not (
    lead_cycle_count >= mql_count
    and mql_count >= sql_count
    and sql_count >= won_count
)
