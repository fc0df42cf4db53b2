"""Random staggered panels for the policy tests (small, seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def staggered_panel(n: int = 240, T: int = 6, seed: int = 0, unbalanced: bool = False,
                    time_varying: bool = False, effect: float = 0.5) -> pd.DataFrame:
    """Units × years with cohorts 2012–2016 (+ never, + after the window), a covariate-dependent trend."""
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2010 + T)
    g = rng.choice([0, 2012, 2013, 2014, 2016, 2030], size=n, p=[.35, .15, .15, .15, .1, .1])
    x1 = rng.normal(size=n)
    x2 = rng.uniform(size=n)
    alpha = rng.normal(size=n)
    rows = []
    for i in range(n):
        for t in years:
            te = effect * (g[i] > 0) * (t >= g[i]) * (1 + 0.2 * (t - g[i]))
            xx = x1[i] + (0.1 * rng.normal() if time_varying else 0.0)
            y = alpha[i] + 0.2 * (t - 2010) + 0.3 * xx * (t - 2010) / T + 0.5 * x2[i] + te + rng.normal()
            rows.append((f"u{i:04d}", i + 1, t, y, g[i], xx, x2[i], f"c{i % 13}"))
    df = pd.DataFrame(rows, columns=["uid", "id", "year", "y", "g", "x1", "x2", "cl"])
    if unbalanced:
        df = df.drop(df.sample(frac=0.05, random_state=seed).index).reset_index(drop=True)
    return df
