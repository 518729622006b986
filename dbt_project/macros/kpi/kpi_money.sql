{#-
    Money definitions of the KPI layer, driven by the business vars: the LTV method, the cost
    sources that count toward CAC, and campaign spend spread over the campaign's days.
-#}

{#- A customer's LTV from its lifetime revenue, per var ltv_method. -#}
{% macro kpi_customer_ltv(lifetime_revenue) -%}
    {%- set method = var('ltv_method') -%}
    {%- if method == 'lifetime_revenue' -%}
        cast({{ lifetime_revenue }} as {{ kpi_type_double() }})
    {%- elif method == 'gross_margin' -%}
        (cast({{ lifetime_revenue }} as {{ kpi_type_double() }}) * {{ var('gross_margin_rate') }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("var ltv_method must be lifetime_revenue or gross_margin, got " ~ method) }}
    {%- endif -%}
{%- endmacro %}

{#- The cost sources CAC may use; var cac_cost_sources must be a subset (an unknown source is a
    configuration error, not a silent zero). -#}
{% macro kpi_cac_cost_sources() -%}
    {%- set known = ['campaign_spend'] -%}
    {%- set sources = var('cac_cost_sources') -%}
    {%- for source in sources -%}
        {%- if source not in known -%}
            {{ exceptions.raise_compiler_error("var cac_cost_sources: unknown cost source '" ~ source ~ "' (known: " ~ known | join(', ') ~ ")") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(sources) }}
{%- endmacro %}

{#- One row per campaign and calendar day of its run: spend_jpy = cost_jpy spread evenly over the
    days from start_date to end_date (inclusive; a missing bound takes the other one, reversed
    bounds are swapped). A campaign with neither date has no day and is left out. -#}
{% macro kpi_campaign_spend_by_day() -%}
    select
        campaigns.campaign_id,
        campaigns.channel,
        dates.date_day,
        cast(campaigns.cost_jpy as {{ kpi_type_double() }})
            / ({{ dbt.datediff('campaigns.first_day', 'campaigns.last_day', 'day') }} + 1) as spend_jpy
    from (
        select
            campaign_id,
            channel,
            coalesce(cost_jpy, 0) as cost_jpy,
            least(coalesce(start_date, end_date), coalesce(end_date, start_date)) as first_day,
            greatest(coalesce(start_date, end_date), coalesce(end_date, start_date)) as last_day
        from {{ ref('fct_campaign_costs') }}
    ) as campaigns
    inner join {{ ref('dim_dates') }} as dates
        on dates.date_day between campaigns.first_day and campaigns.last_day
{%- endmacro %}
