"""Enterprise credit evaluation: explainable scorecard, overlays, grades AAA-C, reasons,
validation and monitoring (issue 6).

>>> from reforge.credit import Scorecard, train, score, validate_file
"""

from __future__ import annotations

from reforge.credit.pipeline import ScoreResult, TrainResult, score, score_record, train
from reforge.credit.scorecard import Scorecard
from reforge.credit.validate import validate_file

__all__ = ["Scorecard", "train", "score", "score_record", "validate_file", "ScoreResult", "TrainResult"]
