"""Child process of ``test_cluster.test_small_driver``: run the chain analyses on the Spark engine
whose driver was started with a small heap and a small ``spark.driver.maxResultSize``
(``REFORGE_SPARK_MEMORY`` / ``REFORGE_SPARK_MAX_RESULT``, set by the parent), then try to collect
a firm-level table, which must be refused with the engine's coded error.

    python -m tests.cluster.small_driver_child WAREHOUSE OUT.json

Writes ``{"bottlenecks": {chain: rows}, "simulate": {...}, "collect_all": {code, message},
"conf": {...}}`` to OUT.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.cluster.chain_results import chain_results


def main(warehouse: str, out: str) -> None:
    from reforge.engine.base import EngineError
    from reforge.engine.spark_engine import SparkEngine

    e = SparkEngine(warehouse)
    conf = e.spark.sparkContext.getConf()
    res = chain_results(e)
    res["conf"] = {k: conf.get(k, None) for k in ("spark.driver.memory", "spark.driver.maxResultSize",
                                                   "spark.master")}
    try:
        e.fetch_df("SELECT * FROM enterprise_years")
        res["collect_all"] = None
    except EngineError as err:
        res["collect_all"] = {"code": err.code, "message": str(err)}
    Path(out).write_text(json.dumps(res, default=str))
    e.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
