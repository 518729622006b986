-- One row per grain, period and slice in every periodic KPI mart (a duplicate would double count
-- in any BI sum).
{%- set keys = {
    'rpt_funnel_period': kpi_lead_slices(),
    'rpt_funnel_cohort': kpi_lead_slices(),
    'rpt_sla_compliance': kpi_lead_slices(),
    'rpt_sales_period': kpi_opportunity_slices(),
    'rpt_campaign_performance': ['channel', 'campaign_id'],
    'rpt_unit_economics': [],
    'rpt_scoring_calibration': ['score_band'],
    'rpt_loss_reasons': ['loss_reason', 'lead_source', 'channel', 'campaign_id', 'opportunity_type'],
} %}

{%- for model, slices in keys.items() %}
select
    '{{ model }}' as model,
    grain,
    period_start,
    count(*) as row_count
from {{ ref(model) }}
group by grain, period_start{% for slice in slices %}, {{ slice }}{% endfor %}
having count(*) > 1
{{ 'union all' if not loop.last }}
{%- endfor %}
