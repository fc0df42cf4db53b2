"""The planted matching data written into a real DuckDB file (for the CLI and API tests)."""

from __future__ import annotations

from pathlib import Path

from reforge.engine import DuckDBEngine
from reforge.schema import ensure_schema
from tests.match.test_rank import planted


def planted_db(path: Path) -> Path:
    """A DuckDB file with the schema and the planted tables of :func:`planted` (returns ``path``)."""
    frames = planted()
    frames["enterprises"] = frames["enterprises"].assign(industry_code="3484")
    frames["supply_links"] = frames["supply_links"].assign(basis="observed")
    with DuckDBEngine(path) as e:
        ensure_schema(e)
        with e.transaction():
            for name, df in frames.items():
                tmp = f"__plant_{name}"
                e.register(tmp, df)
                e.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {tmp}")
                e.drop(tmp)
            e.execute("INSERT INTO chains VALUES ('robot', 'Robots', '机器人', NULL), "
                      "('semi', 'Semiconductors', '半导体', NULL)")
            e.execute("INSERT INTO items (item_id, name, name_zh, foundation) VALUES "
                      "('rv_reducer', 'RV reducer', 'RV减速器', 'component'), "
                      "('harmonic_reducer', 'Harmonic reducer', '谐波减速器', 'component'), "
                      "('servo_drive', 'Servo drive', '伺服驱动器', 'electronic_component'), "
                      "('sic_substrate', 'SiC substrate', '碳化硅衬底', 'material')")
            # chain.metrics.bottlenecks fails on a NULL is_end_product (pd.NA; reported to the lead)
            e.execute("UPDATE chain_items SET is_end_product = FALSE")
            e.execute("INSERT INTO credit_records (record_id, uscc, kind, value, recorded_on) VALUES "
                      "('TX1', 'S_HARM', 'tax_rating', 'A', DATE '2025-04-01')")
    return path
