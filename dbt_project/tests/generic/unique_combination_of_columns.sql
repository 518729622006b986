{#- Generic test: the combination of `columns` identifies one row (composite primary keys such as
    campaign members (campaign_id, lead_id) and health scores (customer_id, scored_at)). Written
    here because dbt packages cannot be installed offline (ARCHITECTURE.md known traps). -#}
{% test unique_combination_of_columns(model, columns) %}

with

grouped as (

    select
        {{ columns | join(',\n        ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}

),

final as (

    select * from grouped
    where n_rows > 1

)

select * from final

{% endtest %}
