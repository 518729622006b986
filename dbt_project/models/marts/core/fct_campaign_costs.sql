-- One row per MA campaign with its channel, run dates and spend (JPY): the cost side of CPA,
-- CAC and campaign ROI.

with

campaigns as (

    select * from {{ ref('stg_ma__campaigns') }}

),

final as (

    select
        campaign_id,
        campaign_name,
        channel,
        start_date,
        end_date,
        cost_jpy,
        currency
    from campaigns

)

select * from final
