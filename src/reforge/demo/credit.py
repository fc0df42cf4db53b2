"""Public credit records and observed defaults, driven by the latent risk ``z``.

Default model (documented in ``PLANTED["default_model"]``): for year t (2016-2025) and a
firm that existed in t-1,

    logit P(default_t) = INTERCEPT + 0.6 z + 4.0 (lev_{t-1} - 0.5) - 8.0 margin_{t-1}
                         + 0.9 [tax rating of t-2 is C or D] + 0.7 [admin penalty in t-1]
                         + 1.2 [dishonest-debtor entry in t-1] + 0.9 [abnormal-operation entry in t-1]
                         + 1.5 (import exposure of the firm's item - 0.3) - 0.15 ln(assets_{t-1} / 1e8)
                         + YEAR_EFFECT[t]

The tax rating for year t-2 is the last one published (April of t-1) before year t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.demo.atlas import template
from reforge.demo.firms import YEARS, Firms
from reforge.demo.supply import import_exposure

INTERCEPT = -4.5
COEF = {"z": 0.6, "lev_minus_0_5": 4.0, "margin": -8.0, "tax_cd_prev": 0.9, "admin_penalty_prev": 0.7,
        "dishonest_debtor_prev": 1.2, "abnormal_operation_prev": 0.9, "import_exposure_minus_0_3": 1.5,
        "ln_assets_over_1e8": -0.15}
YEAR_EFFECT = {2016: 0.0, 2017: -0.1, 2018: 0.1, 2019: 0.1, 2020: 0.35, 2021: 0.0, 2022: 0.2, 2023: 0.1,
               2024: 0.05, 2025: 0.0}
RATE = {"admin_penalty": (0.035, 0.9), "dishonest_debtor": (0.004, 1.3), "abnormal_operation": (0.008, 1.1),
        "serious_dishonesty": (0.0006, 1.3), "major_incident": (0.0004, 0.8), "tax_evasion": (0.0002, 1.2),
        "data_fraud": (0.0001, 0.8)}
DURATION_DAYS = {"admin_penalty": 365, "dishonest_debtor": 3 * 365, "abnormal_operation": 365,
                 "serious_dishonesty": 3 * 365, "major_incident": 3 * 365, "tax_evasion": 3 * 365,
                 "data_fraud": 3 * 365, "overdue_loan": 5 * 365}
SOURCE = {"tax_rating": "tax_bureau", "admin_penalty": "market_regulation", "dishonest_debtor": "court",
          "abnormal_operation": "market_regulation", "serious_dishonesty": "credit_china",
          "major_incident": "emergency_management", "tax_evasion": "tax_bureau", "data_fraud": "miit",
          "overdue_loan": "credit_reference_center"}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _year_dates(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    base = (years.astype("int64") - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    return base + rng.integers(0, 365, len(years)).astype("timedelta64[D]")


def make_credit(rng: np.random.Generator, f: Firms) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(credit_records, defaults)."""
    n = len(f.table)
    ny = len(YEARS)
    uscc = f.table.uscc.to_numpy()
    exists = f.exists
    z = f.z
    # event records: Poisson counts per firm-year, capped at 1 per kind
    events = {}
    for kind, (base, tilt) in RATE.items():
        p = np.clip(base * np.exp(tilt * z - tilt**2 / 2), 0, 0.8)
        events[kind] = (rng.random((n, ny)) < p[:, None]) & exists
    # tax ratings for 2016-2024, published in April of the next year
    score = (84 - 11 * z[:, None] + 2.5 * f.q[:, None] + 60 * np.nan_to_num(f.margin)
             - 10 * events["admin_penalty"] - 25 * events["abnormal_operation"] - 30 * events["dishonest_debtor"]
             - 40 * events["tax_evasion"] + 7 * rng.standard_normal((n, ny)))
    rating = np.select([score >= 90, score >= 70, score >= 40], ["A", "B", "C"], "D").astype(object)
    rating = np.where(events["tax_evasion"], "D", rating)
    first_year = (YEARS[None, :] == f.founded_year[:, None]) & (YEARS[None, :] > 2015)
    rating = np.where(first_year & (score >= 70), "M", rating)
    rate_mask = exists & (YEARS[None, :] >= 2016) & (YEARS[None, :] <= 2024)
    parts = []
    rf, ry = np.nonzero(rate_mask)
    rec = (YEARS[ry] + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") + np.timedelta64(104, "D")
    parts.append(pd.DataFrame({"uscc": uscc[rf], "kind": "tax_rating", "value": rating[rf, ry],
                               "recorded_on": rec, "expires_on": rec + np.timedelta64(365, "D")}))
    for kind, mat in events.items():
        ef, ey = np.nonzero(mat)
        rec = _year_dates(rng, YEARS[ey])
        if kind == "admin_penalty":
            val = np.round(np.exp(rng.normal(np.log(3e4), 1.2, len(ef))), -2).astype(np.int64).astype(str)
        else:
            val = np.full(len(ef), None, dtype=object)
        parts.append(pd.DataFrame({"uscc": uscc[ef], "kind": kind, "value": val, "recorded_on": rec,
                                   "expires_on": rec + np.timedelta64(DURATION_DAYS[kind], "D")}))
    # defaults
    items = template()["items"]
    expo_map = import_exposure()
    item_ids = items.item_id.to_numpy()
    expo_item = np.array([expo_map.get(i, 0.0) for i in item_ids])
    expo = np.where(f.item_idx >= 0, expo_item[np.maximum(f.item_idx, 0)], 0.2)
    lev_prev = f.lev[:, :-1]
    margin_prev = f.margin[:, :-1]
    assets_prev = np.maximum(np.nan_to_num(f.assets[:, :-1], nan=1e6), 1e4)
    cd = np.isin(rating, ["C", "D"]) & rate_mask
    tax_cd_prev = np.zeros((n, ny - 1), dtype=bool)
    tax_cd_prev[:, 1:] = cd[:, :-2]                     # rating of t-2 for outcome year t
    eta = (INTERCEPT + COEF["z"] * z[:, None] + COEF["lev_minus_0_5"] * (lev_prev - 0.5)
           + COEF["margin"] * margin_prev + COEF["tax_cd_prev"] * tax_cd_prev
           + COEF["admin_penalty_prev"] * events["admin_penalty"][:, :-1]
           + COEF["dishonest_debtor_prev"] * events["dishonest_debtor"][:, :-1]
           + COEF["abnormal_operation_prev"] * events["abnormal_operation"][:, :-1]
           + COEF["import_exposure_minus_0_3"] * (expo[:, None] - 0.3)
           + COEF["ln_assets_over_1e8"] * np.log(assets_prev / 1e8)
           + np.array([YEAR_EFFECT[y] for y in YEARS[1:]])[None, :])
    eta = np.nan_to_num(eta, nan=-20.0)
    obs = exists[:, :-1]                                   # existed in t-1
    defaulted = (rng.random((n, ny - 1)) < _sigmoid(eta)) & obs
    df_f, df_y = np.nonzero(obs)
    defaults = pd.DataFrame({"uscc": uscc[df_f], "year": YEARS[1:][df_y].astype(np.int32),
                             "defaulted": defaulted[df_f, df_y]})
    # an overdue-loan record in the default year
    of, oy = np.nonzero(defaulted)
    rec = _year_dates(rng, YEARS[1:][oy])
    parts.append(pd.DataFrame({"uscc": uscc[of], "kind": "overdue_loan", "value": None, "recorded_on": rec,
                               "expires_on": rec + np.timedelta64(DURATION_DAYS["overdue_loan"], "D")}))
    cr = pd.concat(parts, ignore_index=True)
    cr["source"] = cr.kind.map(SOURCE)
    cr = cr.sort_values(["recorded_on", "uscc", "kind"], kind="stable").reset_index(drop=True)
    cr.insert(0, "record_id", _ids("CR", len(cr)))
    cr["recorded_on"] = pd.to_datetime(cr["recorded_on"])
    cr["expires_on"] = pd.to_datetime(cr["expires_on"])
    return cr, defaults


def _ids(prefix: str, n: int) -> np.ndarray:
    """'CR000000001', ... vectorised."""
    num = np.char.zfill(np.arange(1, n + 1).astype(str), 9)
    return np.char.add(prefix, num).astype(object)
