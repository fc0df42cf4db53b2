"""The planted matching data written into a real DuckDB file (for the CLI and API tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reforge.engine import DuckDBEngine
from reforge.schema import ensure_schema
from tests.match.test_rank import planted

HOSTILE = "<script>window.__pwned = 1</script>"
"""A firm or item name that must stay text on every page."""
SHOTS = Path(os.environ.get("REFORGE_SHOTS", "/tmp/helper-match"))
"""Where the browser tests of the matching pages leave their screenshots."""


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


@contextmanager
def served_planted_db(path: Path, edit: str, params: list[str],
                      enterprise_uscc: str | None = None) -> Iterator[str]:
    """:func:`planted_db` at ``path`` with ``edit`` (SQL, bound ``params``) applied, the demo
    accounts (the enterprise account bound to ``enterprise_uscc`` if given), served by a real
    ``reforge serve``; yields its URL."""
    from reforge.cli.serve import create_demo_accounts
    from tests.api.server import running_server
    planted_db(path)
    with DuckDBEngine(path) as e:
        e.execute(edit, params)
    create_demo_accounts(path)
    if enterprise_uscc is not None:
        with DuckDBEngine(path) as e:
            e.execute("UPDATE users SET uscc = ? WHERE role = 'enterprise'", [enterprise_uscc])
    with running_server(path, login_limit=1000) as url:
        yield url
