{#- fct_opportunities, incremental by opportunity (see its header). The raw inputs are read with
    the lifecycle watermark (int_lifecycle_watermark: the newest raw `_loaded_at` of the last build
    whose lifecycle models, fct_opportunities included, all succeeded), without ref
    (existing_relation): the watermark is built after this model. -#}

{#- The opportunities whose own raw rows changed since the watermark: opportunities (also the
    soft-deleted or vanished ones), every version of a changed history row and every version of a
    changed SFA lead (the lead that converted into it). Null when there is no watermark (every
    opportunity then counts as changed). -#}
{% macro opportunities_changed_in_raw(watermark) -%}
    {%- set changed = [
        ('opportunity', 'id', 'id'),
        ('opportunity_history', 'id', 'opportunity_id'),
        ('lead', 'id', 'converted_opportunity_id'),
    ] -%}
    {%- for entity, key, target in changed %}
    select versions.{{ target }} as opportunity_id
    from {{ source('sfa', entity) }} as versions
    where versions.{{ key }} in (
        select fresh.{{ key }}
        from {{ source('sfa', entity) }} as fresh
        where fresh._loaded_at > (select max(loaded_through) from {{ watermark }})
    )
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- The pre-hook: delete the opportunities whose raw rows changed (a soft-deleted one leaves no row
    that the delete+insert strategy could match); the rest of the change set is replaced by it. -#}
{% macro delete_changed_opportunities() -%}
    {%- set watermark = existing_relation('int_lifecycle_watermark') -%}
    {%- if is_incremental() and watermark is not none -%}
    delete from {{ this }} where opportunity_id in ({{ opportunities_changed_in_raw(watermark) }})
    {%- endif -%}
{%- endmacro %}
