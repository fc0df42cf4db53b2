"""Calibrated probability of default of integer scores (no fitting libraries needed: scoring
a stored model runs in SQL plus this formula)."""

from __future__ import annotations

import numpy as np


def pd_of_score(spec: dict, score: np.ndarray) -> np.ndarray:
    """Calibrated PD of integer scores: ``1 / (1 + exp(-(a + b * score)))`` with ``a``, ``b``
    from the model spec's ``calibration`` (a logistic fit of defaults on the score)."""
    a, b = spec["calibration"]["a"], spec["calibration"]["b"]
    return 1.0 / (1.0 + np.exp(-(a + b * np.asarray(score, dtype=float))))
