"""Small synthetic inputs for foundation tests (valid USCCs built independently of reforge)."""

from __future__ import annotations

import numpy as np
import pandas as pd

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def check_char(first17: str) -> str:
    """GB 32100-2015: weights 3^(i) mod 31, check = 31 - (sum mod 31), 31 -> 0."""
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = sum(ALPHABET.index(c) * w for c, w in zip(first17, weights, strict=True))
    return ALPHABET[(31 - s % 31) % 31]


def usccs(n: int, division: str = "320100", start: int = 0) -> list[str]:
    out = []
    for i in range(start, start + n):
        body = "91" + division + f"{i:09d}"
        out.append(body + check_char(body))
    return out


def enterprises(n: int, seed: int = 0, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    provinces = np.array(["320000", "310000", "330000", "440000"])
    industries = np.array(["3491", "3484", "3971", "3563"])
    return pd.DataFrame({
        "uscc": usccs(n, start=start),
        "name": [f"测试企业{i}有限公司" for i in range(start, start + n)],
        "province_code": rng.choice(provinces, n),
        "industry_code": rng.choice(industries, n),
    })


def enterprise_years(ent: pd.DataFrame, years: range, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(ent) * len(years)
    rev = rng.lognormal(17, 1.2, n)
    return pd.DataFrame({
        "uscc": np.repeat(ent["uscc"].to_numpy(), len(years)),
        "year": np.tile(np.array(list(years)), len(ent)),
        "revenue": rev,
        "rd_expense": rev * rng.uniform(0, 0.12, n),
        "employees": rng.integers(5, 2000, n),
        "niche_market_share": rng.uniform(0, 0.4, n),
    })
