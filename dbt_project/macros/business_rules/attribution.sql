{#- Channel attribution: one rule for every fact that reports a channel.
    The campaign's channel wins; else the lead source mapped through seed lead_source_channels
    (joined on lead_source_key); else 'other'. -#}

{% macro lead_source_key(lead_source) -%}
    lower(trim({{ lead_source }}))
{%- endmacro %}

{% macro attributed_channel(campaign_channel, mapped_channel) -%}
    coalesce({{ campaign_channel }}, {{ mapped_channel }}, 'other')
{%- endmacro %}
