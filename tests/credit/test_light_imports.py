"""Scoring with a stored model and reading it load neither scikit-learn nor optbinning (a
restarted server's first credit page paid ~1.3 s for them); fitting does."""

from __future__ import annotations

import subprocess
import sys


def _loaded(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
                         check=True, capture_output=True, text=True).stdout.split()
    return {m.split(".")[0] for m in out}


def test_scoring_and_the_model_store_load_no_fitting_library():
    mods = _loaded("from reforge.credit import score, score_record\nimport reforge.credit.store\n"
                   "import reforge.api.services")
    assert not {"sklearn", "optbinning"} & mods


def test_fitting_loads_them():
    assert "sklearn" in _loaded("from reforge.credit import Scorecard")
