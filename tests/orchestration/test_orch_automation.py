"""The daily schedule and the file-arrival sensor, evaluated without running anything."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(scope="module")
def defs():
    from orchestration.definitions import defs

    return defs


def _schedule_requests(defs, when: dt.datetime) -> list[dg.RunRequest]:
    schedule = defs.get_repository_def().get_schedule_def("ssot_daily_0600_jst")
    context = dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    )
    return list(schedule.evaluate_tick(context).run_requests or [])


def test_schedule_at_six_tokyo_requests_the_previous_extract_date(defs):
    when = dt.datetime(2026, 9, 30, 6, 0, tzinfo=TOKYO)
    requests = _schedule_requests(defs, when)
    assert [r.partition_key for r in requests] == ["2026-09-29"]


def test_schedule_request_is_tagged_and_targets_the_pipeline(defs):
    (request,) = _schedule_requests(defs, dt.datetime(2026, 9, 30, 6, 0, tzinfo=TOKYO))
    assert request.job_name == "ssot_pipeline"
    assert request.tags["ssot/trigger"] == "schedule"
    assert request.tags["dagster/schedule_name"] == "ssot_daily_0600_jst"
    # One run per day: the run key is the partition, so a re-evaluated tick never runs twice.
    assert request.run_key == request.partition_key


def _drop(landing: Path, system: str, day: str, name: str, text: str, mtime_ns: int | None = None) -> Path:
    path = landing / system / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def _tick(defs, cursor: str | None, instance) -> tuple[list[dg.RunRequest], str | None]:
    sensor = defs.get_repository_def().get_sensor_def("new_extract_files")
    context = dg.build_sensor_context(
        cursor=cursor, instance=instance, repository_def=defs.get_repository_def()
    )
    data = sensor.evaluate_tick(context)
    return list(data.run_requests or []), data.cursor


def test_sensor_requests_new_and_changed_dates_once(defs, ssot_env):
    from orchestration.settings import settings

    landing = settings().landing
    instance = dg.DagsterInstance.ephemeral()
    _drop(landing, "ma", "2026-09-28", "leads.csv", "id,email\n1,a@x.jp\n", mtime_ns=1_000_000_000)
    _drop(landing, "sfa", "2026-09-28", "Lead.csv", "Id\n00Q1\n", mtime_ns=1_000_000_000)

    # First look: the new folder is one run for its extract date, tagged as a sensor run.
    requests, cursor = _tick(defs, None, instance)
    assert [r.partition_key for r in requests] == ["2026-09-28"]
    assert requests[0].tags["ssot/trigger"] == "sensor"
    first_key = requests[0].run_key
    assert set(json.loads(cursor)) == {"2026-09-28"}

    # Nothing changed: no run.
    requests, cursor = _tick(defs, cursor, instance)
    assert requests == []

    # A new day arrives: a run for that day only.
    _drop(landing, "cs", "2026-09-29", "subscriptions.csv", "subscription_id\ns1\n", mtime_ns=2_000_000_000)
    requests, cursor = _tick(defs, cursor, instance)
    assert [r.partition_key for r in requests] == ["2026-09-29"]

    # A file of an old date is re-delivered with new content: that date runs again, under a
    # new run key (the old key would be deduplicated by Dagster and never run).
    _drop(landing, "ma", "2026-09-28", "leads.csv", "id,email\n1,a@x.jp\n2,b@y.jp\n", mtime_ns=3_000_000_000)
    requests, cursor = _tick(defs, cursor, instance)
    assert [r.partition_key for r in requests] == ["2026-09-28"]
    assert requests[0].run_key != first_key

    requests, _ = _tick(defs, cursor, instance)
    assert requests == []


def test_sensor_skips_folders_outside_the_partitions_and_non_date_folders(defs, ssot_env):
    from orchestration.settings import settings

    landing = settings().landing
    _drop(landing, "ma", "2019-01-01", "leads.csv", "id\n1\n")  # before the first partition
    _drop(landing, "ma", "incoming", "leads.csv", "id\n1\n")  # not a date folder
    _drop(landing, "ma", "2026-09-30", ".leads.csv.part", "id\n1\n")  # hidden: still being copied
    requests, _ = _tick(defs, None, dg.DagsterInstance.ephemeral())
    assert requests == []
