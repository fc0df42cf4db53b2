"""Public-credit overlays: documented rules that set or cap a grade after the score.

Rules live in ``overlays.yaml`` (validated by pydantic). They are applied in the file's
order to the grade rank (1 = best): ``set`` replaces it, ``cap`` takes
``max(rank, rank_of(grade))``. The same rules render as SQL (``overlay_sql``) and run on
pandas (``apply_overlays``), with identical results.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, field_validator, model_validator

from reforge.credit.grades import GradeScale
from reforge.engine.sqlbuild import is_ident, literal
from reforge.messages import Localized, Message
from reforge.settings.yaml_files import safe_load

OVERLAYS_FILE = Path(__file__).with_name("overlays.yaml")


def _plain_name(v: str, what: str) -> str:
    """``v`` when it can be a SQL column name (letters, digits, _), else ValueError."""
    if not is_ident(v):
        raise ValueError(f"{what} {v[:40]!r} must be letters, digits and _ only (not starting with a digit)")
    return v


class Condition(BaseModel):
    feature: str
    op: Literal["eq", "in", "ge", "gt", "le", "lt"]
    value: float | str | list[str] | list[float]

    @field_validator("feature")
    @classmethod
    def _feature(cls, v: str) -> str:
        return _plain_name(v, "overlay feature")

    @model_validator(mode="after")
    def _check(self) -> Condition:
        if self.op == "in" and not isinstance(self.value, list):
            raise ValueError("op 'in' needs a list value")
        if self.op != "in" and isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a single value")
        return self


class OverlayRule(BaseModel):
    id: str
    description: str
    description_zh: str | None = None
    when: Condition
    action: Literal["set", "cap"]
    grade: str
    source: str
    confidence: Literal["A", "B", "C"]

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _plain_name(v, "overlay id")  # becomes the column ov_<id>


class OverlaySet(BaseModel):
    version: str
    rules: list[OverlayRule]

    @model_validator(mode="after")
    def _unique(self) -> OverlaySet:
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate overlay ids in {ids}")
        return self

    def check_grades(self, scale: GradeScale) -> None:
        for r in self.rules:
            scale.rank(r.grade)

    @property
    def features(self) -> list[str]:
        return sorted({r.when.feature for r in self.rules})


def load_overlays(path: str | Path | None = None) -> OverlaySet:
    """Read and validate overlay rules (default: the packaged ``overlays.yaml``)."""
    return _load(str(path or OVERLAYS_FILE))


@lru_cache(maxsize=8)
def _load(path: str) -> OverlaySet:
    with open(path, encoding="utf-8") as f:
        return OverlaySet.model_validate(safe_load(f))


def _value_sql(v: float | str) -> str:
    """A rule's value as a SQL constant (whole numbers without a decimal point)."""
    if isinstance(v, str):
        return literal(v)
    return literal(int(v)) if float(v).is_integer() else literal(float(v))


_SQL_OPS = {"eq": "=", "ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def condition_sql(c: Condition, alias: str = "") -> str:
    """A boolean SQL expression for a condition (NULL feature values never match)."""
    col = f"{alias}.{c.feature}" if alias else c.feature
    if c.op == "in":
        return f"{col} IN ({', '.join(_value_sql(v) for v in c.value)})"  # type: ignore[union-attr]
    return f"{col} {_SQL_OPS[c.op]} {_value_sql(c.value)}"  # type: ignore[arg-type]


def condition_mask(c: Condition, df: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the rows of ``df`` meeting the condition (NULL never matches)."""
    if c.feature not in df.columns:
        raise ValueError(f"overlay feature {c.feature!r} is not in the feature table")
    s = df[c.feature]
    if c.op == "in":
        m = s.isin(list(c.value))  # type: ignore[arg-type]
    else:
        x = pd.to_numeric(s, errors="coerce") if not isinstance(c.value, str) else s
        m = {"eq": x == c.value, "ge": x >= c.value, "gt": x > c.value,
             "le": x <= c.value, "lt": x < c.value}[c.op]
    return np.asarray(m.fillna(False), dtype=bool)


def overlay_sql(rules: OverlaySet, scale: GradeScale, rank_expr: str, alias: str = "") -> str:
    """SQL for the final grade rank after the rules, starting from ``rank_expr``."""
    expr = rank_expr
    for r in rules.rules:
        g = scale.rank(r.grade)
        cond = condition_sql(r.when, alias)
        if r.action == "set":
            expr = f"CASE WHEN {cond} THEN {g} ELSE {expr} END"
        else:
            expr = f"CASE WHEN {cond} THEN GREATEST({expr}, {g}) ELSE {expr} END"
    return expr


def overlay_hits_sql(rules: OverlaySet, alias: str = "") -> list[tuple[str, str]]:
    """(column name, SQL 0/1 expression) per rule, for reporting which rules fired."""
    return [(f"ov_{r.id}", f"CASE WHEN {condition_sql(r.when, alias)} THEN 1 ELSE 0 END")
            for r in rules.rules]


def apply_overlays(rank: np.ndarray, df: pd.DataFrame, rules: OverlaySet,
                   scale: GradeScale) -> tuple[np.ndarray, list[list[str]]]:
    """Final grade ranks and, per row, the descriptions of the rules that changed or held it.

    A rule is listed for a firm whenever its condition is met (even when the statistical
    grade was already at or below the cap), so the reader sees every adverse record.
    """
    out = np.asarray(rank, dtype=int).copy()
    applied: list[list[str]] = [[] for _ in range(len(out))]
    for r in rules.rules:
        m = condition_mask(r.when, df)
        g = scale.rank(r.grade)
        if r.action == "set":
            out[m] = g
        else:
            out[m] = np.maximum(out[m], g)
        for i in np.flatnonzero(m):
            applied[i].append(overlay_text(r))
    return out, applied


def overlay_text(r: OverlayRule) -> Message:
    """One line naming the rule and its effect (code ``credit.overlay.set`` / ``.cap``)."""
    desc = Localized({"en": r.description, "zh": r.description_zh})
    return Message(f"credit.overlay.{r.action}", {"description": desc, "grade": r.grade, "rule": r.id})
