"""Splink's own DuckDB spills into a folder of its own, never the warehouse connection's: two
instances spilling into one folder use the same file names, and the first to close deletes the
other's (reproduced at L: the warehouse connection then failed with "Corrupt temporary file")."""

from __future__ import annotations

import duckdb
from conftest import load

from identity import scoring
from identity.resolve import resolve_companies


def test_splink_spills_into_its_own_folder_and_removes_it(tmp_path, settings, monkeypatch):
    temp = tmp_path / "spill"
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), config={"temp_directory": str(temp)})
    load(
        con,
        stg_sfa__accounts=[
            {"account_id": "A1", "account_name": "株式会社サンプル", "website": "sample.co.jp"}
        ],
        stg_ma__leads=[{"lead_id": "L1", "company_name": "サンプル", "email": "a@sample.co.jp"}],
    )
    given = []
    splink_config = scoring._splink_config

    def spy(warehouse):
        config = splink_config(warehouse)
        given.append(config["temp_directory"])
        assert config["temp_directory"] != str(temp)
        assert (temp / config["temp_directory"].rsplit("/", 1)[1]).is_dir()
        return config

    monkeypatch.setattr(scoring, "_splink_config", spy)
    resolve_companies(con, settings=settings)
    assert len(given) == 1
    assert not any(p.name.startswith("identity_splink_") for p in temp.iterdir())  # removed after use
    con.close()
