"""The identity step: unified company ids across MA, SFA and CS (Python between two dbt steps).

Reads the staging views, writes `core.company_crosswalk`, `core.company_id_history` and
`core.company_match_review` (see identity/). dbt reads them as `source('identity', ...)`.
"""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration import triggers
from orchestration.assets.dbt import dbt_staging
from orchestration.resources import WarehouseResource
from orchestration.settings import WRITER_POOL

INPUT_MODELS = ("stg_ma__leads", "stg_sfa__accounts", "stg_sfa__leads", "stg_cs__customers")
OWNERS = ["team:data-engineering"]


@dg.multi_asset(
    name="resolve_companies",
    specs=[
        dg.AssetSpec(
            key=dg.AssetKey(["core", "company_crosswalk"]),
            group_name="identity",
            owners=OWNERS,
            description=(
                "Every MA lead, SFA account/lead and CS customer mapped to one stable company_id, "
                "with how it was matched and the match probability."
            ),
            deps=[get_asset_key_for_model([dbt_staging], m) for m in INPUT_MODELS],
            kinds={"python", "duckdb", "splink"},
        ),
        dg.AssetSpec(
            key=dg.AssetKey(["core", "company_id_history"]),
            group_name="identity",
            owners=OWNERS,
            description="Append-only history of issued company ids, merges (merged_into) and splits.",
            kinds={"duckdb"},
        ),
        dg.AssetSpec(
            key=dg.AssetKey(["core", "company_match_review"]),
            group_name="identity",
            owners=OWNERS,
            description="Uncertain record pairs for data stewards (decide them in identity/steward_links.csv).",
            kinds={"duckdb"},
        ),
    ],
    pool=WRITER_POOL,
    code_version="identity-v1",
)
def resolve_companies(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from identity import resolve_companies as resolve

    with warehouse.connect() as con:
        stats = resolve(con, log=context.log, full_refresh=triggers.full_refresh(context.run.tags))
    metadata = {k: v for k, v in (stats or {}).items() if isinstance(v, (int, float, str, bool))}
    yield dg.MaterializeResult(asset_key=["core", "company_crosswalk"], metadata=metadata)
    yield dg.MaterializeResult(asset_key=["core", "company_id_history"])
    yield dg.MaterializeResult(asset_key=["core", "company_match_review"])
