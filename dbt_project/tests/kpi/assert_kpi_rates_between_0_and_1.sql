-- Every *_rate column of the KPI marts is a fraction in [0, 1] (or null: denominator 0).
{%- set rates = {
    'rpt_funnel_cohort': ['mql_rate', 'mql_to_sql_rate', 'sql_to_opportunity_rate', 'opportunity_to_won_rate',
                          'lead_to_won_rate', 'recycle_rate'],
    'rpt_sla_compliance': ['first_contact_rate', 'fs_approach_sla_rate', 'appointment_rate', 'sla_compliance_rate'],
    'rpt_sales_period': ['is_pipeline_contribution_rate', 'win_rate', 'marketing_sourced_revenue_rate',
                         'is_sourced_win_rate', 'other_win_rate'],
    'rpt_scoring_calibration': ['reached_mql_rate', 'reached_sql_rate', 'reached_won_rate', 'sql_to_won_rate'],
    'rpt_loss_reasons': ['lost_share_rate'],
} %}

{%- for model, columns in rates.items() %}
{%- for column in columns %}
select
    '{{ model }}' as model,
    '{{ column }}' as rate_column,
    grain,
    period_start,
    {{ column }} as rate_value
from {{ ref(model) }}
where {{ column }} < 0 or {{ column }} > 1
{{ 'union all' if not loop.last }}
{%- endfor %}
{{ 'union all' if not loop.last }}
{%- endfor %}
