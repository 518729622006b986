"""Orchestration: the one Dagster `Definitions` (definitions.py), its resources, assets, checks,
automation, and the `ssot` command line (cli.py). Business logic lives in ingestion/, identity/,
dbt_project/ and expectations/; this package only wires it."""
