"""Realism mode of the demo generator (issue 14, finding 8): the data an analyst really gets.

The plain generator rescales link values so every item's domestic share and country split
equal its design exactly, so "every planted label recovered" only checks arithmetic. With
realism on, after generation:

* **noise on shares** - every supply-link value is multiplied by a lognormal factor
  (sigma ``SHARE_SIGMA``), so item shares drift from the designs like survey data do;
* **missing capability years** - a share ``CAP_LATE`` of enterprise capability rows start
  after the link year 2024 (2025-2027: the firm already supplies; its capability row lags),
  and a share ``CAP_NO_LEVEL`` lose their technology level;
* **late designations** - a share ``DES_LATE`` of designations are recorded 30-400 days late
  (granted_on and expires_on shifted together);
* **typos** - a share ``TYPO`` of enterprise names get one character dropped or doubled
  (names only; keys never change).

Deterministic in the seed. The planted labels (``generate.PLANTED``) stay the designs: the
label-recovery report (bench/label_recovery.py) measures how well the analysis finds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHARE_SIGMA = 0.25
CAP_LATE = 0.05
CAP_NO_LEVEL = 0.03
DES_LATE = 0.10
TYPO = 0.02


def _typo(rng: np.random.Generator, name: str) -> str:
    if not isinstance(name, str) or len(name) < 3:
        return name
    k = int(rng.integers(1, len(name) - 1))
    return name[:k] + name[k + 1:] if rng.random() < 0.5 else name[:k] + name[k] + name[k:]


def apply_realism(tables: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """A copy of the demo ``tables`` with noise, late capability years and designations, typos."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 14, 8]))
    out = dict(tables)
    sl = tables["supply_links"].copy()
    factor = rng.lognormal(0.0, SHARE_SIGMA, len(sl))
    sl["value"] = np.maximum(np.round(sl["value"].to_numpy() * factor, 2), 0.01)
    out["supply_links"] = sl
    cap = tables["capabilities"].copy()
    ent = (cap["producer_type"] == "enterprise").to_numpy()
    late = ent & (rng.random(len(cap)) < CAP_LATE)
    since = pd.to_numeric(cap["since_year"], errors="coerce")
    base = since.fillna(2000).to_numpy()
    cap["since_year"] = np.where(late, np.maximum(base, 2024) + rng.integers(1, 4, len(cap)), since)
    cap["since_year"] = cap["since_year"].astype("Int64")
    nolevel = ent & (rng.random(len(cap)) < CAP_NO_LEVEL)
    cap["tech_level"] = pd.array(np.where(nolevel, pd.NA, cap["tech_level"]), dtype="Int64")
    out["capabilities"] = cap
    des = tables["designations"].copy()
    lag = np.where(rng.random(len(des)) < DES_LATE, rng.integers(30, 401, len(des)), 0)
    shift = pd.to_timedelta(lag, unit="D")
    for c in ("granted_on", "expires_on"):
        if c in des.columns:
            des[c] = (pd.to_datetime(des[c]) + shift).dt.date
    out["designations"] = des
    e = tables["enterprises"].copy()
    hit = rng.random(len(e)) < TYPO
    e.loc[hit, "name"] = [_typo(rng, n) for n in e.loc[hit, "name"]]
    out["enterprises"] = e
    return out
