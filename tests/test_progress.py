"""Progress is a callback the faces render (issue 12): the library never imports rich, and
the long-running entry points report through ``tick(message, fraction)``."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd

from reforge.progress import tick_of

SRC = Path(__file__).resolve().parents[1] / "src" / "reforge"


def test_no_library_module_imports_rich():
    offenders = []
    for p in SRC.rglob("*.py"):
        if "cli" in p.relative_to(SRC).parts[:1]:
            continue  # the CLI is a face: it draws the bars
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{p.relative_to(SRC)}: {n}" for n in names if n.split(".")[0] == "rich"]
    assert offenders == []


def test_tick_of_passes_callbacks_and_silences_the_rest():
    seen: list[tuple[str, float]] = []
    tick_of(lambda m, f: seen.append((m, f)))("x", 0.5)
    assert seen == [("x", 0.5)]
    for p in (None, True, False):
        assert tick_of(p)("x", 0.5) is None


def test_scorecard_fit_reports_binning_through_the_callback():
    from reforge.credit import Scorecard
    rng = np.random.default_rng(3)
    x = rng.normal(size=600)
    y = (rng.random(600) < 1 / (1 + np.exp(-2 * x))).astype(int)
    seen: list[tuple[str, float]] = []
    Scorecard(progress=lambda m, f: seen.append((m, f))).fit(pd.DataFrame({"x": x, "z": rng.normal(size=600)}), y)
    assert seen == [("binning features", 0.0), ("binning features", 1.0)]
