"""The AAA..C grade scale: PD bands from ``grades.yaml``, turned into integer score cut-offs.

A grade holds the firms whose calibrated one-year PD lies in its band. Because the PD is
a decreasing function of the integer score (``pd = 1 / (1 + exp(-(a + b * score)))``,
``b < 0``), every PD band is a score interval; the cut-offs are computed once, so the
grade of a firm is an integer comparison that is identical in Python, DuckDB and Spark.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from reforge.settings.yaml_files import safe_load

GRADES_FILE = Path(__file__).with_name("grades.yaml")
GRADE_NAMES: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")


class Grade(BaseModel):
    grade: str
    pd_max: float = Field(gt=0, le=1)
    meaning: str = ""


class GradeScale(BaseModel):
    """Grades from best to worst with the upper PD bound of each (the last one is 1)."""

    version: str
    source: str
    confidence: str = "C"
    grades: list[Grade]

    @field_validator("grades")
    @classmethod
    def _increasing(cls, v: list[Grade]) -> list[Grade]:
        if len(v) < 2:
            raise ValueError("a grade scale needs at least two grades")
        pds = [g.pd_max for g in v]
        if any(b <= a for a, b in zip(pds, pds[1:], strict=False)):
            raise ValueError(f"pd_max must increase from the best to the worst grade, got {pds}")
        if pds[-1] != 1.0:
            raise ValueError("the worst grade must have pd_max 1.0")
        return v

    @property
    def names(self) -> list[str]:
        return [g.grade for g in self.grades]

    def rank(self, grade: str) -> int:
        """1-based rank of a grade (1 = best)."""
        try:
            return self.names.index(grade) + 1
        except ValueError:
            raise ValueError(f"unknown grade {grade!r}; known: {', '.join(self.names)}") from None


def load_grades(path: str | Path | None = None) -> GradeScale:
    """Read and validate a grade scale (default: the packaged ``grades.yaml``)."""
    return _load(str(path or GRADES_FILE))


@lru_cache(maxsize=8)
def _load(path: str) -> GradeScale:
    with open(path, encoding="utf-8") as f:
        return GradeScale.model_validate(safe_load(f))


def score_cutoffs(scale: GradeScale, a: float, b: float) -> list[int]:
    """Minimum integer score of each grade but the last (best grade first).

    ``a``, ``b``: calibration ``logit(pd) = a + b * score`` with ``b < 0``. A firm with
    score ``s`` gets the first grade whose cut-off ``s`` reaches; grade ``k`` requires
    ``pd(s) <= pd_max[k]``, i.e. ``s >= (logit(pd_max[k]) - a) / b``.
    """
    if not b < 0:
        raise ValueError(f"calibration slope must be negative (higher score = lower PD), got {b}")
    out = []
    for g in scale.grades[:-1]:
        lg = math.log(g.pd_max / (1.0 - g.pd_max))
        out.append(int(math.ceil((lg - a) / b - 1e-9)))
    return out


def grade_rank_of_score(score: int | float, cutoffs: list[int]) -> int:
    """1-based grade rank of one integer score given the cut-offs (best grade first)."""
    for i, c in enumerate(cutoffs):
        if score >= c:
            return i + 1
    return len(cutoffs) + 1
