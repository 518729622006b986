{#- Staging: the latest version of every record of a raw (append-only) table.

    Raw keeps every delivered version of a record; staging keeps one per contract key, ordered by
    the contract's modified_at column (desc, nulls last), then the extract date, the load time and
    the row number in the file (all desc), so re-deliveries and late files resolve the same way on
    every run. Written as a window + filter (no `qualify`) with an explicit frame so the same SQL
    runs on DuckDB, Postgres and Spark; with a `where`, through the dispatched
    latest_version_of_filtered (DuckDB reads the winners by rowid, other engines use the window).
    The rank column `_version_rank` is left for the caller's explicit column list to drop.

    relation:    the source() relation
    key:         list of raw (snake_case) key columns, as in ingestion/contracts.yaml
    modified_at: the raw column that orders versions, or none
    where:       a filter on the raw rows (all versions of a key must pass or fail it together:
                 an incremental model passes "key in <keys with new rows>"), or none
-#}
{% macro latest_version(relation, key, modified_at=none, where=none) -%}
    {%- if where -%}
    {{ return(adapter.dispatch('latest_version_of_filtered', 'ssot_warehouse')(relation, key, modified_at, where)) }}
    {%- endif -%}
    {{ latest_version_window(relation, key, modified_at, where) }}
{%- endmacro %}

{#- The rank of a raw version within its key, 1 = the one that counts: the ordering rule of
    latest_version, written once for both of its forms. -#}
{% macro version_rank(key, modified_at) -%}
    row_number() over (
        partition by {{ key | join(', ') }}
        order by
            {% if modified_at -%}
            {{ modified_at }} desc nulls last,
            {% endif -%}
            _extract_date desc nulls last,
            _loaded_at desc nulls last,
            _row_number desc nulls last
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{#- The latest version of the rows passing `where` (none: of every row), as a window + filter. -#}
{% macro latest_version_window(relation, key, modified_at=none, where=none) -%}
    select * from (
        select
            versions.*,
            {{ version_rank(key, modified_at) }} as _version_rank
        from {{ relation }} as versions
        {% if where -%}
        where {{ where }}
        {% endif -%}
    ) as ranked
    where _version_rank = 1
{%- endmacro %}

{#- latest_version with a `where` (an incremental run: the versions of a few changed keys out of
    millions of raw rows). -#}
{% macro default__latest_version_of_filtered(relation, key, modified_at, where) -%}
    {{ latest_version_window(relation, key, modified_at, where) }}
{%- endmacro %}

{#- DuckDB: rank the filtered versions on the key and ordering columns only, then read the whole
    raw row of each winner by rowid. The one-pass window reads every column of every raw row
    before the key filter drops them (at L 1.7 CPU s for 37k of 10M activity rows); here the scan
    of the whole table reads the few ranking columns, and the rowid filter lets DuckDB skip the row
    groups without a winner (new versions sit in the newest row groups: raw is append-only).
    Same rows as the window (tests/dbt/test_staging_latest_version.py). -#}
{% macro duckdb__latest_version_of_filtered(relation, key, modified_at, where) -%}
    select versions.*, cast(1 as bigint) as _version_rank
    from {{ relation }} as versions
    where versions.rowid in (
        select winners._version_rowid from (
            select
                versions.rowid as _version_rowid,
                {{ version_rank(key, modified_at) }} as _version_rank
            from {{ relation }} as versions
            where {{ where }}
        ) as winners
        where winners._version_rank = 1
    )
{%- endmacro %}

{#- Staging: an e-mail as it is compared across systems (trimmed, lower-case, empty -> null). -#}
{% macro normalize_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- Staging, incremental models: the `where` of latest_version that keeps only the keys with a raw
    row loaded after the newest `_loaded_at` already staged, so a run re-ranks every version of
    those keys (also older ones: a late re-delivery of an old extract date must not win) and the
    delete+insert on the key gives exactly the full build's result. None on a full build.

    relation: the source() relation;  key: its raw key columns (as in latest_version)
-#}
{% macro keys_changed_since_last_build(relation, key) -%}
    {%- if is_incremental() -%}
    exists (
        select 1 from {{ relation }} as changed
        where changed._loaded_at > (select max(_loaded_at) from {{ this }})
        {%- for column in key %}
            and changed.{{ column }} = versions.{{ column }}
        {%- endfor %}
    )
    {%- endif -%}
{%- endmacro %}
