{#- Segment bands: labels for a value from a list of lower bounds (vars score_bands,
    employee_bands). [0, 20, 40] -> '0-19', '20-39', '40+'; values below the first bound get
    '<first'; null stays null. Integer-valued dimensions only (scores, head counts). -#}
{% macro band_label(value, lower_bounds) -%}
    case
        when {{ value }} is null then null
        {%- for bound in lower_bounds | reverse %}
        {%- if loop.first %}
        when {{ value }} >= {{ bound }} then '{{ bound }}+'
        {%- else %}
        when {{ value }} >= {{ bound }} then '{{ bound }}-{{ (lower_bounds | reverse | list)[loop.index0 - 1] - 1 }}'
        {%- endif %}
        {%- endfor %}
        else '<{{ lower_bounds | first }}'
    end
{%- endmacro %}

{% macro score_band(value) -%}
    {{ band_label(value, var('score_bands')) }}
{%- endmacro %}

{% macro employee_band(value) -%}
    {{ band_label(value, var('employee_bands')) }}
{%- endmacro %}
