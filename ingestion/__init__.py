"""Ingestion: extract contracts, readers, the raw loader and the sample-data generator.

Plain Python + DuckDB; nothing here imports Dagster (orchestration wraps it)."""
