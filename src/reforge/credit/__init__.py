"""Enterprise credit evaluation: explainable scorecard, overlays, grades AAA-C, reasons,
validation and monitoring (issue 6).

>>> from reforge.credit import Scorecard, train, score, validate_file

The names load on first use (PEP 562): scoring a stored model and reading it
(``reforge.credit.store``) need neither scikit-learn nor optbinning, which only fitting loads.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reforge.credit.pipeline import ScoreResult, TrainResult, score, score_record, train
    from reforge.credit.scorecard import Scorecard
    from reforge.credit.validate import validate_file

_HOMES = {"ScoreResult": "pipeline", "TrainResult": "pipeline", "score": "pipeline", "score_record": "pipeline",
          "train": "pipeline", "Scorecard": "scorecard", "validate_file": "validate"}

__all__ = ["Scorecard", "train", "score", "score_record", "validate_file", "ScoreResult", "TrainResult"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"reforge.credit.{home}"), name)
    globals()[name] = value
    return value
